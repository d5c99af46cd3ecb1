// Loading and walking the GitHub Actions files for test/workflows.test.ts.
import { readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

export const ROOT = path.resolve(__dirname, "..");
export const WORKFLOW_DIR = path.join(ROOT, ".github", "workflows");
export const ACTIONS_DIR = path.join(ROOT, ".github", "actions");
export const CI_SCRIPTS_DIR = path.join(ROOT, "ci");

export type Scalar = string | number | boolean | null;
export type Yaml = Scalar | Yaml[] | { [key: string]: Yaml };
export type YamlMap = { [key: string]: Yaml };

export interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, Scalar>;
  env?: Record<string, Scalar>;
}

export interface Job {
  name?: string;
  if?: string;
  needs?: string | string[];
  permissions?: Record<string, string> | string;
  concurrency?: { group: string; "cancel-in-progress"?: boolean | string } | string;
  environment?: string | { name: string; url?: string };
  env?: Record<string, Scalar>;
  strategy?: { matrix?: YamlMap };
  steps?: Step[];
  outputs?: Record<string, string>;
}

export interface Workflow {
  file: string;
  text: string;
  data: YamlMap & { on: Yaml; jobs: Record<string, Job>; permissions?: Yaml; concurrency?: Job["concurrency"] };
}

export interface CompositeAction {
  file: string;
  text: string;
  data: YamlMap & { runs: { using: string; steps: Step[] } };
}

export function loadWorkflows(): Workflow[] {
  return readdirSync(WORKFLOW_DIR)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => {
      const file = path.join(WORKFLOW_DIR, f);
      const text = readFileSync(file, "utf8");
      return { file, text, data: parse(text) as Workflow["data"] };
    });
}

export function loadCompositeActions(): CompositeAction[] {
  return readdirSync(ACTIONS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => path.join(ACTIONS_DIR, d.name, "action.yml"))
    .map((file) => {
      const text = readFileSync(file, "utf8");
      return { file, text, data: parse(text) as CompositeAction["data"] };
    });
}

export function workflow(name: string): Workflow {
  const found = loadWorkflows().find((w) => path.basename(w.file) === `${name}.yml`);
  if (!found) throw new Error(`.github/workflows/${name}.yml is missing`);
  return found;
}

/** The events a workflow runs on, whatever form `on:` takes. */
export function triggers(w: Workflow): Record<string, YamlMap | null> {
  const on = w.data.on;
  if (typeof on === "string") return { [on]: null };
  if (Array.isArray(on)) return Object.fromEntries(on.map((e) => [String(e), null]));
  if (on && typeof on === "object") {
    return Object.fromEntries(Object.entries(on).map(([k, v]) => [k, v && typeof v === "object" && !Array.isArray(v) ? v : null]));
  }
  return {};
}

export function needsOf(job: Job): string[] {
  return job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs];
}

export function runText(job: Job): string {
  return (job.steps ?? []).map((s) => s.run ?? "").join("\n");
}

export function environmentName(job: Job): string | undefined {
  return typeof job.environment === "string" ? job.environment : job.environment?.name;
}

/** Every (label, step) pair of every workflow job and composite action. */
export function allSteps(): { where: string; step: Step; job?: Job }[] {
  const out: { where: string; step: Step; job?: Job }[] = [];
  for (const w of loadWorkflows()) {
    for (const [id, job] of Object.entries(w.data.jobs)) {
      for (const step of job.steps ?? []) out.push({ where: `${path.basename(w.file)}#${id}`, step, job });
    }
  }
  for (const a of loadCompositeActions()) {
    for (const step of a.data.runs.steps) out.push({ where: path.relative(ROOT, a.file), step });
  }
  return out;
}

/** `uses:` lines with their trailing comment, from the raw text (YAML parsing drops comments). */
export function usesLines(text: string): { ref: string; comment: string; line: number }[] {
  const out: { ref: string; comment: string; line: number }[] = [];
  text.split("\n").forEach((line, i) => {
    const m = /^\s*(?:-\s+)?uses:\s*["']?([^\s"'#]+)["']?\s*(?:#\s*(.*))?$/.exec(line);
    if (m) out.push({ ref: m[1], comment: (m[2] ?? "").trim(), line: i + 1 });
  });
  return out;
}
