// Runs the real Pulumi program (index.ts) under Pulumi's mocks with a stack's real config
// file, and records every resource with its inputs and its resource options.
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { vi } from "vitest";
import { parse as parseYaml } from "yaml";
import type * as PulumiModule from "@pulumi/pulumi";

export const ROOT = path.resolve(__dirname, "..");

export interface RecordedOptions {
  dependsOn: string[];
  parent?: string;
  protect: boolean;
  retainOnDelete: boolean;
  deleteBeforeReplace: boolean;
  ignoreChanges: string[];
  customTimeouts?: { create?: string; update?: string; delete?: string };
  provider?: string;
}

export interface RecordedResource {
  type: string;
  name: string;
  urn: string;
  custom: boolean;
  /** Inputs as the provider received them (secrets unwrapped). */
  inputs: Record<string, unknown>;
  /** Inputs as serialized for the engine: secrets still wrapped. */
  rawProps: unknown;
  opts: RecordedOptions;
}

export interface ProgramRun {
  resources: RecordedResource[];
  /** Stack outputs. */
  outputs: Record<string, unknown>;
  /** Generated passwords handed out by the random mock, to look for leaks. */
  generatedSecrets: string[];
  byType(type: string): RecordedResource[];
  one(type: string, nameIncludes?: string): RecordedResource;
}

/** A stack file's config as the plain strings the engine hands to a program. */
export function stackConfig(stack: string): Record<string, string> {
  const file = path.join(ROOT, `Pulumi.${stack}.yaml`);
  const parsed = parseYaml(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed.config ?? {})) {
    out[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return out;
}

function hex(text: string): string {
  return crypto.createHash("sha256").update(text).digest("hex");
}

/** Deterministic, secret-looking password derived from the resource name. */
function fakePassword(name: string): string {
  return `pw${hex(`password:${name}`).slice(0, 30)}`;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getCustom(): boolean;
  getParent(): string;
  getProvider(): string;
  getProtect(): boolean | undefined;
  getRetainondelete(): boolean | undefined;
  getDeletebeforereplace(): boolean;
  getDependenciesList(): string[];
  getIgnorechangesList(): string[];
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
  getCustomtimeouts(): { getCreate(): string; getUpdate(): string; getDelete(): string } | undefined;
}

export interface RunOptions {
  stack: string;
  /** Extra or replacing settings: "appReplicas" is clickvote's, "kubernetes:context" as given. */
  overrides?: Record<string, string>;
  secrets?: Record<string, string>;
  preview?: boolean;
  env?: Record<string, string | undefined>;
  /** Changes every generated password, as `pulumi up --replace` of a RandomPassword would. */
  passwordGeneration?: number;
  /** Outputs of the stack's previous update, as a StackReference to the stack itself reads them. */
  previousOutputs?: Record<string, unknown>;
  /** How long to wait for registrations when a value never resolves (a failed invoke). */
  settleMs?: number;
}

/**
 * Loads index.ts with fresh modules under mocks and waits for every registration. Throws
 * what the program throws (e.g. a ConfigValidationError) along with the resources registered
 * so far, so a test can check that nothing was registered.
 */
export async function runProgram(options: RunOptions): Promise<ProgramRun> {
  vi.resetModules();
  const pulumi = (await import("@pulumi/pulumi")) as typeof PulumiModule;
  const resources: RecordedResource[] = [];
  const generatedSecrets: string[] = [];

  // Keys without a namespace are Clickvote's ("appReplicas"); others are used as given ("kubernetes:context").
  const full = (key: string) => (key.includes(":") ? key : `clickvote:${key}`);
  const config: Record<string, string> = { ...stackConfig(options.stack) };
  for (const [k, v] of Object.entries(options.overrides ?? {})) config[full(k)] = v;
  const secretKeys: string[] = [];
  for (const [k, v] of Object.entries(options.secrets ?? {})) {
    config[full(k)] = v;
    secretKeys.push(full(k));
  }
  const savedEnv: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(options.env ?? { GITHUB_TOKEN: undefined, GITHUB_ACTOR: undefined })) {
    savedEnv[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }

  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const inputs = args.inputs as Record<string, unknown>;
        const state: Record<string, unknown> = { ...inputs };
        if (args.type === "random:index/randomPassword:RandomPassword") {
          const pw = fakePassword(`${args.name}#${options.passwordGeneration ?? 0}`);
          generatedSecrets.push(pw);
          state.result = pw;
        }
        if (args.type === "pulumi:pulumi:StackReference") {
          state.outputs = options.previousOutputs ?? {};
          state.secretOutputNames = [];
        }
        if (args.type === "docker-build:index:Image") {
          const digest = `sha256:${hex(JSON.stringify(inputs.tags) + JSON.stringify(inputs.buildArgs))}`;
          state.digest = digest;
          state.ref = `${String((inputs.tags as string[])[0]).split(":")[0]}@${digest}`;
        }
        if (args.type.startsWith("kubernetes:") && args.custom) {
          const metadata = { ...((inputs.metadata as Record<string, unknown>) ?? {}) };
          if (!metadata.name) metadata.name = `${args.name}-${hex(args.name).slice(0, 8)}`;
          state.metadata = metadata;
        }
        return { id: `${args.name}-id`, state };
      },
      call(args) {
        if (args.token === "docker:index/getRegistryImage:getRegistryImage") {
          const name = String(args.inputs.name);
          if (name.includes("missing")) throw new Error(`manifest unknown: ${name}`);
          return { name, sha256Digest: `sha256:${hex(name)}` };
        }
        throw new Error(`unexpected invoke ${args.token}`);
      },
    },
    "clickvote",
    options.stack,
    options.preview ?? false,
    // The DIY backends' organization; the program names its own stack with it (data identity).
    "organization",
  );
  pulumi.runtime.setAllConfig(config, secretKeys);

  // The mock monitor receives each RegisterResourceRequest with the resource options and
  // the serialized inputs (secrets still wrapped): record both before the mocks see them.
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: RegisterRequest, callback: (err: unknown, res: unknown) => void): void;
  };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    const ct = req.getCustomtimeouts();
    resources.push({
      type: req.getType(),
      name: req.getName(),
      urn: "",
      custom: req.getCustom(),
      inputs: {},
      rawProps: req.getObject()?.toJavaScript() ?? {},
      opts: {
        dependsOn: req.getDependenciesList(),
        parent: req.getParent() || undefined,
        protect: req.getProtect() === true,
        retainOnDelete: req.getRetainondelete() === true,
        deleteBeforeReplace: req.getDeletebeforereplace(),
        ignoreChanges: req.getIgnorechangesList(),
        customTimeouts: ct ? { create: ct.getCreate(), update: ct.getUpdate(), delete: ct.getDelete() } : undefined,
        provider: req.getProvider() || undefined,
      },
    });
    original(req, (err, res) => {
      const urn = (res as { getUrn?: () => string } | undefined)?.getUrn?.();
      const rec = resources.find((r) => r.urn === "" && r.type === req.getType() && r.name === req.getName());
      if (rec && urn) rec.urn = urn;
      callback(err, res);
    });
  };

  // A failing invoke or apply surfaces as an unhandled rejection, as it fails a real update.
  const asyncFailures: unknown[] = [];
  const onFailure = (err: unknown) => asyncFailures.push(err);
  process.on("unhandledRejection", onFailure);
  let program: Record<string, unknown> = {};
  let failure: unknown;
  try {
    program = (await import("../index")) as Record<string, unknown>;
  } catch (err) {
    failure = err;
  }
  // Registrations that wait on a failed value never finish: bound the wait.
  await Promise.race([pulumi.runtime.awaitStackRegistrations(), new Promise((r) => setTimeout(r, options.settleMs ?? 5000))]);
  await new Promise((r) => setTimeout(r, 10));
  process.off("unhandledRejection", onFailure);
  if (failure === undefined && asyncFailures.length > 0) failure = await rootCause(asyncFailures[0]);

  for (const r of resources) r.inputs = unwrapSecrets(r.rawProps) as Record<string, unknown>;

  const outputs: Record<string, unknown> = {};
  // Outputs of a failed run may never resolve; they are only read from successful runs.
  if (failure === undefined) for (const [k, v] of Object.entries(program)) outputs[k] = await resolveDeep(v, pulumi);

  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  const run: ProgramRun = {
    resources,
    outputs,
    generatedSecrets,
    byType: (type) => resources.filter((r) => r.type === type),
    one: (type, nameIncludes) => {
      const found = resources.filter((r) => r.type === type && (nameIncludes === undefined || r.name.includes(nameIncludes)));
      if (found.length !== 1) throw new Error(`expected one ${type} ${nameIncludes ?? ""}, found ${found.length}`);
      return found[0];
    },
  };
  if (failure !== undefined) {
    const error = failure instanceof Error ? failure : new Error(String(failure));
    throw Object.assign(error, { run });
  }
  return run;
}

