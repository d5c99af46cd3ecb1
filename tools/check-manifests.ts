// Runs kube-score over the manifests tools/render-manifests.ts wrote, applying the justified
// exceptions of tools/kube-score-exceptions.yaml, and fails on any other WARNING or CRITICAL.
//
//   npm run check:manifests      (tools/check-manifests.sh: install kube-score, render, check)
//   tsx tools/check-manifests.ts --kube-score <bin> [--manifests <dir>] [--stack <name>]...
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml, parseAllDocuments, stringify as toYaml } from "yaml";
import { parseCommand } from "./cli";

const ROOT = path.resolve(__dirname, "..");
export const EXCEPTIONS_FILE = path.join(ROOT, "tools/kube-score-exceptions.yaml");
export const IGNORE_ANNOTATION = "kube-score/ignore";

export interface KubeScoreException {
  check: string;
  reason: string;
  /** Kind/name of the objects the exception covers; none: every object. */
  objects?: string[];
  /** Stacks the exception applies to; none: every stack. */
  stacks?: string[];
}

export interface KubeScoreSettings {
  kubernetesVersion: string;
  enableOptionalTests: string[];
  ignoreContainerCpuLimit: boolean;
  exceptions: KubeScoreException[];
}

export function loadSettings(file = EXCEPTIONS_FILE): KubeScoreSettings {
  const raw = parseYaml(fs.readFileSync(file, "utf8")) as Partial<KubeScoreSettings>;
  const settings: KubeScoreSettings = {
    kubernetesVersion: raw.kubernetesVersion ?? "v1.33",
    enableOptionalTests: raw.enableOptionalTests ?? [],
    ignoreContainerCpuLimit: raw.ignoreContainerCpuLimit === true,
    exceptions: raw.exceptions ?? [],
  };
  for (const e of settings.exceptions) {
    if (!e.check || typeof e.reason !== "string" || e.reason.trim().length < 20) {
      throw new Error(`${file}: every exception needs a check id and a reason (got ${JSON.stringify(e)})`);
    }
  }
  return settings;
}

export interface Finding {
  stack: string;
  object: string;
  check: string;
  grade: "CRITICAL" | "WARNING";
  messages: string[];
  file: string;
}

const applies = (e: KubeScoreException, stack: string) => !e.stacks || e.stacks.includes(stack);

/**
 * Copies a stack's manifests into workDir, adding kube-score/ignore annotations for the
 * per-object exceptions (unless raw), and returns the copies' paths.
 */
