// npm run preflight -- --stack dev [--json] [--cwd DIR] [--timeout-ms N]
//
// Checks, before `pulumi up`, everything a deploy of the stack needs from this machine, and names
// each missing piece with the command that fixes it:
//   pulumi      the Pulumi CLI on PATH
//   settings    Pulumi.<stack>.yaml passes the program's own validation (parseSettings)
//   passphrase  the secrets passphrase, for stacks on a self-managed backend (file://, s3://, …)
//   cluster     the kube context the program will use answers GET /version
//   builder     Docker with buildx and a builder the docker-build provider can push with (build mode);
//               the Docker daemon only for a builder that runs in it (not a remote or kubernetes one).
//               tag mode: the Docker daemon, which the docker provider that resolves the tag pings
//               when it is configured (pulumi/pulumi-docker#1106)
//   registry    the registry accepts a push (build mode) or has the tag (tag mode), asked through its
//               own HTTP API (OCI distribution spec)
// Each check prints `ok|MISSING|FAIL <what>` and, when not ok, `  fix: <command or step>`. Exit 0
// when every check is ok, 1 otherwise, 2 on bad arguments.
//
// It changes nothing: no stack is created, nobody is logged in, no file is written. Proving push
// rights opens a blob upload session and cancels it at once (DELETE), so no blob, tag or
// repository appears. Every network call and every command has a timeout.
//
// Registry credentials: the program takes clickvote:registryToken, a secret in the stack file
// that only Pulumi can decrypt, so the preflight reads the token from the environment instead:
// CLICKVOTE_REGISTRY_TOKEN, else (on ghcr.io only, like the program) GITHUB_TOKEN. The user is
// clickvote:registryUsername, else GITHUB_ACTOR on ghcr.io.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import { GHCR_HOST, isLoopbackRegistry, registryHost } from "../components/oci";
import { CONFIG_NAMESPACE, SettingKey, SettingValues } from "../settings/settings";
import { ConfigValidationError, parseSettings } from "../settings/validate";

export const PROJECT_ROOT = path.resolve(__dirname, "..");
/** Default limit of every network call and command, in milliseconds. */
export const DEFAULT_TIMEOUT_MS = 4000;
/** The local registry and kind cluster that `npm run dev:cluster` creates. */
export const DEV_REGISTRY = "localhost:5001";
export const DEV_CONTEXT = "kind-clickvote";
export const DEV_BUILDER = "clickvote";
const PULUMI_INSTALL = "https://www.pulumi.com/docs/install/";
const DOCKER_INSTALL = "https://docs.docker.com/get-docker/";

export type Status = "ok" | "MISSING" | "FAIL";
export type CheckId = "pulumi" | "settings" | "passphrase" | "cluster" | "builder" | "registry";

export interface CheckResult {
  readonly id: CheckId;
  readonly status: Status;
  /** One line: what was checked and what was found. */
  readonly what: string;
  /** Further lines (each settings problem, notes). */
  readonly details?: readonly string[];
  /** The command or step that fixes it (not ok only). */
  readonly fix?: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

const ok = (id: CheckId, what: string, details?: string[]): CheckResult => ({ id, status: "ok", what, ...(details?.length ? { details } : {}) });
const missing = (id: CheckId, what: string, fix: string, details?: string[]): CheckResult => ({
  id,
  status: "MISSING",
  what,
  fix,
  ...(details?.length ? { details } : {}),
});
const failed = (id: CheckId, what: string, fix: string, details?: string[]): CheckResult => ({
  id,
  status: "FAIL",
  what,
  fix,
  ...(details?.length ? { details } : {}),
});

/** The lines a result prints as: `<status> <what>`, indented details, `  fix: …`. */
export function formatResult(r: CheckResult): string[] {
  return [`${r.status} ${r.what}`, ...(r.details ?? []).map((d) => `  - ${d}`), ...(r.fix ? [`  fix: ${r.fix}`] : [])];
}

// ---------------------------------------------------------------------------------------------
// Helpers: commands and errors

export interface CommandResult {
  /** ENOENT: not on PATH; timeout: killed after the limit; exit: non-zero exit code. */
  readonly outcome: "ok" | "ENOENT" | "timeout" | "exit";
  readonly code?: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command found on env.PATH, with a time limit; never throws. */
export function runCommand(cmd: string, args: string[], env: Env, timeoutMs: number): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { env: env as NodeJS.ProcessEnv, timeout: timeoutMs, killSignal: "SIGKILL", encoding: "utf8", maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        if (!error) return resolve({ outcome: "ok", code: 0, stdout, stderr });
        const e = error as NodeJS.ErrnoException & { killed?: boolean; code?: string | number };
        if (e.code === "ENOENT") return resolve({ outcome: "ENOENT", stdout, stderr });
        if (e.killed) return resolve({ outcome: "timeout", stdout, stderr });
        resolve({ outcome: "exit", code: typeof e.code === "number" ? e.code : undefined, stdout, stderr });
      },
    );
  });
}

const firstLine = (text: string): string =>
  text
    .trim()
    .split("\n")
    .find((l) => l.trim() !== "")
    ?.trim() ?? "";

/** The innermost code or name of a network error: ECONNREFUSED, ENOTFOUND, TimeoutError, … */
export function networkErrorCode(error: unknown): string {
  let e: unknown = error;
  let code = "";
  for (let depth = 0; e && depth < 5; depth++) {
    const x = e as { code?: unknown; name?: unknown; cause?: unknown; errors?: unknown[] };
    if (typeof x.code === "string") code = x.code;
    else if (x.name === "TimeoutError" || x.name === "AbortError") code = "TimeoutError";
    e = x.cause ?? (Array.isArray(x.errors) ? x.errors[0] : undefined);
  }
  if (code) return code;
  return error instanceof Error ? error.message : String(error);
}

const isTimeout = (code: string): boolean => code === "TimeoutError" || code === "UND_ERR_CONNECT_TIMEOUT" || code === "ETIMEDOUT";

