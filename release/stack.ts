// Shared by the release commands: argument parsing and the Automation API stack.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EngineEvent, LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { policyConfigFor } from "../tools/policy-config";
import { PROJECT_DIR } from "../settings/stack-file";
import { fail, parseCommand } from "../tools/cli";
import { HistoryEntry, Release, rollbackSettings } from "./releases";

export { fail };
export const PROJECT_ROOT = PROJECT_DIR;

export interface CommandArgs {
  stack: string;
  /** Pulumi project directory: --cwd, else CLICKVOTE_PROJECT_DIR, else this repository. */
  workDir: string;
  to?: string;
  yes: boolean;
  policyPacks: string[];
  /** --policy-pack-config files; empty means "derive it from the stack" (policyOptions). */
  policyPackConfigs: string[];
}

/** --stack S [--to V] [--yes] [--policy-pack DIR]… [--policy-pack-config FILE]… [--cwd DIR]; exits with a usage message on anything else. */
export function parseCommandArgs(argv: string[], usage: string): CommandArgs {
  const { values } = parseCommand(
    {
      args: argv,
      options: {
        stack: { type: "string" },
        to: { type: "string" },
        yes: { type: "boolean", default: false },
        "policy-pack": { type: "string", multiple: true, default: [] },
        "policy-pack-config": { type: "string", multiple: true, default: [] },
        cwd: { type: "string" },
      },
    },
    usage,
  );
  if (!values.stack) fail(`--stack is required\n${usage}`);
  const envDir = process.env.CLICKVOTE_PROJECT_DIR;
  const workDir = values.cwd ?? envDir;
  return {
    stack: values.stack,
    workDir: workDir ? path.resolve(workDir) : PROJECT_ROOT,
    to: values.to,
    yes: values.yes,
    policyPacks: values["policy-pack"].map((p) => path.resolve(p)),
    policyPackConfigs: values["policy-pack-config"].map((p) => path.resolve(p)),
  };
}

/**
 * The policy options of every preview and up a release command runs. With packs but no
 * --policy-pack-config, the config is derived from the stack's settings and
 * policy/denied-images.json (tools/policy-config.ts), as `npm run deploy:dev` does, so the
 * pack judges the stack by what it asks for. Throws (naming the file) when that cannot be read.
 */
export function policyOptions(args: CommandArgs): { policyPacks: string[]; policyPackConfigs: string[] } {
  if (args.policyPacks.length === 0 || args.policyPackConfigs.length > 0) return { policyPacks: args.policyPacks, policyPackConfigs: args.policyPackConfigs };
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "clickvote-policy-")), "config.json");
  fs.writeFileSync(file, JSON.stringify(policyConfigFor(args.stack, {}, args.workDir), null, 2));
  return { policyPacks: args.policyPacks, policyPackConfigs: args.policyPacks.map(() => file) };
}

/**
 * Collects the mandatory policy violations an engine run reports, from its policy events:
 * pass `onEvent` to preview/up, read `found` after ("<policy>: <message>", one per violation).
 */
export function mandatoryViolations(): { onEvent: (e: EngineEvent) => void; found: string[] } {
  const found: string[] = [];
  return {
    found,
    onEvent: (e: EngineEvent) => {
      const p = e.policyEvent;
      if (p?.enforcementLevel !== "mandatory") return;
      // The message is the policy's description, then the violation; keep the violation.
      const lines = p.message
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean);
      const entry = `${p.policyName}: ${lines[lines.length - 1] ?? p.message}`;
      if (!found.includes(entry)) found.push(entry);
    },
  };
}

/** Why an engine run failed: the mandatory policy violations it reported, else its failure summary. */
export function refusalReason(error: unknown, violations: string[]): string {
  return violations.length > 0 ? `refused by the policy pack:\n  ${violations.join("\n  ")}` : failureSummary(error);
}

export async function openStack(name: string, workDir: string = PROJECT_ROOT): Promise<Stack> {
  return LocalWorkspace.selectStack({ stackName: name, workDir });
}

export async function deploymentHistory(stack: Stack): Promise<HistoryEntry[]> {
  return (await stack.history()) as HistoryEntry[];
}

/**
 * Points the stack's image settings at a release (written to Pulumi.<stack>.yaml). Returns a
 * function that puts back what those settings were before, for a release that is refused.
 */
export async function pinRelease(stack: Stack, release: Release): Promise<() => Promise<void>> {
  const before = await stack.getAllConfig();
  const pinned = Object.entries(rollbackSettings(release)).map(([key, value]) => [`clickvote:${key}`, value] as const);
  const write = async (values: ReadonlyArray<readonly [string, string]>) => {
    for (const [key, value] of values) {
      if (value === "") await stack.removeConfig(key);
      else await stack.setConfig(key, { value });
    }
  };
  await write(pinned);
  return () => write(pinned.map(([key]) => [key, before[key]?.value ?? ""] as const));
}

/**
 * What failed, from an engine error: the Diagnostics section's per-resource errors
 * ("<type> (<name>): <message>"), else the lines that look like failures — never the
 * Automation API's "Command failed with exit code" wrapper.
 */
export function failureSummary(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text.split("\n").map((l) => l.trim());
  const generic = (l: string) =>
    /Command failed with exit code|^error: update failed$|^error: preview failed$/.test(l) || /^(stdout|stderr|code|err\?):\s*$/.test(l);
  const found: string[] = [];
  let resource: string | undefined;
  let inDiagnostics = false;
  for (const line of lines) {
    if (line === "Diagnostics:") {
      inDiagnostics = true;
      continue;
    }
    if (!inDiagnostics) continue;
    if (/^(Outputs|Resources|Duration):/.test(line)) {
      inDiagnostics = false;
      continue;
    }
    const header = /^([\w:./-]+) \((.+)\):$/.exec(line);
    if (header) {
      resource = header[1] === "pulumi:pulumi:Stack" ? undefined : `${header[1]} (${header[2]})`;
      continue;
    }
    if (/^error:/.test(line) && !generic(line)) {
      const entry = `${resource ? `${resource}: ` : ""}${line.slice(0, 600)}`;
      if (!found.includes(entry)) found.push(entry);
    } else if (/^\* /.test(line) && found.length > 0) {
      // The items of "error: N errors occurred:" (why a Deployment or Job did not become ready).
      found.push(`  ${line.slice(0, 400)}`);
    }
  }
  if (found.length > 0) return found.slice(0, 16).join("\n");
  const interesting = lines.filter((l) => !generic(l) && /error:|failed|timed out|Job|Deployment|StatefulSet/i.test(l) && l.length < 400);
  return (interesting.length > 0 ? interesting.slice(0, 12) : lines.filter((l) => l && !generic(l)).slice(-8)).join("\n");
}

export const print = (s: string) => process.stdout.write(s);
