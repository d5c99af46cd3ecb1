// Renders the Kubernetes objects a stack would create, without a cluster or the Pulumi CLI:
// runs the real program (index.ts) under Pulumi's mocks with the stack's Pulumi.<stack>.yaml
// (tools/mock-program.ts, the same runner as the tests) and writes each Kubernetes resource's inputs as YAML, with
// apiVersion/kind from the resource type token and every secret value replaced by a placeholder.
//
//   npm run render:manifests -- [--out <dir>] [--stack <name>]...   (default: dev and prod, into .manifests/)
//
// Output: <dir>/<stack>/<NN>-<kind>-<name>.yaml, one object per file. External checkers
// (tools/check-manifests.sh) read these; nothing here is applied to a cluster.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify as toYaml } from "yaml";
import { PROJECT_DIR } from "../settings/stack-file";
import { parseCommand } from "./cli";
import { autoName, redactSecrets, runProgram } from "./mock-program";

export { SECRET_PLACEHOLDER } from "./mock-program";
export const DEFAULT_OUT = path.join(PROJECT_DIR, ".manifests");

type Obj = Record<string, unknown>;

/** apiVersion and kind of a pulumi-kubernetes type token ("kubernetes:apps/v1:Deployment" → apps/v1, Deployment). */
export function apiVersionKind(type: string): { apiVersion: string; kind: string } | undefined {
  const match = /^kubernetes:([^:]+)\/([^:/]+):([A-Za-z0-9]+)$/.exec(type);
  if (!match) return undefined;
  const [, group, version, kind] = match;
  return { apiVersion: group === "core" ? version : `${group}/${version}`, kind };
}

interface Rendered {
  type: string;
  name: string;
  manifest: Obj;
}

/** Runs the program for one stack under mocks (tools/mock-program.ts) and returns its Kubernetes objects. One stack per process. */
export async function renderStack(stack: string): Promise<Rendered[]> {
  // Registrations that wait on outputs arrive later: wait until none came for a while.
  const run = await runProgram({ stack, quietMs: 250 });
  const out: Rendered[] = [];
  for (const r of run.resources) {
    if (!r.custom || !r.type.startsWith("kubernetes:")) continue;
    const gvk = apiVersionKind(r.type);
    const props = redactSecrets(r.rawProps) as Obj;
    const apiVersion = (props.apiVersion as string | undefined) ?? gvk?.apiVersion;
    const kind = (props.kind as string | undefined) ?? gvk?.kind;
    if (!apiVersion || !kind) continue;
    const metadata = { ...((props.metadata as Obj) ?? {}) };
    // Pulumi auto-names objects without metadata.name, as the mocks do.
    if (!metadata.name) metadata.name = autoName(r.name);
    const rest = Object.fromEntries(Object.entries(props).filter(([k]) => !["apiVersion", "kind", "metadata"].includes(k)));
    out.push({ type: r.type, name: r.name, manifest: { apiVersion, kind, metadata, ...rest } });
  }
  // Registration order depends on when outputs resolve: sort for stable file names.
  const key = (o: Rendered) => `${String(o.manifest.kind)}/${String((o.manifest.metadata as Obj).name)}`;
  return out.sort((a, b) => key(a).localeCompare(key(b)));
}

/** Writes one stack's objects to <outDir>/<stack>/ (replacing what was there) and returns the file paths. */
export function writeManifests(objects: Rendered[], outDir: string, stack: string): string[] {
  const dir = path.join(outDir, stack);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return objects.map((o, i) => {
    const meta = o.manifest.metadata as Obj;
    const file = path.join(dir, `${String(i + 1).padStart(2, "0")}-${String(o.manifest.kind).toLowerCase()}-${String(meta.name)}.yaml`);
    fs.writeFileSync(file, `# ${o.type} ${o.name} (stack ${stack}, rendered under mocks by tools/render-manifests.ts)\n${toYaml(o.manifest)}`);
    return file;
  });
}

const USAGE = "usage: render-manifests.ts [--out dir] [--stack name]...";

/** --out DIR, --stack NAME (repeatable; default dev and prod). */
export function parseCommandLine(argv: string[]): { out: string; stacks: string[] } {
  const { values } = parseCommand({ args: argv, options: { out: { type: "string" }, stack: { type: "string", multiple: true } } }, USAGE);
  const stacks = values.stack ?? [];
  return { out: path.resolve(values.out ?? DEFAULT_OUT), stacks: stacks.length > 0 ? stacks : ["dev", "prod"] };
}

async function main(): Promise<void> {
  const { out, stacks } = parseCommandLine(process.argv.slice(2));
  if (stacks.length === 1) {
    const files = writeManifests(await renderStack(stacks[0]), out, stacks[0]);
    console.log(`${stacks[0]}: ${files.length} objects in ${path.relative(process.cwd(), path.join(out, stacks[0])) || "."}`);
    return;
  }
  // Pulumi's runtime is a process singleton: one child process per stack.
  for (const stack of stacks) {
    const result = spawnSync(process.execPath, [...process.execArgv, __filename, "--out", out, "--stack", stack], { stdio: "inherit", cwd: PROJECT_DIR });
    if (result.status !== 0) process.exit(result.status ?? 1);
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  });
}