/** Rejects with a TimeoutError when the promise has not settled within ms. */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${ms} ms`), { name: "TimeoutError" })), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const expandHome = (p: string, env: Env): string => (p === "~" || p.startsWith("~/") ? path.join(env.HOME ?? os.homedir(), p.slice(1)) : p);

// ---------------------------------------------------------------------------------------------
// Stack file

export interface StackFile {
  readonly stack: string;
  readonly file: string;
  readonly exists: boolean;
  /** config: as written, secrets as {secure: …}. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly secretsProvider?: string;
  readonly encryptionSalt?: string;
  /** Why the file could not be read or parsed. */
  readonly error?: string;
}

/** Reads Pulumi.<stack>.yaml with the yaml package; changes nothing. */
export function readStackFile(projectDir: string, stack: string): StackFile {
  const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) return { stack, file, exists: false, config: {} };
  try {
    const parsed = (parseYaml(fs.readFileSync(file, "utf8")) ?? {}) as Record<string, unknown>;
    const config = parsed.config;
    if (config !== undefined && (typeof config !== "object" || config === null || Array.isArray(config))) {
      return { stack, file, exists: true, config: {}, error: "config: is not a map of key: value" };
    }
    return {
      stack,
      file,
      exists: true,
      config: (config ?? {}) as Record<string, unknown>,
      secretsProvider: typeof parsed.secretsprovider === "string" ? parsed.secretsprovider : undefined,
      encryptionSalt: typeof parsed.encryptionsalt === "string" ? parsed.encryptionsalt : undefined,
    };
  } catch (e) {
    return { stack, file, exists: true, config: {}, error: e instanceof Error ? e.message.split("\n")[0] : String(e) };
  }
}

export const isSecure = (value: unknown): boolean => typeof value === "object" && value !== null && !Array.isArray(value) && "secure" in value;

/** A config value as the string Pulumi hands the program; undefined for absent or secret values. */
export function configText(value: unknown): string | undefined {
  if (value === undefined || value === null || isSecure(value)) return undefined;
  return typeof value === "string" ? value : JSON.stringify(value);
}

// ---------------------------------------------------------------------------------------------
// pulumi: the CLI on PATH

export async function checkPulumiCli(env: Env, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<CheckResult> {
  const r = await runCommand("pulumi", ["version"], { ...env, PULUMI_SKIP_UPDATE_CHECK: "true" }, timeoutMs);
  const fix = `install the Pulumi CLI (${PULUMI_INSTALL}), then open a new shell so it is on PATH`;
  if (r.outcome === "ENOENT") return missing("pulumi", "Pulumi CLI: `pulumi` is not on PATH", fix);
  if (r.outcome === "timeout")
    return failed(
      "pulumi",
      `Pulumi CLI: \`pulumi version\` did not finish within ${timeoutMs} ms`,
      `run \`pulumi version\` by hand to see what it waits for; reinstall it if needed (${PULUMI_INSTALL})`,
    );
  if (r.outcome === "exit")
    return failed(
      "pulumi",
      `Pulumi CLI: \`pulumi version\` failed (exit ${r.code ?? "?"}): ${firstLine(r.stderr || r.stdout)}`,
      `reinstall the Pulumi CLI (${PULUMI_INSTALL})`,
    );
  return ok("pulumi", `Pulumi CLI ${firstLine(r.stdout) || "(version not printed)"}`);
}

// ---------------------------------------------------------------------------------------------
// settings: the stack file against the program's own validation

/** The settings the builder and registry checks need. */
export type ImageSettings = Pick<
  SettingValues,
  "imageMode" | "imageRepository" | "imageTag" | "imageDigest" | "version" | "registryUsername" | "buildPlatforms"
>;
const IMAGE_KEYS: readonly SettingKey[] = ["imageMode", "imageRepository", "imageTag", "imageDigest", "version", "registryUsername", "buildPlatforms"];

export interface SettingsCheck {
  readonly result: CheckResult;
  /** Every setting, when all are valid. */
  readonly values?: SettingValues;
  /** The image settings: from values, or, when other settings are bad, from these keys alone when they are valid. */
  readonly image?: ImageSettings;
}

