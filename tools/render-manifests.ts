// Renders the Kubernetes objects a stack would create, without a cluster or the Pulumi CLI:
// runs the real program (index.ts) under Pulumi's mocks with the stack's Pulumi.<stack>.yaml
// (the same mocks as test/harness.ts) and writes each Kubernetes resource's inputs as YAML, with
// apiVersion/kind from the resource type token and every secret value replaced by a placeholder.
//
//   npm run render:manifests -- [--out <dir>] [--stack <name>]...   (default: dev and prod, into .manifests/)
//
// Output: <dir>/<stack>/<NN>-<kind>-<name>.yaml, one object per file. External checkers
// (tools/check-manifests.sh) read these; nothing here is applied to a cluster.
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml, stringify as toYaml } from "yaml";

const ROOT = path.resolve(__dirname, "..");
export const SECRET_PLACEHOLDER = "<redacted-secret>";
export const DEFAULT_OUT = path.join(ROOT, ".manifests");

/** Key and value that mark a secret in Pulumi's wire format. */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270";

type Obj = Record<string, unknown>;

function hex(text: string): string {
  return crypto.createHash("sha256").update(text).digest("hex");
}

/**
 * Serialized inputs with every secret value replaced by the placeholder. A secret object or list
 * keeps its shape (a Secret's stringData keeps its keys), only its leaf values are replaced.
 */
export function redactSecrets(value: unknown, inSecret = false): unknown {
  if (value !== null && typeof value === "object" && (value as Obj)[SECRET_SIG_KEY] === SECRET_SIG_VALUE) {
    return redactSecrets((value as Obj).value, true);
  }
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, inSecret));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSecrets(v, inSecret)]));
  }
  return inSecret && value !== undefined && value !== null ? SECRET_PLACEHOLDER : value;
}

/** apiVersion and kind of a pulumi-kubernetes type token ("kubernetes:apps/v1:Deployment" → apps/v1, Deployment). */
export function apiVersionKind(type: string): { apiVersion: string; kind: string } | undefined {
  const match = /^kubernetes:([^:]+)\/([^:/]+):([A-Za-z0-9]+)$/.exec(type);
  if (!match) return undefined;
  const [, group, version, kind] = match;
  return { apiVersion: group === "core" ? version : `${group}/${version}`, kind };
}

/** The stack file's config as the plain strings the engine hands to a program. */
function stackConfig(stack: string): Record<string, string> {
  const parsed = parseYaml(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config?: Obj } | null;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed?.config ?? {})) out[key] = typeof value === "string" ? value : JSON.stringify(value);
  return out;
}

interface Rendered {
  type: string;
  name: string;
  manifest: Obj;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getCustom(): boolean;
  getObject(): { toJavaScript(): Obj } | undefined;
}

/** Runs the program for one stack under mocks and returns its Kubernetes objects. One stack per process. */
export async function renderStack(stack: string): Promise<Rendered[]> {
  // Loaded lazily: the runtime is a process singleton configured for exactly one stack.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
  const names = new Map<string, string>();
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const inputs = args.inputs as Obj;
        const state: Obj = { ...inputs };
        if (args.type === "random:index/randomPassword:RandomPassword") state.result = `pw${hex(`password:${args.name}`).slice(0, 30)}`;
        if (args.type === "docker-build:index:Image") {
          const digest = `sha256:${hex(JSON.stringify(inputs.tags) + JSON.stringify(inputs.buildArgs))}`;
          state.digest = digest;
          state.ref = `${String((inputs.tags as string[])[0]).split(":")[0]}@${digest}`;
        }
        if (args.type.startsWith("kubernetes:") && args.custom) {
          const metadata = { ...((inputs.metadata as Obj) ?? {}) };
          // Pulumi auto-names objects without metadata.name: <resource name>-<random suffix>.
          if (!metadata.name) metadata.name = `${args.name}-${hex(args.name).slice(0, 8)}`;
          names.set(`${args.type}::${args.name}`, String(metadata.name));
          state.metadata = metadata;
        }
        return { id: `${args.name}-id`, state };
      },
      call(args) {
        if (args.token === "docker:index/getRegistryImage:getRegistryImage") {
          const name = String(args.inputs.name);
          return { name, sha256Digest: `sha256:${hex(name)}` };
        }
        throw new Error(`unexpected invoke ${args.token}`);
      },
    },
    "clickvote",
    stack,
    false,
  );
  pulumi.runtime.setAllConfig(stackConfig(stack), []);

  const recorded: { type: string; name: string; raw: Obj }[] = [];
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: RegisterRequest, callback: (err: unknown, res: unknown) => void): void;
  };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    if (req.getCustom()) recorded.push({ type: req.getType(), name: req.getName(), raw: req.getObject()?.toJavaScript() ?? {} });
    original(req, callback);
  };

  for (const key of ["GITHUB_TOKEN", "GITHUB_ACTOR"]) delete process.env[key];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(path.join(ROOT, "index"));
  await pulumi.runtime.awaitStackRegistrations();
  // Registrations that wait on outputs arrive later: wait until none came for a while.
  for (let seen = -1, waited = 0; seen !== recorded.length && waited < 30_000; waited += 250) {
    seen = recorded.length;
    await new Promise((r) => setTimeout(r, 250));
  }

  const out: Rendered[] = [];
  for (const r of recorded) {
    const gvk = apiVersionKind(r.type);
    if (!r.type.startsWith("kubernetes:")) continue;
    const props = redactSecrets(r.raw) as Obj;
    const apiVersion = (props.apiVersion as string | undefined) ?? gvk?.apiVersion;
    const kind = (props.kind as string | undefined) ?? gvk?.kind;
    if (!apiVersion || !kind) continue;
    const metadata = { ...((props.metadata as Obj) ?? {}) };
    if (!metadata.name) metadata.name = names.get(`${r.type}::${r.name}`) ?? r.name;
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

function parseArgs(argv: string[]): { out: string; stacks: string[] } {
  let out = DEFAULT_OUT;
  const stacks: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--out") out = path.resolve(argv[++i]);
    else if (argv[i] === "--stack") stacks.push(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]} (usage: render-manifests.ts [--out dir] [--stack name]...)`);
  }
  return { out, stacks: stacks.length > 0 ? stacks : ["dev", "prod"] };
}

async function main(): Promise<void> {
  const { out, stacks } = parseArgs(process.argv.slice(2));
  if (stacks.length === 1) {
    const files = writeManifests(await renderStack(stacks[0]), out, stacks[0]);
    console.log(`${stacks[0]}: ${files.length} objects in ${path.relative(process.cwd(), path.join(out, stacks[0])) || "."}`);
    return;
  }
  // Pulumi's runtime is a process singleton: one child process per stack.
  for (const stack of stacks) {
    const result = spawnSync(process.execPath, [...process.execArgv, __filename, "--out", out, "--stack", stack], { stdio: "inherit", cwd: ROOT });
    if (result.status !== 0) process.exit(result.status ?? 1);
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  });
}
