// Writes the config of a CI-made stack from a committed one, in this checkout only:
//   npx tsx ci/derive-stack-config.ts --from <stack> --to <stack> \
//        [--set key=value]... [--set-json key=<json>]...
//
// Pulumi.<to>.yaml gets every plain setting of Pulumi.<from>.yaml, then the --set (string)
// and --set-json (number, boolean, array) overrides. Encrypted (`secure:`) values are not
// copied: they are bound to the source stack's encryption salt; the caller sets the secrets
// the new stack needs with `pulumi config set --secret`. Keys of the target file other than
// `config` (encryptionsalt, secretsprovider) are kept, so this may run after `pulumi stack init`.
// Used for the review environments (pr-<N> from dev) and the release build (from prod).
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { StackDocument, isSecure, readStackFile, stackFile } from "../settings/stack-file";
import { fail, parseCommand } from "../tools/cli";
import { REPO_ROOT, log, runMain } from "./lib";

const USAGE = "usage: ci/derive-stack-config.ts --from <stack> --to <stack> [--set key=value]... [--set-json key=<json>]...";
const STACK_NAME = /^[A-Za-z0-9_.-]+$/;

export type Override = [key: string, value: unknown];

export interface DeriveArgs {
  from: string;
  to: string;
  overrides: Override[];
}

function splitAssignment(text: string, flag: string): [string, string] {
  const at = text.indexOf("=");
  if (at <= 0) throw new Error(`${flag} needs key=value, got "${text}"`);
  return [text.slice(0, at), text.slice(at + 1)];
}

/** An override as given on the command line: --set key=value or --set-json key=<json>. */
export type Assignment = ["set" | "set-json", string];

/** Checks the stack names and turns the assignments into overrides, in command-line order. */
export function deriveArgs(from: string | undefined, to: string | undefined, assignments: Assignment[] = []): DeriveArgs {
  if (!from || !to || !STACK_NAME.test(from) || !STACK_NAME.test(to)) throw new Error("--from and --to must be stack names");
  if (from === to) throw new Error("--from and --to must differ");
  const overrides: Override[] = assignments.map(([flag, text]) => {
    const [key, raw] = splitAssignment(text, `--${flag}`);
    if (!key.includes(":")) throw new Error(`config key ${key} needs a namespace, e.g. clickvote:${key}`);
    if (flag === "set") return [key, raw];
    try {
      return [key, JSON.parse(raw)];
    } catch {
      throw new Error(`--set-json ${key}: not JSON: ${raw}`);
    }
  });
  return { from, to, overrides };
}

/** The new stack file's content from the source and the existing target document. */
export function deriveStackConfig(source: StackDocument, existingTarget: StackDocument, overrides: Override[]): { content: StackDocument; skipped: string[] } {
  const config: Record<string, unknown> = {};
  const skipped: string[] = [];
  for (const [key, value] of Object.entries(source.config ?? {})) {
    if (isSecure(value)) skipped.push(key);
    else config[key] = value;
  }
  for (const [key, value] of overrides) config[key] = value;
  return { content: { ...existingTarget, config }, skipped };
}

/** Writes Pulumi.<to>.yaml of the project from Pulumi.<from>.yaml and the overrides. */
export function writeDerivedStack(args: DeriveArgs, dir: string = REPO_ROOT): void {
  const sourceFile = stackFile(args.from, dir);
  const targetFile = stackFile(args.to, dir);
  if (!fs.existsSync(sourceFile)) throw new Error(`${sourceFile} not found`);
  const existing = fs.existsSync(targetFile) ? readStackFile(targetFile) : {};
  const { content, skipped } = deriveStackConfig(readStackFile(sourceFile), existing, args.overrides);
  const header = `# Written by ci/derive-stack-config.ts from Pulumi.${args.from}.yaml; not committed.\n`;
  fs.writeFileSync(targetFile, header + stringify(content));
  for (const key of skipped) log(`not copied (encrypted for ${args.from}): ${key}`);
  log(`wrote ${path.basename(targetFile)} (${Object.keys(content.config ?? {}).length} settings)`);
}

if (require.main === module) {
  runMain(() => {
    const { values, tokens } = parseCommand(
      {
        args: process.argv.slice(2),
        options: {
          from: { type: "string" },
          to: { type: "string" },
          set: { type: "string", multiple: true },
          "set-json": { type: "string", multiple: true },
        },
        tokens: true,
      },
      USAGE,
    );
    const assignments = tokens.flatMap((t): Assignment[] =>
      t.kind === "option" && (t.name === "set" || t.name === "set-json") && t.value !== undefined ? [[t.name, t.value]] : [],
    );
    let args: DeriveArgs;
    try {
      args = deriveArgs(values.from, values.to, assignments);
    } catch (err) {
      return fail(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    }
    writeDerivedStack(args);
  });
}
