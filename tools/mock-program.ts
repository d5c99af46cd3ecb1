// The one runner of the real Pulumi program (index.ts) under Pulumi's mocks, with a stack's real
// config file: the program tests (through test/harness.ts), tools/render-manifests.ts and the
// bench (e2e/bench) all use it. It records every RegisterResource request with its serialized
// inputs (secrets still wrapped) and its resource options, and when each arrived.
//
// Pulumi's runtime is a process-wide singleton: one run per process, or per module reset (the
// test harness resets vitest's module registry before each run).
import * as crypto from "node:crypto";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import type * as PulumiModule from "@pulumi/pulumi";
import { PROJECT_DIR, stackConfig } from "../settings/stack-file";

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
  /** performance.now() when the registration reached the mock monitor. */
  registeredAt: number;
}

export interface ProgramRun {
  resources: RecordedResource[];
  /** Stack outputs. */
  outputs: Record<string, unknown>;
  /** Generated passwords handed out by the random mock, to look for leaks. */
  generatedSecrets: string[];
  /** Milliseconds from loading the program to its last registration. */
  evaluationMs: number;
  byType(type: string): RecordedResource[];
  one(type: string, nameIncludes?: string): RecordedResource;
}

export interface RunOptions {
  stack: string;
  /** Extra or replacing settings: "appReplicas" is clickvote's, "kubernetes:context" as given. */
  overrides?: Record<string, string>;
  secrets?: Record<string, string>;
  preview?: boolean;
  /** Environment of the run (restored afterwards); default: no GITHUB_TOKEN, no GITHUB_ACTOR. */
  env?: Record<string, string | undefined>;
  /** Changes every generated password, as `pulumi up --replace` of a RandomPassword would. */
  passwordGeneration?: number;
  /** Outputs of the stack's previous update, as a StackReference to the stack itself reads them. */
  previousOutputs?: Record<string, unknown>;
  /** How long to wait for registrations when a value never resolves (a failed invoke). */
  settleMs?: number;
  /** Then also wait until no registration arrived for this long (ones that wait on outputs come late). */
  quietMs?: number;
  /** Loads the program; default: index.ts of this project. */
  loadProgram?: () => Promise<Record<string, unknown>>;
}

export function hex(text: string): string {
  return crypto.createHash("sha256").update(text).digest("hex");
}

/** Deterministic, secret-looking password derived from the resource name. */
export function fakePassword(name: string): string {
  return `pw${hex(`password:${name}`).slice(0, 30)}`;
}

/** The name Pulumi gives an object without metadata.name: <resource name>-<suffix> (deterministic here). */
export function autoName(resourceName: string): string {
  return `${resourceName}-${hex(resourceName).slice(0, 8)}`;
}

/** The mocks: generated passwords, built image digests, auto-names, tags resolved to digests (a tag naming "missing" is not found). */
function mocks(generatedSecrets: string[], options: Pick<RunOptions, "passwordGeneration" | "previousOutputs">): PulumiModule.runtime.Mocks {
  return {
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
        if (!metadata.name) metadata.name = autoName(args.name);
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
  };
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs the program for one stack under mocks and waits for every registration. Throws what the
 * program throws (e.g. a ConfigValidationError) with the resources registered so far attached
 * as `run`, so a caller can check that nothing was registered.
 */
export async function runProgram(options: RunOptions): Promise<ProgramRun> {
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

  // "organization" is the DIY backends' organization; the program names its own stack with it (data identity).
  await pulumi.runtime.setMocks(mocks(generatedSecrets, options), "clickvote", options.stack, options.preview ?? false, "organization");
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
      registeredAt: performance.now(),
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
  const start = performance.now();
  try {
    program = await (options.loadProgram ?? (() => import(path.join(PROJECT_DIR, "index"))))();
  } catch (err) {
    failure = err;
  }
  // Registrations that wait on a failed value never finish: bound the wait.
  let settleTimer: NodeJS.Timeout | undefined;
  const settled = new Promise((r) => (settleTimer = setTimeout(r, options.settleMs ?? 5000)));
  await Promise.race([pulumi.runtime.awaitStackRegistrations(), settled]);
  clearTimeout(settleTimer);
  await sleep(10);
  if (options.quietMs) {
    for (let seen = -1, waited = 0; seen !== resources.length && waited < 30_000; waited += options.quietMs) {
      seen = resources.length;
      await sleep(options.quietMs);
    }
  }
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
    evaluationMs: resources.length > 0 ? Math.max(...resources.map((r) => r.registeredAt)) - start : 0,
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
    const reason = await inner.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (reason === undefined || reason === current) break;
    current = reason;
  }
  return current;
}

/** Key and value that mark a secret in Pulumi's wire format. */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270";
/** What a secret's leaf values become in redacted output (rendered manifests). */
export const SECRET_PLACEHOLDER = "<redacted-secret>";

function isSecretEnvelope(value: unknown): value is { value: unknown } {
  return value !== null && typeof value === "object" && (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG_VALUE;
}

/** Serialized inputs with each secret replaced by what leaf(secret value) returns. */
function mapSecrets(value: unknown, leaf: (secret: unknown) => unknown): unknown {
  if (isSecretEnvelope(value)) return leaf(value.value);
  if (Array.isArray(value)) return value.map((v) => mapSecrets(v, leaf));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapSecrets(v, leaf)]));
  }
  return value;
}

/** Inputs with secrets unwrapped, as the provider sees them. */
export function unwrapSecrets(value: unknown): unknown {
  return mapSecrets(value, unwrapSecrets);
}

/**
 * Serialized inputs with every secret value replaced by the placeholder. A secret object or list
 * keeps its shape (a Secret's stringData keeps its keys), only its leaf values are replaced.
 */
export function redactSecrets(value: unknown): unknown {
  const redactAll = (v: unknown): unknown => {
    if (isSecretEnvelope(v)) return redactAll(v.value);
    if (Array.isArray(v)) return v.map(redactAll);
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redactAll(x)]));
    return v === undefined || v === null ? v : SECRET_PLACEHOLDER;
  };
  return mapSecrets(value, redactAll);
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
