// Shared by the release commands: argument parsing and the Automation API stack.
import * as path from "node:path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { HistoryEntry, Release, rollbackSettings } from "./releases";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

export interface CommandArgs {
  stack: string;
  to?: string;
  yes: boolean;
  policyPacks: string[];
}

/** --stack S [--to V] [--yes] [--policy-pack DIR]…; exits with a usage message on anything else. */
export function parseArgs(argv: string[], usage: string): CommandArgs {
  const args: CommandArgs = { stack: "", yes: false, policyPacks: [] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) fail(`${flag} needs a value\n${usage}`);
      return v;
    };
    if (flag === "--stack") args.stack = value();
    else if (flag === "--to") args.to = value();
    else if (flag === "--policy-pack") args.policyPacks.push(path.resolve(value()));
    else if (flag === "--yes") args.yes = true;
    else fail(`unknown argument ${flag}\n${usage}`);
  }
  if (!args.stack) fail(`--stack is required\n${usage}`);
  return args;
}

export function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

export async function openStack(name: string): Promise<Stack> {
  return LocalWorkspace.selectStack({ stackName: name, workDir: PROJECT_ROOT });
}

export async function deploymentHistory(stack: Stack): Promise<HistoryEntry[]> {
  return (await stack.history()) as HistoryEntry[];
}

/** Points the stack's image settings at a release (written to Pulumi.<stack>.yaml). */
export async function pinRelease(stack: Stack, release: Release): Promise<void> {
  for (const [key, value] of Object.entries(rollbackSettings(release))) {
    if (value === "") await stack.removeConfig(`clickvote:${key}`);
    else await stack.setConfig(`clickvote:${key}`, { value });
  }
}

/** The lines of an engine error worth showing: resource failures, not the whole log. */
export function failureSummary(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text.split("\n").map((l) => l.trim());
  const interesting = lines.filter((l) => /error:|failed|timed out|Diagnostics|Job|Deployment|StatefulSet/i.test(l) && l.length < 400);
  return (interesting.length > 0 ? interesting.slice(0, 12) : lines.slice(-8)).join("\n");
}

export const print = (s: string) => process.stdout.write(s);