export function prepareManifests(stackDir: string, workDir: string, stack: string, settings: KubeScoreSettings, raw = false): string[] {
  fs.mkdirSync(workDir, { recursive: true });
  const files = fs
    .readdirSync(stackDir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  return files.map((f) => {
    const docs = parseAllDocuments(fs.readFileSync(path.join(stackDir, f), "utf8")).map((d) => d.toJS() as Record<string, unknown>);
    const out = docs.map((doc) => {
      const metadata = { ...((doc.metadata as Record<string, unknown>) ?? {}) };
      const ref = `${String(doc.kind)}/${String(metadata.name)}`;
      const ignored = raw ? [] : settings.exceptions.filter((e) => e.objects?.includes(ref) && applies(e, stack)).map((e) => e.check);
      if (ignored.length > 0) {
        const annotations = { ...((metadata.annotations as Record<string, string>) ?? {}) };
        const existing = annotations[IGNORE_ANNOTATION] ? annotations[IGNORE_ANNOTATION].split(",").map((s) => s.trim()) : [];
        annotations[IGNORE_ANNOTATION] = [...new Set([...existing, ...ignored])].join(",");
        metadata.annotations = annotations;
      }
      return toYaml({ ...doc, metadata });
    });
    const target = path.join(workDir, f);
    fs.writeFileSync(target, out.join("---\n"));
    return target;
  });
}

interface KubeScoreCheck {
  check: { id: string; name: string };
  grade: number;
  skipped: boolean;
  comments: { path?: string; summary?: string; description?: string }[] | null;
}
interface KubeScoreObject {
  object_name: string;
  type_meta: { kind: string };
  object_meta: { name: string };
  checks: KubeScoreCheck[];
  file_name: string;
}

/** kube-score's arguments for one run: global exceptions as --ignore-test unless raw. */
export function kubeScoreArgs(files: string[], stack: string, settings: KubeScoreSettings, raw = false): string[] {
  const args = ["score", "--output-format", "json", "--kubernetes-version", settings.kubernetesVersion];
  for (const t of settings.enableOptionalTests) args.push("--enable-optional-test", t);
  if (!raw) {
    if (settings.ignoreContainerCpuLimit) args.push("--ignore-container-cpu-limit");
    for (const e of settings.exceptions) if (!e.objects && applies(e, stack)) args.push("--ignore-test", e.check);
  }
  return [...args, ...files];
}

/** Runs kube-score and returns its WARNING and CRITICAL findings. */
export function runKubeScore(bin: string, files: string[], stack: string, settings: KubeScoreSettings, raw = false): Finding[] {
  const result = spawnSync(bin, kubeScoreArgs(files, stack, settings, raw), { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  // kube-score exits 1 when it found something critical; anything else non-zero is a failure to run.
  if (result.status !== 0 && result.status !== 1) throw new Error(`kube-score failed (${result.status}): ${result.stderr}`);
  let objects: KubeScoreObject[];
  try {
    objects = JSON.parse(result.stdout) as KubeScoreObject[];
  } catch {
    throw new Error(`kube-score printed no JSON (exit ${result.status}): ${result.stderr}${result.stdout.slice(0, 2000)}`);
  }
  const findings: Finding[] = [];
  for (const o of objects) {
    for (const c of o.checks) {
      if (c.skipped || c.grade > 5 || c.grade === 0) continue;
      findings.push({
        stack,
        object: `${o.type_meta.kind}/${o.object_meta.name}`,
        check: c.check.id,
        grade: c.grade <= 1 ? "CRITICAL" : "WARNING",
        messages: (c.comments ?? []).map((m) => [m.path, m.summary].filter(Boolean).join(": ")),
        file: path.basename(o.file_name),
      });
    }
  }
  return findings;
}

export interface StackReport {
  stack: string;
  objects: number;
  findings: Finding[];
  /** Findings without the exceptions, to tell which exceptions still suppress something. */
  rawFindings: Finding[];
}

export function checkStack(bin: string, manifestsDir: string, stack: string, settings = loadSettings()): StackReport {
  const stackDir = path.join(manifestsDir, stack);
  if (!fs.existsSync(stackDir)) throw new Error(`no manifests for stack ${stack} in ${manifestsDir} (run tools/render-manifests.ts first)`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `kube-score-${stack}-`));
  try {
    const files = prepareManifests(stackDir, path.join(work, "checked"), stack, settings);
    const rawFiles = prepareManifests(stackDir, path.join(work, "raw"), stack, settings, true);
    return {
      stack,
      objects: files.length,
      findings: runKubeScore(bin, files, stack, settings),
      rawFindings: runKubeScore(bin, rawFiles, stack, settings, true),
    };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Exceptions (and the CPU-limit switch) that suppress no raw finding in any of the reports. */
export function unusedExceptions(reports: StackReport[], settings: KubeScoreSettings): string[] {
  const unused: string[] = [];
  for (const e of settings.exceptions) {
    const used = reports.some((r) => applies(e, r.stack) && r.rawFindings.some((f) => f.check === e.check && (!e.objects || e.objects.includes(f.object))));
    if (!used) unused.push(e.check);
  }
  if (settings.ignoreContainerCpuLimit) {
    const used = reports.some((r) => r.rawFindings.some((f) => f.check === "container-resources" && f.messages.some((m) => /CPU limit/i.test(m))));
    if (!used) unused.push("ignoreContainerCpuLimit");
  }
  return unused;
}

export function formatFinding(f: Finding): string {
  return `[${f.grade}] ${f.stack} ${f.object} ${f.check}: ${f.messages.join("; ") || "(no detail)"} (${f.file})`;
}

const USAGE = "usage: check-manifests.ts [--kube-score BIN] [--manifests DIR] [--stack NAME]...";

function main(): void {
  const { values } = parseCommand(
    {
      args: process.argv.slice(2),
      options: { manifests: { type: "string" }, "kube-score": { type: "string" }, stack: { type: "string", multiple: true } },
    },
    USAGE,
  );
  const manifests = path.resolve(values.manifests ?? path.join(ROOT, ".manifests"));
  const bin = values["kube-score"] ?? process.env.KUBE_SCORE ?? "kube-score";
  const stacks = values.stack ?? [];
  const settings = loadSettings();
  const reports = (stacks.length > 0 ? stacks : ["dev", "prod"]).map((s) => checkStack(bin, manifests, s, settings));
  let failed = false;
  for (const r of reports) {
    console.log(
      `${r.stack}: ${r.objects} objects, ${r.findings.length} findings (${r.rawFindings.length} before the exceptions in ${path.relative(ROOT, EXCEPTIONS_FILE)})`,
    );
    for (const f of r.findings) console.log("  " + formatFinding(f));
    if (r.findings.length > 0) failed = true;
  }
  const unused = unusedExceptions(reports, settings);
  if (unused.length > 0) {
    console.log(`exceptions that no longer suppress anything (remove them): ${unused.join(", ")}`);
    failed = true;
  }
  process.exit(failed ? 1 : 0);
}

if (require.main === module) main();