export function checkStackSettings(stackFile: StackFile): SettingsCheck {
  const name = path.basename(stackFile.file);
  const cmd = (rest: string) => `pulumi config ${rest} --stack ${stackFile.stack}`;
  if (stackFile.error) {
    return { result: failed("settings", `stack settings: ${name} cannot be read: ${stackFile.error}`, `fix the YAML in ${name} (or restore it from git)`) };
  }
  const notes: string[] = [];
  for (const [key, value] of Object.entries(stackFile.config)) {
    const [namespace, setting] = key.split(":", 2);
    if (namespace === CONFIG_NAMESPACE && isSecure(value) && setting !== "registryToken" && setting !== "imagePullToken") {
      notes.push(`${key} is stored as a secret; the preflight cannot decrypt it and checked the default instead`);
    }
  }
  const source = (keys?: readonly SettingKey[]) => ({
    get: (key: SettingKey) => (keys && !keys.includes(key) ? undefined : configText(stackFile.config[`${CONFIG_NAMESPACE}:${key}`])),
    allKeys: () => (keys ? [] : Object.keys(stackFile.config)),
  });
  try {
    const values = parseSettings(source());
    const where = stackFile.exists ? name : `${name} absent: every setting at its default`;
    const image =
      values.imageMode === "digest" ? `digest ${values.imageDigest}` : values.imageMode === "tag" ? `tag ${values.imageTag || values.version}` : "build";
    return { result: ok("settings", `stack settings (${where}): valid; image: ${image} → ${values.imageRepository}`, notes), values, image: values };
  } catch (e) {
    if (!(e instanceof ConfigValidationError)) throw e;
    let image: ImageSettings | undefined;
    try {
      image = parseSettings(source(IMAGE_KEYS));
    } catch {
      image = undefined;
    }
    const n = e.problems.length;
    return {
      result: failed(
        "settings",
        `stack settings (${name}): ${n} problem${n === 1 ? "" : "s"}`,
        `give each key an allowed value: \`${cmd("set clickvote:<key> <value>")}\` (or edit ${name}); \`${cmd("rm clickvote:<key>")}\` restores the default`,
        [...e.problems, ...notes],
      ),
      image,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// passphrase: the secrets passphrase of a self-managed backend

export interface Backend {
  readonly url?: string;
  readonly source: "PULUMI_BACKEND_URL" | "Pulumi.yaml" | "pulumi login";
}

/** PULUMI_BACKEND_URL, else Pulumi.yaml's backend.url, else whatever `pulumi login` chose. */
export function backendOf(projectDir: string, env: Env): Backend {
  if (env.PULUMI_BACKEND_URL) return { url: env.PULUMI_BACKEND_URL, source: "PULUMI_BACKEND_URL" };
  try {
    const project = parseYaml(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as { backend?: { url?: unknown } } | null;
    const url = project?.backend?.url;
    if (typeof url === "string" && url !== "") return { url, source: "Pulumi.yaml" };
  } catch {
    // no Pulumi.yaml: the backend of `pulumi login`
  }
  return { source: "pulumi login" };
}

/** Self-managed backends (file, S3, GCS, Azure Blob) default to the passphrase secrets provider. */
const SELF_MANAGED = /^(file|s3|gs|azblob):\/\//;

/**
 * Notes on a file:// backend URL without `metadata=skip` (one line, else none). Without it the file
 * backend (gocloud.dev's fileblob driver) keeps a `.attrs` file beside each state file and rewrites
 * it by truncating it first, outside the atomic rename that replaces the state file; a read of
 * the stack's own outputs during an update (the program's data-identity check) that meets it
 * empty fails the update with "failed to load checkpoint: EOF". `metadata=skip` writes none.
 */
export function fileBackendNotes(backend: Backend): string[] {
  const url = backend.url;
  if (!url?.startsWith("file://")) return [];
  const at = url.indexOf("?");
  const [base, query] = at < 0 ? [url, ""] : [url.slice(0, at), url.slice(at + 1)];
  const params = new URLSearchParams(query);
  if (params.get("metadata") === "skip") return [];
  params.set("metadata", "skip");
  return [
    `note: ${url} (${backend.source}) lacks ?metadata=skip: the file backend then rewrites a .attrs file beside the state non-atomically, and an update can fail with "failed to load checkpoint: EOF" when the program reads its own stack's outputs at that moment; use ${base}?${params.toString()} (as Pulumi.yaml does)`,
  ];
}

/** The secrets passphrase a self-managed backend needs; with fileBackendNotes as details. */
export function checkPassphrase(stackFile: StackFile, backend: Backend, env: Env): CheckResult {
  const result = passphraseResult(stackFile, backend, env);
  const notes = [...(result.details ?? []), ...fileBackendNotes(backend)];
  return notes.length > 0 ? { ...result, details: notes } : result;
}

function passphraseResult(stackFile: StackFile, backend: Backend, env: Env): CheckResult {
  const provider = stackFile.secretsProvider;
  if (provider && provider !== "passphrase" && provider !== "default") {
    return ok("passphrase", `secrets provider ${provider.replace(/\?.*$/, "")} (no passphrase needed)`);
  }
  const needed = provider === "passphrase" || stackFile.encryptionSalt !== undefined || (backend.url !== undefined && SELF_MANAGED.test(backend.url));
  const where = backend.url ? `${backend.url} (${backend.source})` : "the backend of `pulumi login`";
  if (!needed) return ok("passphrase", `secrets passphrase: not needed for ${where}`);
  if (env.PULUMI_CONFIG_PASSPHRASE !== undefined) return ok("passphrase", `secrets passphrase for ${where}: PULUMI_CONFIG_PASSPHRASE is set`);
  const file = env.PULUMI_CONFIG_PASSPHRASE_FILE;
  const fix =
    "export PULUMI_CONFIG_PASSPHRASE='<passphrase>' (or PULUMI_CONFIG_PASSPHRASE_FILE=<file holding it>); a new stack's secrets are encrypted with it, an existing stack needs the one it was created with";
  if (file !== undefined) {
    const resolved = expandHome(file, env);
    try {
      fs.accessSync(resolved, fs.constants.R_OK);
      if (!fs.statSync(resolved).isFile()) throw new Error("not a file");
      return ok("passphrase", `secrets passphrase for ${where}: PULUMI_CONFIG_PASSPHRASE_FILE=${file}`);
    } catch {
      return failed(
        "passphrase",
        `secrets passphrase: PULUMI_CONFIG_PASSPHRASE_FILE=${file} is not a readable file`,
        `point PULUMI_CONFIG_PASSPHRASE_FILE at the file that holds the passphrase, or ${fix}`,
      );
    }
  }
  return missing("passphrase", `secrets passphrase for ${where}: neither PULUMI_CONFIG_PASSPHRASE nor PULUMI_CONFIG_PASSPHRASE_FILE is set`, fix);
}

// ---------------------------------------------------------------------------------------------
// cluster: the kube context the program will use, asked for GET /version

type KubeModule = typeof import("@kubernetes/client-node");
type KubeConfigT = InstanceType<KubeModule["KubeConfig"]>;

/** Where the kubeconfig comes from: kubernetes:kubeconfig (a path or the content), else KUBECONFIG, else ~/.kube/config. */
export function kubeconfigSource(stackFile: StackFile, env: Env): { files: string[]; content?: string; from: string; notes: string[] } {
  const notes: string[] = [];
  const fromStack = stackFile.config["kubernetes:kubeconfig"];
  if (isSecure(fromStack)) {
    notes.push("kubernetes:kubeconfig is a secret in the stack file, which the preflight cannot decrypt: checked KUBECONFIG / ~/.kube/config instead");
  } else if (typeof fromStack === "string" && fromStack.trim() !== "") {
    if (/\n/.test(fromStack.trim()) || /^\s*(apiVersion|\{)/.test(fromStack))
      return { files: [], content: fromStack, from: "kubernetes:kubeconfig (content)", notes };
    return { files: [expandHome(fromStack.trim(), env)], from: "kubernetes:kubeconfig", notes };
  }
  if (env.KUBECONFIG) return { files: env.KUBECONFIG.split(path.delimiter).filter((f) => f !== ""), from: "KUBECONFIG", notes };
  return { files: [path.join(env.HOME ?? os.homedir(), ".kube", "config")], from: "~/.kube/config", notes };
}

/** Merges kubeconfig files the way kubectl does: the first file that sets a name (or current-context) wins. */
function loadKubeconfig(k8s: KubeModule, files: string[]): KubeConfigT {
  const merged = new k8s.KubeConfig();
  merged.loadFromOptions({ clusters: [], users: [], contexts: [], currentContext: "" });
  for (const file of files) {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(file);
    if (!merged.currentContext && kc.currentContext) merged.currentContext = kc.currentContext;
    for (const c of kc.clusters) if (!merged.getCluster(c.name)) merged.addCluster(c);
    for (const u of kc.users) if (!merged.getUser(u.name)) merged.addUser(u);
    for (const c of kc.contexts) if (!merged.getContextObject(c.name)) merged.addContext(c);
  }
  return merged;
}

export async function checkCluster(stackFile: StackFile, env: Env, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<CheckResult> {
  const src = kubeconfigSource(stackFile, env);
  const notes = [...src.notes];
  const existing = src.files.filter((f) => fs.existsSync(f));
  const devCluster = "`npm run dev:cluster` (a local kind cluster, context kind-clickvote)";
  if (src.content === undefined && existing.length === 0) {
    return missing(
      "cluster",
      `cluster: no kubeconfig (${src.from}: ${src.files.join(path.delimiter)} not found)`,
      `${devCluster}, or get your cluster's kubeconfig and \`kubectl config use-context <context>\``,
      notes,
    );
  }
  const missingFiles = src.files.filter((f) => !existing.includes(f));
  if (missingFiles.length > 0) notes.push(`skipped ${missingFiles.join(", ")} (not found)`);

  const k8s: KubeModule = await import("@kubernetes/client-node");
  let kc: KubeConfigT;
  try {
    if (src.content !== undefined) {
      kc = new k8s.KubeConfig();
      kc.loadFromString(src.content);
    } else {
      kc = loadKubeconfig(k8s, existing);
    }
  } catch (e) {
    return failed(
      "cluster",
      `cluster: the kubeconfig (${src.from}) cannot be read: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`,
      "repair the file, or point KUBECONFIG at a valid kubeconfig",
      notes,
    );
  }

  const pinned = configText(stackFile.config["kubernetes:context"]);
  const context = pinned || kc.currentContext;
  const from = pinned ? "kubernetes:context" : "current-context";
  const names = kc.contexts.map((c) => c.name);
  const choose = names.length > 0 ? `\`kubectl config use-context <${names.slice(0, 4).join("|")}${names.length > 4 ? "|…" : ""}>\`` : "";
  if (!context) {
    return missing(
      "cluster",
      `cluster: the kubeconfig (${src.from}) has no current context`,
      names.length > 0 ? `${choose}, or pin one for the stack: \`pulumi config set kubernetes:context <name> --stack ${stackFile.stack}\`` : devCluster,
      notes,
    );
  }
  if (!kc.getContextObject(context)) {
    const fix =
      context === DEV_CONTEXT
        ? `${devCluster} creates it`
        : names.length > 0
          ? `${choose} (list: \`kubectl config get-contexts\`)${pinned ? `, or \`pulumi config set kubernetes:context <name> --stack ${stackFile.stack}\`` : ""}`
          : devCluster;
    return missing("cluster", `cluster: context ${context} (${from}) is not in the kubeconfig (${src.from})`, fix, notes);
  }
  kc.setCurrentContext(context);
  const cluster = kc.getCurrentCluster();
  if (!cluster)
    return failed(
      "cluster",
      `cluster: context ${context} names a cluster the kubeconfig does not have`,
      `repair context ${context}: \`kubectl config view\``,
      notes,
    );

  const server = cluster.server;
  const at = `context ${context} (${from}) at ${server}`;
  const unreachableFix = context.startsWith("kind-")
    ? `start the kind cluster: ${context === DEV_CONTEXT ? "`npm run dev:cluster`" : `\`docker start ${context.slice(5)}-control-plane\``} (or select another context: \`kubectl config use-context <name>\`)`
    : `start the cluster or connect to its network (VPN), then \`kubectl --context ${context} cluster-info\`; or select another context: \`kubectl config use-context <name>\``;
  try {
    const api = kc.makeApiClient(k8s.VersionApi);
    const signal = AbortSignal.timeout(timeoutMs);
    const info = await withTimeout(
      api.getCode(
        {},
        {
          middleware: [
            {
              pre: (request) => {
                request.setSignal(signal);
                return new k8s.Observable(Promise.resolve(request));
              },
              post: (response) => new k8s.Observable(Promise.resolve(response)),
            },
          ],
          middlewareMergeStrategy: "append",
        },
      ),
      timeoutMs + 500,
    );
    return ok("cluster", `cluster: ${at}, Kubernetes ${info.gitVersion}`, notes);
  } catch (e) {
    if (e instanceof k8s.ApiException) {
      const status = e.code;
      if (status === 401) {
        return failed(
          "cluster",
          `cluster: ${at} refused the context's credentials (401 Unauthorized)`,
          `renew the credentials of context ${context} (${context.startsWith("kind-") ? `\`kind export kubeconfig --name ${context.slice(5)}\`` : "log in again with your cluster's tool"}), then \`kubectl --context ${context} version\``,
          notes,
        );
      }
      if (status === 403) return ok("cluster", `cluster: ${at} answers (403 on /version: reachable, credentials accepted)`, notes);
      return failed(
        "cluster",
        `cluster: ${at} answered GET /version with HTTP ${status}`,
        `\`kubectl --context ${context} version\` shows the server's error`,
        notes,
      );
    }
    const code = networkErrorCode(e);
    if (isTimeout(code)) return failed("cluster", `cluster: ${at} did not answer within ${timeoutMs} ms`, unreachableFix, notes);
    return failed("cluster", `cluster: ${at} is unreachable (${code})`, unreachableFix, notes);
  }
}

// ---------------------------------------------------------------------------------------------
// builder: Docker, buildx and a builder the docker-build provider can use (build mode only)

export interface BuildxBuilder {
  readonly name?: string;
  readonly driver?: string;
  /** The first node's endpoint, e.g. unix:///run/buildkit/buildkitd.sock or tcp://host:1234. */
  readonly endpoint?: string;
  readonly driverOptions: string;
  readonly status?: string;
  /** Platforms the builder reports; empty when unknown (not booted). */
  readonly platforms: string[];
}

/** Parses `docker buildx inspect`. */
export function parseBuildxInspect(text: string): BuildxBuilder {
  const field = (label: string) => new RegExp(`^${label}:[ \\t]+(.*)$`, "m").exec(text)?.[1].trim();
  const platforms = (field("Platforms") ?? "")
    .split(",")
    .map((p) => p.trim().replace(/\*$/, ""))
    .filter((p) => p !== "");
  return {
    name: field("Name"),
    driver: field("Driver"),
    endpoint: field("Endpoint"),
    driverOptions: field("Driver Options") ?? "",
    status: field("Status"),
    platforms,
  };
}

/**
 * tag mode builds nothing, but @pulumi/docker's provider, which resolves the tag, pings a Docker
 * daemon when it is configured and fails without one ("failed to connect to any docker daemon",
 * pulumi/pulumi-docker#1106, open; `configureDockerClient` in its provider/image.go). It takes
 * DOCKER_HOST, else the default socket; `docker info` asks the same daemon unless a Docker
 * context points elsewhere.
 */
async function checkTagDaemon(env: Env, timeoutMs: number, stack: string): Promise<CheckResult> {
  const why = "imageMode tag: the docker provider that resolves the tag connects to a Docker daemon, pulumi/pulumi-docker#1106";
  const daemon = await dockerDaemon(env, timeoutMs);
  if ("unreachable" in daemon && daemon.absent)
    return missing("builder", `builder: \`docker\` is not on PATH (${why})`, `install and start Docker (${DOCKER_INSTALL}), ${digestModeFix(stack)}`);
  if ("unreachable" in daemon)
    return failed(
      "builder",
      `builder: the Docker daemon is not reachable (${daemon.unreachable}); ${why}`,
      `start Docker (Docker Desktop, or \`sudo systemctl start docker\`) or point DOCKER_HOST at a running daemon, then \`docker info\`; ${digestModeFix(stack)}`,
    );
  return ok("builder", `builder: not needed (imageMode tag); Docker ${daemon.version} answers, as the docker provider that resolves the tag needs`);
}

/**
 * The Docker daemon `docker info` reaches (DOCKER_HOST or the current context): its server
 * version, or why it did not answer (a timeout, or the CLI's first line) and whether `docker` is
 * absent altogether.
 */
async function dockerDaemon(env: Env, timeoutMs: number): Promise<{ version: string } | { unreachable: string; absent: boolean }> {
  const info = await runCommand("docker", ["info", "--format", "{{.ServerVersion}}"], env, timeoutMs);
  const version = firstLine(info.stdout);
  if (info.outcome === "ok" && version !== "" && !/error|cannot connect/i.test(info.stdout + info.stderr)) return { version };
  return {
    absent: info.outcome === "ENOENT",
    unreachable:
      info.outcome === "timeout" ? `no answer within ${timeoutMs} ms` : firstLine(info.stderr) || firstLine(info.stdout) || `exit ${info.code ?? "?"}`,
  };
}

/** The way out without Docker (tag mode needs its daemon too, see checkTagDaemon): digest mode. */
const digestModeFix = (stack: string) =>
  `or deploy an image that exists by its digest: \`pulumi config set clickvote:imageMode digest --stack ${stack}\` and clickvote:imageDigest sha256:<hex>`;

/**
 * Builder drivers whose BuildKit runs outside the Docker daemon, so a build with them needs no
 * daemon: `remote` (a BuildKit endpoint of the user's) and `kubernetes` (BuildKit pods). Source:
 * the buildx driver docs, https://docs.docker.com/build/builders/drivers/.
 */
export const DAEMONLESS_DRIVERS: readonly string[] = ["remote", "kubernetes"];

export async function checkBuilder(image: ImageSettings | undefined, env: Env, timeoutMs = DEFAULT_TIMEOUT_MS, stack = "dev"): Promise<CheckResult> {
  if (!image) return failed("builder", "builder: not checked (the image settings are invalid)", "fix the stack settings above, then run the preflight again");
  if (image.imageMode === "tag") return checkTagDaemon(env, timeoutMs, stack);
  if (image.imageMode !== "build") return ok("builder", `builder: not needed (imageMode ${image.imageMode})`);
  const otherMode = `or deploy an image that exists instead of building: \`pulumi config set clickvote:imageMode tag --stack ${stack}\` (or digest)`;
  const version = await runCommand("docker", ["buildx", "version"], env, timeoutMs);
  if (version.outcome === "ENOENT")
    return missing(
      "builder",
      "builder: `docker` is not on PATH (imageMode build needs Docker with buildx)",
      `install Docker with buildx (Docker Desktop, or Docker Engine with the docker-buildx-plugin package: ${DOCKER_INSTALL}), ${digestModeFix(stack)}`,
    );
  if (version.outcome !== "ok")
    return missing(
      "builder",
      `builder: \`docker buildx\` is not available (${firstLine(version.stderr || version.stdout) || version.outcome})`,
      `install the buildx plugin (Docker Desktop has it; Docker Engine: the docker-buildx-plugin package), ${otherMode}`,
    );
  const buildxLine = firstLine(version.stdout);
  const buildx = `buildx ${/\bv?\d+\.\d+\.\d+[^\s]*/.exec(buildxLine)?.[0] ?? buildxLine}`;

  // The current builder first: a remote or kubernetes one builds without the Docker daemon.
  const inspect = await runCommand("docker", ["buildx", "inspect"], env, timeoutMs);
  const b = inspect.outcome === "ok" ? parseBuildxInspect(inspect.stdout) : undefined;
  const daemonless = b?.driver !== undefined && DAEMONLESS_DRIVERS.includes(b.driver);
  let daemon = "";
  if (!daemonless) {
    const answer = await dockerDaemon(env, timeoutMs);
    if ("unreachable" in answer) {
      return failed(
        "builder",
        `builder: the Docker daemon is not reachable (${answer.unreachable})`,
        `start Docker (Docker Desktop, or \`sudo systemctl start docker\`), then \`docker info\`; or select a remote BuildKit builder (\`docker buildx create --driver remote <endpoint> --use\`); ${digestModeFix(stack)}`,
      );
    }
    daemon = answer.version;
  }
  if (!b) {
    return failed(
      "builder",
      `builder: \`docker buildx inspect\` failed (${firstLine(inspect.stderr || inspect.stdout) || inspect.outcome})`,
      "`docker buildx ls` lists the builders; `docker buildx use <name>` selects one",
    );
  }
  const repoHost = registryHost(image.imageRepository);
  const loopback = isLoopbackRegistry(image.imageRepository);
  const head = daemonless
    ? `builder: ${buildx}, builder ${b.name ?? "?"} (${b.driver}, at ${b.endpoint ?? "?"}; no Docker daemon needed)`
    : `builder: Docker ${daemon}, ${buildx}, builder ${b.name ?? "?"} (${b.driver ?? "?"})`;
  // A remote builder's BuildKit is reached directly: if it does not answer, no build can run.
  if (b.driver === "remote" && b.status !== "running") {
    return failed(
      "builder",
      `${head}: its BuildKit does not answer (status ${b.status ?? "unknown"})`,
      `start the BuildKit daemon at ${b.endpoint ?? "the builder's endpoint"} (\`docker buildx inspect --bootstrap\` shows the error), or select another builder: \`docker buildx use <name>\``,
    );
  }
  const hostBuilder = `\`docker buildx create --name ${DEV_BUILDER} --driver docker-container --driver-opt network=host --bootstrap --use\` (\`npm run dev:cluster\` does this)`;
  // The docker-build provider cannot drive the docker driver: with such a current builder it takes
  // another running builder, or creates a docker-container one on Docker's bridge network.
  if (b.driver === "docker") {
    if (loopback) {
      return failed(
        "builder",
        `${head}: the docker-build provider cannot use the docker driver, and the docker-container builder it would create cannot reach ${repoHost} (its localhost is its own)`,
        hostBuilder,
      );
    }
    return ok("builder", `${head}: the docker-build provider uses another running builder or creates a docker-container one`);
  }
  if (loopback && b.driver === "docker-container" && !/network="?host"?/.test(b.driverOptions)) {
    return failed("builder", `${head} is not on the host network, so it cannot push to ${repoHost}`, hostBuilder);
  }
  const wanted = image.buildPlatforms;
  if (b.platforms.length > 0) {
    const lacking = wanted.filter((p) => !b.platforms.includes(p));
    if (lacking.length > 0) {
      const can = wanted.filter((p) => b.platforms.includes(p));
      const fewer = JSON.stringify(can.length > 0 ? can : [b.platforms[0]]);
      return failed(
        "builder",
        `${head} cannot build ${lacking.join(", ")} (it has ${b.platforms.join(", ")})`,
        `add QEMU emulation (Docker Desktop has it; Linux: \`sudo apt-get install qemu-user-static binfmt-support\`, then \`docker buildx rm ${b.name ?? "<builder>"}\` and create it again), or build fewer platforms: \`pulumi config set clickvote:buildPlatforms '${fewer}' --stack ${stack}\``,
      );
    }
    return ok("builder", `${head} builds ${wanted.join(", ")}`);
  }
  return ok("builder", `${head}${b.status ? ` (${b.status})` : ""}: platforms known once it runs; needs ${wanted.join(", ")}`);
}

// ---------------------------------------------------------------------------------------------
// registry: push rights (build) or the tag (tag), through the registry's own HTTP API

export interface RegistryCredentials {
  readonly username?: string;
  readonly token?: string;
  /** Where the token came from, for the report. */
  readonly tokenFrom?: string;
  /** Notes on what the preflight could not see (a secret registryToken in the stack file). */
  readonly notes: string[];
}

/** The credentials the program would push with, as far as the environment shows them (see the header). */
export function registryCredentials(image: Pick<ImageSettings, "imageRepository" | "registryUsername">, stackFile: StackFile, env: Env): RegistryCredentials {
  const onGhcr = registryHost(image.imageRepository) === GHCR_HOST;
  const secretInStack = isSecure(stackFile.config[`${CONFIG_NAMESPACE}:registryToken`]);
  const notes: string[] = [];
  let token: string | undefined;
  let tokenFrom: string | undefined;
  if (env.CLICKVOTE_REGISTRY_TOKEN) {
    token = env.CLICKVOTE_REGISTRY_TOKEN;
    tokenFrom = "CLICKVOTE_REGISTRY_TOKEN";
  } else if (onGhcr && env.GITHUB_TOKEN) {
    token = env.GITHUB_TOKEN;
    tokenFrom = "GITHUB_TOKEN";
    if (secretInStack)
      notes.push(
        "checked GITHUB_TOKEN, but the program pushes with the stack's secret clickvote:registryToken: export CLICKVOTE_REGISTRY_TOKEN=<that token> to check it instead",
      );
  } else if (secretInStack) {
    notes.push(
      "the stack has a secret clickvote:registryToken, which the preflight cannot decrypt: export CLICKVOTE_REGISTRY_TOKEN=<the same token> to check it",
    );
  }
  const username = image.registryUsername || (onGhcr ? env.GITHUB_ACTOR : undefined) || (token !== undefined ? (onGhcr ? "github-actions" : "") : undefined);
  return { username, token, tokenFrom, notes };
}

/** http:// for loopback registries (they serve plain HTTP), https:// for every other. */
export function registryBaseUrl(repository: string): string {
  return `${isLoopbackRegistry(repository) ? "http" : "https"}://${registryHost(repository)}`;
}

/** Parses `WWW-Authenticate: Bearer realm="…",service="…",scope="…"` (or Basic). */
export function parseChallenge(header: string | null): { scheme: string; params: Record<string, string> } | undefined {
  if (!header) return undefined;
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2].matchAll(/(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g)) params[p[1].toLowerCase()] = p[2] ?? p[3];
  return { scheme: m[1].toLowerCase(), params };
}

interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
}

async function http(url: string, init: { method?: string; headers?: Record<string, string> }, timeoutMs: number): Promise<HttpAnswer> {
  const response = await fetch(url, { method: init.method ?? "GET", headers: init.headers, signal: AbortSignal.timeout(timeoutMs), redirect: "follow" });
  const text = init.method === "HEAD" ? "" : await withTimeout(response.text(), timeoutMs);
  return { status: response.status, headers: response.headers, text };
}

const MANIFEST_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

class RegistryRefusal extends Error {
  constructor(
    readonly status: Status,
    readonly what: string,
    readonly fix: string,
  ) {
    super(what);
  }
}

export async function checkRegistry(
  image: ImageSettings | undefined,
  creds: RegistryCredentials,
  timeoutMs = DEFAULT_TIMEOUT_MS,
  stack = "dev",
): Promise<CheckResult> {
  if (!image) return failed("registry", "registry: not checked (the image settings are invalid)", "fix the stack settings above, then run the preflight again");
  const repo = image.imageRepository;
  if (image.imageMode === "digest") return ok("registry", `registry: not contacted (imageMode digest: the cluster pulls ${repo}@${image.imageDigest} itself)`);
  const push = image.imageMode === "build";
  const host = registryHost(repo);
  const repoPath = repo.slice(host.length + 1);
  const base = registryBaseUrl(repo);
  const scope = `repository:${repoPath}:${push ? "push,pull" : "pull"}`;
  const onGhcr = host === GHCR_HOST;
  const notes = [...creds.notes];
  const credsFix = onGhcr
    ? `export GITHUB_TOKEN=<a token with ${push ? "write:packages" : "read:packages"}> and GITHUB_ACTOR=<its GitHub user> (the program reads both on ${GHCR_HOST}); or \`pulumi config set --secret clickvote:registryToken <token> --stack ${stack}\` and export CLICKVOTE_REGISTRY_TOKEN=<the same token> for the preflight`
    : `\`pulumi config set clickvote:registryUsername <user> --stack ${stack}\` and \`pulumi config set --secret clickvote:registryToken <token> --stack ${stack}\` (a token that may ${push ? "push to" : "pull from"} ${repo}), and export CLICKVOTE_REGISTRY_TOKEN=<the same token> so the preflight can check it`;
  const who = creds.token !== undefined ? `credentials${creds.username ? ` of ${creds.username}` : ""} (${creds.tokenFrom})` : "no credentials";
  const basic = creds.token !== undefined ? `Basic ${Buffer.from(`${creds.username ?? ""}:${creds.token}`).toString("base64")}` : undefined;
  const deadline = Date.now() + 2 * timeoutMs;
  const remaining = () => Math.max(250, Math.min(timeoutMs, deadline - Date.now()));
  const denied = (what: string) => new RegistryRefusal("MISSING", what, credsFix);

  try {
    // 1. GET /v2/: open, or which authentication it wants.
    const v2 = await http(`${base}/v2/`, {}, remaining());
    let authorization: string | undefined;
    if (v2.status === 401) {
      const challenge = parseChallenge(v2.headers.get("www-authenticate"));
      if (challenge?.scheme === "bearer" && challenge.params.realm) {
        // 2. A token for the repository, from the realm, with the credentials the program would use.
        const realm = new URL(challenge.params.realm);
        if (challenge.params.service) realm.searchParams.set("service", challenge.params.service);
        realm.searchParams.set("scope", scope);
        const tokenAnswer = await http(realm.toString(), { headers: basic ? { Authorization: basic } : {} }, remaining());
        if (tokenAnswer.status === 401 || tokenAnswer.status === 403) {
          throw denied(
            creds.token !== undefined
              ? `registry ${host} refused the ${who} (token endpoint: HTTP ${tokenAnswer.status})`
              : `registry ${host} needs credentials and the preflight found none`,
          );
        }
        if (tokenAnswer.status !== 200)
          throw new RegistryRefusal(
            "FAIL",
            `registry ${host}: the token endpoint ${realm.origin}${realm.pathname} answered HTTP ${tokenAnswer.status}`,
            "try again later; if it persists, the registry's status page or administrator knows more",
          );
        const body = JSON.parse(tokenAnswer.text || "{}") as { token?: string; access_token?: string };
        const token = body.token ?? body.access_token;
        if (!token)
          throw new RegistryRefusal(
            "FAIL",
            `registry ${host}: the token endpoint answered without a token`,
            "check that imageRepository names an OCI registry",
          );
        authorization = `Bearer ${token}`;
      } else if (challenge?.scheme === "basic") {
        if (!basic) throw denied(`registry ${host} needs credentials (Basic) and the preflight found none`);
        authorization = basic;
      } else {
        throw new RegistryRefusal(
          "FAIL",
          `registry ${host} asks for an authentication the preflight does not know (${v2.headers.get("www-authenticate") ?? "no WWW-Authenticate"})`,
          "check that imageRepository names an OCI registry",
        );
      }
    } else if (v2.status !== 200) {
      throw new RegistryRefusal(
        "FAIL",
        `registry ${host}: GET ${base}/v2/ answered HTTP ${v2.status}, not an OCI registry API`,
        "check the host (and port) of clickvote:imageRepository",
      );
    }
    const headers: Record<string, string> = authorization ? { Authorization: authorization } : {};

    if (push) {
      // 3. Open a blob upload session (what a push does first), then cancel it at once.
      const upload = await http(`${base}/v2/${repoPath}/blobs/uploads/`, { method: "POST", headers }, remaining());
      const location = upload.headers.get("location");
      if (upload.status === 202 && location) {
        const cancel = await http(new URL(location, `${base}/`).toString(), { method: "DELETE", headers }, remaining()).catch((e: unknown) => ({
          status: 0,
          text: networkErrorCode(e),
        }));
        if (cancel.status < 200 || cancel.status >= 300)
          notes.push(`the test upload session could not be cancelled (${cancel.status || cancel.text}); the registry expires it on its own`);
        return ok("registry", `registry ${host}: ${repo} accepts a push with ${who} (upload session opened and cancelled)`, notes);
      }
      if (upload.status === 401 || upload.status === 403) {
        throw denied(
          creds.token !== undefined
            ? `registry ${host}: the ${who} may not push to ${repo} (HTTP ${upload.status}${upload.status === 403 ? ", denied: a pull-only token?" : ""})`
            : `registry ${host}: pushing to ${repo} needs credentials and the preflight found none (HTTP ${upload.status})`,
        );
      }
      if (upload.status === 404)
        throw new RegistryRefusal(
          "FAIL",
          `registry ${host}: repository ${repoPath} not found (HTTP 404)`,
          `check clickvote:imageRepository (${onGhcr ? `${GHCR_HOST}/<owner>/<name>, with <owner> your user or organisation` : "<host>[:port]/<path>"})`,
        );
      throw new RegistryRefusal(
        "FAIL",
        `registry ${host}: opening an upload on ${repo} answered HTTP ${upload.status}${upload.status === 202 ? " without a Location" : ""}`,
        "check clickvote:imageRepository; the registry's log says why",
      );
    }

    // Tag mode: the tag the program resolves during preview.
    const tag = image.imageTag || image.version;
    const manifest = await http(`${base}/v2/${repoPath}/manifests/${tag}`, { method: "HEAD", headers: { ...headers, Accept: MANIFEST_TYPES } }, remaining());
    if (manifest.status === 200) {
      const digest = manifest.headers.get("docker-content-digest");
      return ok("registry", `registry ${host}: ${repo}:${tag} exists${digest ? ` (${digest})` : ""}, readable with ${who}`, notes);
    }
    if (manifest.status === 404) {
      throw new RegistryRefusal(
        "FAIL",
        `registry ${host}: ${repo}:${tag} does not exist`,
        `deploy a tag that exists: \`pulumi config set clickvote:imageTag <tag> --stack ${stack}\`, or build it (imageMode build)`,
      );
    }
    if (manifest.status === 401 || manifest.status === 403) throw denied(`registry ${host}: the ${who} may not read ${repo} (HTTP ${manifest.status})`);
    throw new RegistryRefusal(
      "FAIL",
      `registry ${host}: HEAD manifests/${tag} answered HTTP ${manifest.status}`,
      "check clickvote:imageRepository and clickvote:imageTag",
    );
  } catch (e) {
    if (e instanceof RegistryRefusal) return e.status === "MISSING" ? missing("registry", e.what, e.fix, notes) : failed("registry", e.what, e.fix, notes);
    const code = networkErrorCode(e);
    if (isLoopbackRegistry(repo) && code === "ECONNREFUSED") {
      return missing(
        "registry",
        `registry: nothing listens on ${host} (${base})`,
        `start the local registry: \`npm run dev:cluster\` (a registry:2 container on ${DEV_REGISTRY} next to a kind cluster)`,
        notes,
      );
    }
    if (isTimeout(code))
      return failed(
        "registry",
        `registry ${host} did not answer within ${timeoutMs} ms`,
        `check your network (proxy, VPN) and the host of clickvote:imageRepository`,
        notes,
      );
    if (e instanceof SyntaxError)
      return failed(
        "registry",
        `registry ${host}: the token endpoint answered something that is not JSON`,
        "check that imageRepository names an OCI registry",
        notes,
      );
    return failed("registry", `registry ${host} is unreachable (${code})`, `check your network (proxy, VPN) and the host of clickvote:imageRepository`, notes);
  }
}

// ---------------------------------------------------------------------------------------------
// All checks

export interface PreflightOptions {
  /** Pulumi project directory (default: this repository). */
  readonly projectDir?: string;
  /** Environment to read (default: process.env). */
  readonly env?: Env;
  /** Limit of every network call and command (default 4000 ms). */
  readonly timeoutMs?: number;
  /** Where the report goes: a function taking each line (default: stdout), or false for none. */
  readonly output?: ((line: string) => void) | false;
  /** Print JSON instead of lines. */
  readonly json?: boolean;
}

export interface PreflightReport {
  readonly stack: string;
  readonly ok: boolean;
  readonly checks: readonly CheckResult[];
  readonly durationMs: number;
}

/** Runs every check for a stack, prints the report and returns it; `ok` is false when any check is not ok. */
export async function runPreflight(stack: string, options: PreflightOptions = {}): Promise<PreflightReport> {
  const started = Date.now();
  const projectDir = options.projectDir ?? PROJECT_ROOT;
  const env = options.env ?? process.env;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const stackFile = readStackFile(projectDir, stack);
  const settings = checkStackSettings(stackFile);
  const creds = settings.image ? registryCredentials(settings.image, stackFile, env) : { notes: [] };
  // Load the Kubernetes client before the clocks start: loading it takes the event loop for a
  // moment (a second on a busy machine), which would eat into the other checks' time limits.
  await import("@kubernetes/client-node");
  const checks = await Promise.all([
    checkPulumiCli(env, timeoutMs),
    settings.result,
    checkPassphrase(stackFile, backendOf(projectDir, env), env),
    checkCluster(stackFile, env, timeoutMs),
    checkBuilder(settings.image, env, timeoutMs, stack),
    checkRegistry(settings.image, creds, timeoutMs, stack),
  ]);
  const report: PreflightReport = { stack, ok: checks.every((c) => c.status === "ok"), checks, durationMs: Date.now() - started };
  const out = options.output === undefined ? (line: string) => process.stdout.write(`${line}\n`) : options.output;
  if (out) {
    if (options.json) out(JSON.stringify(report, null, 2));
    else for (const line of formatReport(report, path.basename(stackFile.file))) out(line);
  }
  return report;
}

export function formatReport(report: PreflightReport, fileName = `Pulumi.${report.stack}.yaml`): string[] {
  const bad = report.checks.filter((c) => c.status !== "ok").length;
  return [
    `preflight: stack ${report.stack} (${fileName})`,
    ...report.checks.flatMap(formatResult),
    bad === 0
      ? `preflight: all ${report.checks.length} checks ok (${report.durationMs} ms)`
      : `preflight: ${bad} of ${report.checks.length} checks not ok (${report.durationMs} ms); nothing was changed`,
  ];
}

const USAGE = "usage: npm run preflight -- [--stack dev] [--json] [--cwd DIR] [--timeout-ms N]";

/** The command line: exit 0 when all checks are ok, 1 when not, 2 on bad arguments. */
export async function main(argv: string[], env: Env = process.env): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        stack: { type: "string", short: "s", default: "dev" },
        json: { type: "boolean", default: false },
        cwd: { type: "string" },
        "timeout-ms": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const timeoutMs = args["timeout-ms"] === undefined ? DEFAULT_TIMEOUT_MS : Number(args["timeout-ms"]);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 60_000) {
    process.stderr.write(`--timeout-ms must be an integer from 100 to 60000\n${USAGE}\n`);
    return 2;
  }
  if (!/^[A-Za-z0-9._-]+$/.test(args.stack)) {
    process.stderr.write(`--stack must be a stack name such as dev\n${USAGE}\n`);
    return 2;
  }
  const projectDir = path.resolve(args.cwd ?? env.CLICKVOTE_PROJECT_DIR ?? PROJECT_ROOT);
  const report = await runPreflight(args.stack, { projectDir, env, timeoutMs, json: args.json });
  return report.ok ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`preflight crashed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
