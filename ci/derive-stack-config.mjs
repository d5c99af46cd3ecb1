#!/usr/bin/env node
// Writes the config of a CI-made stack from a committed one, in this checkout only:
//   node ci/derive-stack-config.mjs --from <stack> --to <stack> \
//        [--set key=value]... [--set-json key=<json>]...
//
// Pulumi.<to>.yaml gets every plain setting of Pulumi.<from>.yaml, then the --set (string)
// and --set-json (number, boolean, array) overrides. Encrypted (`secure:`) values are not
// copied: they are bound to the source stack's encryption salt; the caller sets the secrets
// the new stack needs with `pulumi config set --secret`. Keys of the target file other than
// `config` (encryptionsalt, secretsprovider) are kept, so this may run after `pulumi stack init`.
// Used for the review environments (pr-<N> from dev) and the release build (from prod).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";

const USAGE = "usage: derive-stack-config.mjs --from <stack> --to <stack> [--set key=value]... [--set-json key=<json>]...";
const STACK_NAME = /^[A-Za-z0-9_.-]+$/;

function fail(message) {
  process.stderr.write(`derive-stack-config: ${message}\n`);
  process.exit(2);
}

function splitAssignment(text, flag) {
  const at = text.indexOf("=");
  if (at <= 0) fail(`${flag} needs key=value, got "${text}"\n${USAGE}`);
  return [text.slice(0, at), text.slice(at + 1)];
}

export function parseArgs(argv) {
  const args = { from: "", to: "", overrides: [] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) fail(`${flag} needs a value\n${USAGE}`);
    i++;
    if (flag === "--from") args.from = value;
    else if (flag === "--to") args.to = value;
    else if (flag === "--set") args.overrides.push(splitAssignment(value, flag));
    else if (flag === "--set-json") {
      const [key, json] = splitAssignment(value, flag);
      try {
        args.overrides.push([key, JSON.parse(json)]);
      } catch {
        fail(`--set-json ${key}: not JSON: ${json}`);
      }
    } else fail(`unknown argument ${flag}\n${USAGE}`);
  }
  if (!STACK_NAME.test(args.from) || !STACK_NAME.test(args.to)) fail(`--from and --to must be stack names\n${USAGE}`);
  if (args.from === args.to) fail("--from and --to must differ");
  return args;
}

/** The new stack file's content (an object) from the source and the existing target file. */
export function deriveStackConfig(source, existingTarget, overrides) {
  const sourceConfig = source?.config ?? {};
  const config = {};
  const skipped = [];
  for (const [key, value] of Object.entries(sourceConfig)) {
    if (value !== null && typeof value === "object" && !Array.isArray(value) && "secure" in value) skipped.push(key);
    else config[key] = value;
  }
  for (const [key, value] of overrides) {
    if (!key.includes(":")) fail(`config key ${key} needs a namespace, e.g. clickvote:${key}`);
    config[key] = value;
  }
  return { content: { ...(existingTarget ?? {}), config }, skipped };
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const root = process.env.STACK_CONFIG_DIR ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const sourceFile = path.join(root, `Pulumi.${args.from}.yaml`);
  const targetFile = path.join(root, `Pulumi.${args.to}.yaml`);
  if (!existsSync(sourceFile)) fail(`${sourceFile} not found`);
  const source = parse(readFileSync(sourceFile, "utf8")) ?? {};
  const existing = existsSync(targetFile) ? parse(readFileSync(targetFile, "utf8")) ?? {} : {};
  const { content, skipped } = deriveStackConfig(source, existing, args.overrides);
  const header = `# Written by ci/derive-stack-config.mjs from Pulumi.${args.from}.yaml; not committed.\n`;
  writeFileSync(targetFile, header + stringify(content));
  for (const key of skipped) process.stderr.write(`derive-stack-config: not copied (encrypted for ${args.from}): ${key}\n`);
  process.stderr.write(`derive-stack-config: wrote ${path.basename(targetFile)} (${Object.keys(content.config).length} settings)\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