/** Pulumi wraps a failed input in serialization errors that carry the rejected promise. */
async function rootCause(err: unknown): Promise<unknown> {
  let current = err;
  for (let depth = 0; depth < 20; depth++) {
    const inner = (current as { promise?: unknown } | null)?.promise;
    if (!(inner instanceof Promise)) break;
    const reason = await inner.then(() => undefined, (e: unknown) => e);
    if (reason === undefined || reason === current) break;
    current = reason;
  }
  return current;
}

/** Key and value that mark a secret in Pulumi's wire format. */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270";

function isSecretEnvelope(value: unknown): value is { value: unknown } {
  return value !== null && typeof value === "object" && (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG_VALUE;
}

/** Inputs with secrets unwrapped, as the provider sees them. */
export function unwrapSecrets(value: unknown): unknown {
  if (isSecretEnvelope(value)) return unwrapSecrets(value.value);
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

/** Every string in serialized inputs that is not inside a secret: what state would hold in plain text. */
export function plainStrings(value: unknown): string[] {
  if (isSecretEnvelope(value)) return [];
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(plainStrings);
  if (value !== null && typeof value === "object") return Object.values(value).flatMap(plainStrings);
  return [];
}

/** Awaits Outputs and promises inside a value, returning plain data. */
export async function resolveDeep(value: unknown, pulumi: typeof PulumiModule): Promise<unknown> {
  if (pulumi.Output.isInstance(value)) {
    const inner = await new Promise<unknown>((resolve) => (value as PulumiModule.Output<unknown>).apply((v) => resolve(v)));
    return resolveDeep(inner, pulumi);
  }
  if (value instanceof Promise) return resolveDeep(await value, pulumi);
  if (pulumi.Resource.isInstance(value)) return "<resource>";
  if (Array.isArray(value)) return Promise.all(value.map((v) => resolveDeep(v, pulumi)));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await resolveDeep(v, pulumi);
    return out;
  }
  return value;
}
