// Shared by the release commands: argument parsing and the Automation API stack.
import * as path from "node:path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
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
}

/** --stack S [--to V] [--yes] [--policy-pack DIR]… [--cwd DIR]; exits with a usage message on anything else. */
export function parseCommandArgs(argv: string[], usage: string): CommandArgs {
  const { values } = parseCommand(
    {
      args: argv,
      options: {
        stack: { type: "string" },
        to: { type: "string" },
        yes: { type: "boolean", default: false },
        "policy-pack": { type: "string", multiple: true, default: [] },
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
  };
}

export async function openStack(name: string, workDir: string = PROJECT_ROOT): Promise<Stack> {
  return LocalWorkspace.selectStack({ stackName: name, workDir });
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
