// The preflight (release/preflight.ts) and the dev cluster script (release/dev-cluster.sh): every
// outcome of every check, against fakes started here on 127.0.0.1 only — an OCI registry
// (node:http: /v2/, a token realm, blob upload sessions), a kube-apiserver /version, closed
// ports, and PATH stubs for pulumi, docker and kind — plus, when Debian's docker-registry is
// installed, a real registry that must hold no repository and no blob after the push check.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  backendOf,
  checkBuilder,
  checkCluster,
  checkPassphrase,
  checkPulumiCli,
  checkRegistry,
  checkStackSettings,
  CheckResult,
  Env,
  fileBackendNotes,
  formatResult,
  ImageSettings,
  main,
  parseBuildxInspect,
  parseChallenge,
  PROJECT_ROOT,
  readStackFile,
  registryBaseUrl,
  registryCredentials,
  runPreflight,
  StackFile,
} from "../release/preflight";

const ROOT = path.resolve(__dirname, "..");
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "clickvote-preflight-"));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));
let counter = 0;
const tmpDir = (name: string): string => fs.mkdtempSync(path.join(TMP, `${name}-${++counter}-`));

// ---- PATH stubs -------------------------------------------------------------------------------

/** A directory of links to the few real tools the stubs and dev-cluster.sh use (cat, grep, …). */
const TOOLS = (() => {
  const dir = tmpDir("tools");
  for (const tool of ["cat", "grep", "touch", "rm", "sleep"]) {
    const found = spawnSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
    if (found) fs.symlinkSync(found, path.join(dir, tool));
  }
  return dir;
})();

/** A directory of executable scripts named after the commands they stand in for. */
function stubs(scripts: Record<string, string>): string {
  const dir = tmpDir("stubs");
  for (const [name, body] of Object.entries(scripts)) {
    fs.writeFileSync(path.join(dir, name), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
  }
  return dir;
}

/** An environment with only these stubs (and the basic tools) on PATH and an empty HOME. */
function envWith(stubDir: string, extra: Env = {}): Env {
  return { PATH: `${stubDir}:${TOOLS}`, HOME: tmpDir("home"), ...extra };
}

const PULUMI_OK = `echo v3.259.0`;
const BUILDX_VERSION = `echo "github.com/docker/buildx v0.23.0 28c90ea"`;
const HOST_BUILDER = `Name:          clickvote
Driver:        docker-container
Last Activity: 2026-01-01 00:00:00 +0000 UTC

Nodes:
Name:                  clickvote0
Endpoint:              unix:///var/run/docker.sock
Driver Options:        network="host"
Status:                running
BuildKit daemon flags: --allow-insecure-entitlement=network.host
BuildKit version:      v0.22.0
Platforms:             linux/amd64, linux/amd64/v2, linux/arm64*, linux/386
`;
/** `docker buildx inspect` of a remote builder: a BuildKit daemon reached at its own endpoint. */
const REMOTE_BUILDER = `Name:          buildkit
Driver:        remote
Last Activity: 2026-01-01 00:00:00 +0000 UTC

Nodes:
Name:             buildkit0
Endpoint:         unix:///run/buildkit/buildkitd.sock
Status:           running
BuildKit version: v0.34.2
Platforms:        linux/amd64, linux/amd64/v2, linux/amd64/v3, linux/arm64, linux/386
`;
const DOCKER_DRIVER_BUILDER = `Name:   default
Driver: docker
Last Activity: 2026-01-01 00:00:00 +0000 UTC

Nodes:
Name:             default
Endpoint:         default
Status:           running
BuildKit version: v0.22.0
Platforms:        linux/amd64, linux/amd64/v2, linux/386
`;

/** A docker stub: buildx version, a daemon answering `docker info`, and `docker buildx inspect` printing `inspect`. */
function dockerStub(inspect: string, opts: { daemonDown?: boolean } = {}): string {
  const file = path.join(tmpDir("inspect"), "inspect.txt");
  fs.writeFileSync(file, inspect);
  return stubs({
    docker: `case "$1 $2" in
  "buildx version") ${BUILDX_VERSION} ;;
  "info --format") ${opts.daemonDown ? `echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2; exit 1` : "echo 28.2.2"} ;;
  "buildx inspect") cat "${file}" ;;
  *) echo "unexpected docker $*" >&2; exit 9 ;;
esac`,
  });
}

// ---- stack files --------------------------------------------------------------------------------

const PROJECT_YAML = "name: clickvote\nruntime: nodejs\nbackend:\n  url: file://~/.pulumi-clickvote?metadata=skip\n";

/** A project directory with Pulumi.yaml and Pulumi.<stack>.yaml holding `config` (or raw text). */
function project(
  config: Record<string, unknown> | string,
  opts: { stack?: string; top?: Record<string, unknown>; projectYaml?: string } = {},
): { dir: string; stackFile: StackFile } {
  const dir = tmpDir("project");
  const stack = opts.stack ?? "test";
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), opts.projectYaml ?? PROJECT_YAML);
  const text = typeof config === "string" ? config : JSON.stringify({ ...(opts.top ?? {}), config }, null, 2);
  fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), text);
  return { dir, stackFile: readStackFile(dir, stack) };
}

function image(overrides: Partial<ImageSettings> = {}): ImageSettings {
  return {
    imageMode: "build",
    imageRepository: "127.0.0.1:5999/clickvote/app",
    imageTag: "",
    imageDigest: "",
    version: "0.1.0-dev",
    registryUsername: "",
    buildPlatforms: ["linux/amd64", "linux/arm64"],
    ...overrides,
  };
}

// ---- loopback servers ---------------------------------------------------------------------------

interface Served {
  port: number;
  close(): Promise<void>;
}

async function serve(handler: http.RequestListener): Promise<Served> {
  const server = http.createServer(handler);
  const sockets = new Set<net.Socket>();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const s = await serve(() => undefined);
  await s.close();
  return s.port;
}

interface FakeRegistryOptions {
  auth: "none" | "bearer" | "basic";
  /** user → password and the actions their tokens grant. */
  users?: Record<string, { password: string; actions: string[] }>;
  /** Status for a push without push rights: 401 (insufficient_scope, as most registries) or 403 (denied). */
  denyPush?: 401 | 403;
  /** "<name>:<tag>" → digest. */
  tags?: Record<string, string>;
  /** Accept connections and never answer. */
  hang?: boolean;
}

interface FakeRegistry extends Served {
  /** "METHOD /path" of every request. */
  requests: string[];
  /** Authorization headers the token realm received, and the scopes asked for. */
  tokenRequests: { authorization?: string; scope: string | null; service: string | null }[];
  /** Upload sessions opened and not cancelled. */
  openUploads: Set<string>;
  repo(name: string): string;
}

async function fakeRegistry(opts: FakeRegistryOptions): Promise<FakeRegistry> {
  const requests: string[] = [];
  const tokenRequests: FakeRegistry["tokenRequests"] = [];
  const openUploads = new Set<string>();
  let port = 0;
  let uploads = 0;
  const users = opts.users ?? {};
  const basicUser = (header: string | undefined) => {
    if (!header?.startsWith("Basic ")) return undefined;
    const [user, ...rest] = Buffer.from(header.slice(6), "base64").toString().split(":");
    const known = users[user];
    return known && known.password === rest.join(":") ? { user, actions: known.actions } : null;
  };
  const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "Content-Type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };
  const challenge = (res: http.ServerResponse) =>
    json(
      res,
      401,
      { errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] },
      {
        "WWW-Authenticate": opts.auth === "basic" ? 'Basic realm="fake-registry"' : `Bearer realm="http://127.0.0.1:${port}/token",service="fake-registry"`,
      },
    );
  /** The actions the request may perform, or undefined when it is not authenticated. */
  const granted = (req: http.IncomingMessage): string[] | undefined => {
    if (opts.auth === "none") return ["pull", "push"];
    const header = req.headers.authorization;
    if (opts.auth === "basic") return basicUser(header)?.actions;
    if (!header?.startsWith("Bearer ")) return undefined;
    return (JSON.parse(Buffer.from(header.slice(7), "base64").toString()) as { actions: string[] }).actions;
  };

  const served = await serve((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    requests.push(`${req.method} ${url.pathname}`);
    if (opts.hang) return;
    if (url.pathname === "/token" && req.method === "GET" && opts.auth === "bearer") {
      const scope = url.searchParams.get("scope");
      tokenRequests.push({ authorization: req.headers.authorization, scope, service: url.searchParams.get("service") });
      const who = basicUser(req.headers.authorization);
      if (who === null) return json(res, 401, { errors: [{ code: "UNAUTHORIZED", message: "bad credentials" }] });
      const asked = (scope ?? "").split(":")[2]?.split(",") ?? [];
      const actions = who ? asked.filter((a) => who.actions.includes(a)) : [];
      return json(res, 200, { token: Buffer.from(JSON.stringify({ user: who?.user ?? "anonymous", actions })).toString("base64") });
    }
    const rights = granted(req);
    if (url.pathname === "/v2/" && req.method === "GET") return rights ? json(res, 200, {}) : challenge(res);
    let m = /^\/v2\/(.+)\/blobs\/uploads\/$/.exec(url.pathname);
    if (m && req.method === "POST") {
      if (!rights) return challenge(res);
      if (!rights.includes("push")) {
        return opts.denyPush === 403
          ? json(res, 403, { errors: [{ code: "DENIED", message: "requested access to the resource is denied" }] })
          : json(res, 401, { errors: [{ code: "UNAUTHORIZED", message: "insufficient_scope" }] });
      }
      const id = `upload-${++uploads}`;
      openUploads.add(id);
      res.writeHead(202, { Location: `/v2/${m[1]}/blobs/uploads/${id}?_state=opaque`, "Docker-Upload-UUID": id, "Content-Length": "0" });
      return res.end();
    }
    m = /^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/.exec(url.pathname);
    if (m && req.method === "DELETE") {
      if (!rights?.includes("push")) return challenge(res);
      if (!openUploads.delete(m[2])) return json(res, 404, { errors: [{ code: "BLOB_UPLOAD_UNKNOWN" }] });
      res.writeHead(204);
      return res.end();
    }
    m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname);
    if (m && req.method === "HEAD") {
      if (!rights?.includes("pull")) return challenge(res);
      const digest = opts.tags?.[`${m[1]}:${m[2]}`];
      res.writeHead(digest ? 200 : 404, digest ? { "Docker-Content-Digest": digest, "Content-Type": "application/vnd.oci.image.index.v1+json" } : {});
      return res.end();
    }
    json(res, 404, { errors: [{ code: "NAME_UNKNOWN" }] });
  });
  port = served.port;
  return { ...served, requests, tokenRequests, openUploads, repo: (name) => `127.0.0.1:${port}/${name}` };
}

const VERSION_INFO = {
  major: "1",
  minor: "34",
  gitVersion: "v1.34.4",
  gitCommit: "0",
  gitTreeState: "clean",
  buildDate: "2026-01-01T00:00:00Z",
  goVersion: "go1.24.3",
  compiler: "gc",
  platform: "linux/amd64",
};

async function fakeApiserver(mode: "ok" | "unauthorized" | "hang" = "ok"): Promise<Served & { requests: string[] }> {
  const requests: string[] = [];
  const served = await serve((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (mode === "hang") return;
    if (mode === "unauthorized") {
      res.writeHead(401, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", message: "Unauthorized", reason: "Unauthorized", code: 401 }));
      return;
    }
    if (req.url === "/version") {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify(VERSION_INFO));
      return;
    }
    res.writeHead(404);
    res.end();
  });
  return { ...served, requests };
}

/** A kubeconfig with one context per entry (name → server URL). The fakes serve plain HTTP, which
 * @kubernetes/client-node only speaks to clusters marked insecure-skip-tls-verify. */
function kubeconfig(contexts: Record<string, string>, current?: string): string {
  const names = Object.keys(contexts);
  const text = [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    ...names.flatMap((n) => [`- name: ${n}`, "  cluster:", `    server: ${contexts[n]}`, "    insecure-skip-tls-verify: true"]),
    "users:",
    ...names.flatMap((n) => [`- name: ${n}`, "  user:", "    token: fake-token"]),
    "contexts:",
    ...names.flatMap((n) => [`- name: ${n}`, "  context:", `    cluster: ${n}`, `    user: ${n}`]),
    `current-context: ${current ?? ""}`,
    "",
  ].join("\n");
  const file = path.join(tmpDir("kube"), "config");
  fs.writeFileSync(file, text);
  return file;
}

const NO_STACK: StackFile = { stack: "test", file: "/nonexistent/Pulumi.test.yaml", exists: false, config: {} };

function expectNotOk(r: CheckResult, status: "MISSING" | "FAIL", what: RegExp, fix?: RegExp) {
  expect(r.status, formatResult(r).join("\n")).toBe(status);
  expect(r.what).toMatch(what);
  expect(r.fix).toBeTruthy();
  if (fix) expect(r.fix).toMatch(fix);
}

beforeAll(async () => {
  // Load @kubernetes/client-node once, so the timing assertions measure the checks, not the import.
  await import("@kubernetes/client-node");
});

// =================================================================================================

describe("pulumi: the CLI on PATH", () => {
  it("ok with the version when `pulumi version` answers", async () => {
    const r = await checkPulumiCli(envWith(stubs({ pulumi: PULUMI_OK })));
    expect(r).toMatchObject({ status: "ok", what: "Pulumi CLI v3.259.0" });
    expect(formatResult(r)).toEqual(["ok Pulumi CLI v3.259.0"]);
  });

  it("MISSING, with the install page, when pulumi is not on PATH", async () => {
    const r = await checkPulumiCli(envWith(stubs({})));
    expectNotOk(r, "MISSING", /`pulumi` is not on PATH/, /https:\/\/www\.pulumi\.com\/docs\/install\//);
    expect(formatResult(r)[1]).toMatch(/^ {2}fix: install the Pulumi CLI/);
  });

  it("FAIL when pulumi exits non-zero", async () => {
    const r = await checkPulumiCli(envWith(stubs({ pulumi: `echo "error: corrupt install" >&2; exit 3` })));
    expectNotOk(r, "FAIL", /failed \(exit 3\): error: corrupt install/, /reinstall/);
  });

  it("FAIL within the time limit when pulumi hangs", async () => {
    const started = Date.now();
    const r = await checkPulumiCli(envWith(stubs({ pulumi: "exec sleep 30" })), 500);
    expectNotOk(r, "FAIL", /did not finish within 500 ms/);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe("settings: the stack file against parseSettings", () => {
  it("ok for the repository's own dev and prod stack files", () => {
    for (const stack of ["dev", "prod"]) {
      const r = checkStackSettings(readStackFile(ROOT, stack));
      expect(r.result.status, formatResult(r.result).join("\n")).toBe("ok");
      expect(r.values?.environment).toBe(stack);
    }
  });

  it("ok with defaults when the stack has no file yet", () => {
    const r = checkStackSettings(readStackFile(tmpDir("empty"), "dev"));
    expect(r.result.status).toBe("ok");
    expect(r.result.what).toMatch(/Pulumi\.dev\.yaml absent: every setting at its default/);
  });

  it("FAIL listing every bad key, with the command that sets one", () => {
    const { stackFile } = project({
      "clickvote:appReplicas": 0,
      "clickvote:imageMode": "push",
      "clickvote:logLevl": "debug",
      "clickvote:imageRepository": "localhost:5001/Clickvote",
    });
    const r = checkStackSettings(stackFile);
    expectNotOk(r.result, "FAIL", /Pulumi\.test\.yaml\): 4 problems/, /pulumi config set clickvote:<key> <value> --stack test/);
    const details = r.result.details!.join("\n");
    for (const key of ["appReplicas", "imageMode", "logLevl", "imageRepository"]) expect(details).toContain(`clickvote:${key}:`);
    const lines = formatResult(r.result);
    expect(lines[0]).toBe("FAIL stack settings (Pulumi.test.yaml): 4 problems");
    expect(lines.filter((l) => l.startsWith("  - clickvote:"))).toHaveLength(4);
  });

  it("FAIL on a cross-key rule (digest mode without a digest)", () => {
    const r = checkStackSettings(project({ "clickvote:imageMode": "digest" }).stackFile);
    expectNotOk(r.result, "FAIL", /1 problem$/);
    expect(r.result.details).toEqual([expect.stringMatching(/^clickvote:imageDigest: is required when imageMode is digest/)]);
  });

  it("FAIL when the file is not YAML", () => {
    const r = checkStackSettings(project("config:\n  clickvote:appReplicas: [1\n").stackFile);
    expectNotOk(r.result, "FAIL", /Pulumi\.test\.yaml cannot be read/, /fix the YAML/);
  });

  it("still hands the image settings to the other checks when only unrelated keys are bad", () => {
    const r = checkStackSettings(project({ "clickvote:appReplicas": 99, "clickvote:imageRepository": "localhost:5001/clickvote" }).stackFile);
    expect(r.result.status).toBe("FAIL");
    expect(r.values).toBeUndefined();
    expect(r.image?.imageRepository).toBe("localhost:5001/clickvote");
  });

  it("notes a plain setting stored as a secret (it cannot be decrypted here)", () => {
    const r = checkStackSettings(project({ "clickvote:registryUsername": { secure: "v1:abc" }, "clickvote:registryToken": { secure: "v1:def" } }).stackFile);
    expect(r.result.status).toBe("ok");
    expect(r.result.details).toEqual([expect.stringMatching(/clickvote:registryUsername is stored as a secret/)]);
  });
});

describe("passphrase: secrets passphrase of a self-managed backend", () => {
  const { dir, stackFile } = project({});

  it("reads the backend from PULUMI_BACKEND_URL, else Pulumi.yaml", () => {
    expect(backendOf(dir, {})).toEqual({ url: "file://~/.pulumi-clickvote?metadata=skip", source: "Pulumi.yaml" });
    expect(backendOf(dir, { PULUMI_BACKEND_URL: "s3://bucket/clickvote" })).toEqual({ url: "s3://bucket/clickvote", source: "PULUMI_BACKEND_URL" });
    expect(backendOf(tmpDir("no-project"), {})).toEqual({ source: "pulumi login" });
  });

  it("MISSING for the file backend when neither variable is set", () => {
    const r = checkPassphrase(stackFile, backendOf(dir, {}), {});
    expectNotOk(
      r,
      "MISSING",
      /file:\/\/~\/\.pulumi-clickvote\?metadata=skip \(Pulumi\.yaml\)/,
      /export PULUMI_CONFIG_PASSPHRASE=.*PULUMI_CONFIG_PASSPHRASE_FILE/,
    );
  });

  it("ok with PULUMI_CONFIG_PASSPHRASE (even empty, which Pulumi accepts)", () => {
    expect(checkPassphrase(stackFile, backendOf(dir, {}), { PULUMI_CONFIG_PASSPHRASE: "" }).status).toBe("ok");
    expect(checkPassphrase(stackFile, backendOf(dir, {}), { PULUMI_CONFIG_PASSPHRASE: "s3cret" }).what).toMatch(/PULUMI_CONFIG_PASSPHRASE is set/);
  });

  it("ok with a readable PULUMI_CONFIG_PASSPHRASE_FILE; FAIL when the file is not there", () => {
    const file = path.join(tmpDir("pass"), "passphrase");
    fs.writeFileSync(file, "s3cret\n");
    expect(checkPassphrase(stackFile, backendOf(dir, {}), { PULUMI_CONFIG_PASSPHRASE_FILE: file }).status).toBe("ok");
    const r = checkPassphrase(stackFile, backendOf(dir, {}), { PULUMI_CONFIG_PASSPHRASE_FILE: `${file}.gone` });
    expectNotOk(r, "FAIL", /is not a readable file/);
  });

  it("PULUMI_BACKEND_URL decides: an S3 backend needs it too, Pulumi Cloud does not", () => {
    expect(checkPassphrase(stackFile, backendOf(dir, { PULUMI_BACKEND_URL: "s3://bucket/x" }), {}).status).toBe("MISSING");
    const cloud = checkPassphrase(stackFile, backendOf(dir, { PULUMI_BACKEND_URL: "https://api.example.com" }), {});
    expect(cloud.status).toBe("ok");
    expect(cloud.what).toMatch(/not needed/);
  });

  it("notes a file backend URL without ?metadata=skip (its .attrs rewrite can fail an update), with the URL to use; none with it or for other backends", () => {
    const plain = checkPassphrase(stackFile, backendOf(dir, { PULUMI_BACKEND_URL: "file:///srv/state?no_tmp_dir=true" }), { PULUMI_CONFIG_PASSPHRASE: "x" });
    expect(plain.status).toBe("ok");
    expect(plain.details).toHaveLength(1);
    expect(plain.details![0]).toMatch(
      /^note: file:\/\/\/srv\/state\?no_tmp_dir=true \(PULUMI_BACKEND_URL\) lacks \?metadata=skip: .*failed to load checkpoint: EOF/,
    );
    expect(plain.details![0]).toMatch(/use file:\/\/\/srv\/state\?no_tmp_dir=true&metadata=skip /);
    // the note rides along with a MISSING passphrase too
    expect(checkPassphrase(stackFile, backendOf(dir, { PULUMI_BACKEND_URL: "file://~/state" }), {}).details).toEqual([
      expect.stringMatching(/use file:\/\/~\/state\?metadata=skip /),
    ]);
    expect(fileBackendNotes(backendOf(dir, {}))).toEqual([]); // Pulumi.yaml's URL has it
    expect(fileBackendNotes({ url: "s3://bucket/x", source: "PULUMI_BACKEND_URL" })).toEqual([]);
    expect(fileBackendNotes({ source: "pulumi login" })).toEqual([]);
  });

  it("the project's own Pulumi.yaml backend URL carries metadata=skip", () => {
    expect(backendOf(PROJECT_ROOT, {}).url).toBe("file://~/.pulumi-clickvote?metadata=skip");
  });

  it("a stack with another secrets provider needs no passphrase; one with an encryption salt does", () => {
    const kms = project({}, { top: { secretsprovider: "awskms://alias/clickvote?region=eu-west-1" } }).stackFile;
    expect(checkPassphrase(kms, backendOf(dir, {}), {})).toMatchObject({
      status: "ok",
      what: "secrets provider awskms://alias/clickvote (no passphrase needed)",
    });
    const salted = project({}, { top: { encryptionsalt: "v1:abc:def" } }).stackFile;
    expect(checkPassphrase(salted, { url: "https://api.example.com", source: "PULUMI_BACKEND_URL" }, {}).status).toBe("MISSING");
  });
});

describe("cluster: GET /version on the kube context the program uses", () => {
  let api: Awaited<ReturnType<typeof fakeApiserver>>;
  beforeAll(async () => {
    api = await fakeApiserver();
  });
  afterAll(() => api.close());

  it("ok for the current context of KUBECONFIG, with the server's version", async () => {
    const file = kubeconfig({ fake: `http://127.0.0.1:${api.port}` }, "fake");
    const r = await checkCluster(NO_STACK, { KUBECONFIG: file, HOME: tmpDir("home") }, 2000);
    expect(r.status, formatResult(r).join("\n")).toBe("ok");
    expect(r.what).toBe(`cluster: context fake (current-context) at http://127.0.0.1:${api.port}, Kubernetes v1.34.4`);
    expect(api.requests).toContain("GET /version");
  });

  it("reads ~/.kube/config when KUBECONFIG is unset", async () => {
    const home = tmpDir("home");
    fs.mkdirSync(path.join(home, ".kube"));
    fs.copyFileSync(kubeconfig({ fake: `http://127.0.0.1:${api.port}` }, "fake"), path.join(home, ".kube", "config"));
    expect((await checkCluster(NO_STACK, { HOME: home }, 2000)).status).toBe("ok");
  });

  it("stack config kubernetes:context wins over the current context", async () => {
    const dead = await closedPort();
    const file = kubeconfig({ other: `http://127.0.0.1:${dead}`, "kind-clickvote": `http://127.0.0.1:${api.port}` }, "other");
    const r = await checkCluster(project({ "kubernetes:context": "kind-clickvote" }).stackFile, { KUBECONFIG: file }, 2000);
    expect(r.status, formatResult(r).join("\n")).toBe("ok");
    expect(r.what).toMatch(/context kind-clickvote \(kubernetes:context\)/);
  });

  it("stack config kubernetes:kubeconfig (a path) wins over KUBECONFIG", async () => {
    const good = kubeconfig({ fake: `http://127.0.0.1:${api.port}` }, "fake");
    const r = await checkCluster(project({ "kubernetes:kubeconfig": good }).stackFile, { KUBECONFIG: "/nonexistent/config" }, 2000);
    expect(r.status, formatResult(r).join("\n")).toBe("ok");
  });

  it("merges the files of KUBECONFIG like kubectl: the first current-context, contexts from all", async () => {
    const first = kubeconfig({ a: "http://127.0.0.1:1" }, "b");
    const second = kubeconfig({ b: `http://127.0.0.1:${api.port}` }, "a");
    const r = await checkCluster(NO_STACK, { KUBECONFIG: `${first}${path.delimiter}${second}` }, 2000);
    expect(r.status, formatResult(r).join("\n")).toBe("ok");
    expect(r.what).toMatch(/context b \(current-context\)/);
  });

  it("MISSING with `npm run dev:cluster` when there is no kubeconfig", async () => {
    const r = await checkCluster(NO_STACK, { HOME: tmpDir("home") }, 2000);
    expectNotOk(r, "MISSING", /no kubeconfig \(~\/\.kube\/config: .*not found\)/, /npm run dev:cluster.*kubectl config use-context/);
    const viaEnv = await checkCluster(NO_STACK, { KUBECONFIG: "/nonexistent/a:/nonexistent/b" }, 2000);
    expectNotOk(viaEnv, "MISSING", /no kubeconfig \(KUBECONFIG: \/nonexistent\/a:\/nonexistent\/b not found\)/);
  });

  it("MISSING when the kubeconfig has no current context, naming the contexts to choose from", async () => {
    const file = kubeconfig({ one: `http://127.0.0.1:${api.port}`, two: `http://127.0.0.1:${api.port}` });
    const r = await checkCluster(NO_STACK, { KUBECONFIG: file }, 2000);
    expectNotOk(r, "MISSING", /has no current context/, /kubectl config use-context <one\|two>.*pulumi config set kubernetes:context <name> --stack test/);
  });

  it("MISSING when the context is not in the kubeconfig: dev:cluster creates kind-clickvote", async () => {
    const file = kubeconfig({ fake: `http://127.0.0.1:${api.port}` }, "kind-clickvote");
    expectNotOk(
      await checkCluster(NO_STACK, { KUBECONFIG: file }, 2000),
      "MISSING",
      /context kind-clickvote \(current-context\) is not in the kubeconfig/,
      /npm run dev:cluster/,
    );
    const pinned = await checkCluster(project({ "kubernetes:context": "staging" }).stackFile, { KUBECONFIG: file }, 2000);
    expectNotOk(pinned, "MISSING", /context staging \(kubernetes:context\)/, /kubectl config use-context <fake>.*pulumi config set kubernetes:context/);
  });

  it("FAIL naming the server URL and the context when nothing listens there", async () => {
    const port = await closedPort();
    const file = kubeconfig({ "kind-clickvote": `http://127.0.0.1:${port}` }, "kind-clickvote");
    const r = await checkCluster(NO_STACK, { KUBECONFIG: file }, 2000);
    expectNotOk(
      r,
      "FAIL",
      new RegExp(`context kind-clickvote \\(current-context\\) at http://127\\.0\\.0\\.1:${port} is unreachable \\(ECONNREFUSED\\)`),
      /npm run dev:cluster/,
    );
    const other = await checkCluster(NO_STACK, { KUBECONFIG: kubeconfig({ work: `http://127.0.0.1:${port}` }, "work") }, 2000);
    expectNotOk(other, "FAIL", /unreachable/, /kubectl --context work cluster-info/);
  });

  it("FAIL within the time limit when the API server never answers", async () => {
    const hanging = await fakeApiserver("hang");
    try {
      const started = Date.now();
      const r = await checkCluster(NO_STACK, { KUBECONFIG: kubeconfig({ slow: `http://127.0.0.1:${hanging.port}` }, "slow") }, 500);
      expectNotOk(r, "FAIL", /did not answer within 500 ms/);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await hanging.close();
    }
  });

  it("FAIL when the API server refuses the context's credentials", async () => {
    const refusing = await fakeApiserver("unauthorized");
    try {
      const r = await checkCluster(NO_STACK, { KUBECONFIG: kubeconfig({ "kind-old": `http://127.0.0.1:${refusing.port}` }, "kind-old") }, 2000);
      expectNotOk(r, "FAIL", /refused the context's credentials \(401/, /kind export kubeconfig --name old/);
    } finally {
      await refusing.close();
    }
  });

  it("FAIL when the kubeconfig cannot be parsed", async () => {
    const file = path.join(tmpDir("kube"), "config");
    fs.writeFileSync(file, "clusters: [unclosed\n");
    expectNotOk(await checkCluster(NO_STACK, { KUBECONFIG: file }, 2000), "FAIL", /cannot be read/);
  });
});

describe("builder: Docker, buildx and a builder the docker-build provider can push with", () => {
  const loopback = image({ imageRepository: "localhost:5001/clickvote" });
  const remote = image({ imageRepository: "registry.example.com/team/clickvote" });

  it("ok without looking for Docker in digest mode", async () => {
    const r = await checkBuilder(image({ imageMode: "digest" }), envWith(stubs({})));
    expect(r).toMatchObject({ status: "ok", what: "builder: not needed (imageMode digest)" });
  });

  it("tag mode: ok when the Docker daemon answers, which the docker provider resolving the tag pings (pulumi/pulumi-docker#1106)", async () => {
    const r = await checkBuilder(image({ imageMode: "tag" }), envWith(dockerStub(HOST_BUILDER)));
    expect(r).toMatchObject({
      status: "ok",
      what: "builder: not needed (imageMode tag); Docker 28.2.2 answers, as the docker provider that resolves the tag needs",
    });
  });

  it("tag mode: FAIL when the Docker daemon is down, and MISSING without docker, each offering digest mode", async () => {
    const down = await checkBuilder(image({ imageMode: "tag" }), envWith(dockerStub(HOST_BUILDER, { daemonDown: true })));
    expectNotOk(
      down,
      "FAIL",
      /the Docker daemon is not reachable \(Cannot connect to the Docker daemon.*\); imageMode tag: .*pulumi\/pulumi-docker#1106/,
      /start Docker.*DOCKER_HOST.*clickvote:imageMode digest/,
    );
    const none = await checkBuilder(image({ imageMode: "tag" }), envWith(stubs({})));
    expectNotOk(none, "MISSING", /`docker` is not on PATH \(imageMode tag: /, /install and start Docker.*clickvote:imageMode digest/);
  });

  it("ok for a docker-container builder on the host network that has every platform", async () => {
    const r = await checkBuilder(loopback, envWith(dockerStub(HOST_BUILDER)));
    expect(r.status, formatResult(r).join("\n")).toBe("ok");
    expect(r.what).toBe("builder: Docker 28.2.2, buildx v0.23.0, builder clickvote (docker-container) builds linux/amd64, linux/arm64");
  });

  it("MISSING naming Docker with buildx, or another image mode, when docker is not on PATH", async () => {
    const r = await checkBuilder(loopback, envWith(stubs({})));
    // tag mode needs a Docker daemon too, so the way out without Docker is digest mode
    expectNotOk(r, "MISSING", /`docker` is not on PATH/, /install Docker with buildx.*clickvote:imageMode digest/);
  });

  it("MISSING when docker has no buildx plugin", async () => {
    const r = await checkBuilder(loopback, envWith(stubs({ docker: `echo "docker: unknown command: docker buildx" >&2; exit 1` })));
    expectNotOk(r, "MISSING", /`docker buildx` is not available \(docker: unknown command: docker buildx\)/, /docker-buildx-plugin/);
  });

  it("FAIL when the Docker daemon is not reachable", async () => {
    const r = await checkBuilder(loopback, envWith(dockerStub(HOST_BUILDER, { daemonDown: true })));
    expectNotOk(r, "FAIL", /Docker daemon is not reachable \(Cannot connect to the Docker daemon/, /start Docker.*or select a remote BuildKit builder/);
  });

  it("ok for a remote builder while the Docker daemon is down: its BuildKit builds without one", async () => {
    const r = await checkBuilder(loopback, envWith(dockerStub(REMOTE_BUILDER, { daemonDown: true })));
    expect(r.status, formatResult(r).join("\n")).toBe("ok");
    expect(r.what).toBe(
      "builder: buildx v0.23.0, builder buildkit (remote, at unix:///run/buildkit/buildkitd.sock; no Docker daemon needed) builds linux/amd64, linux/arm64",
    );
  });

  it("FAIL naming the endpoint when the remote builder's BuildKit does not answer", async () => {
    const down = REMOTE_BUILDER.replace("Status:           running", "Status:           inactive").replace(/BuildKit version.*\n|Platforms.*\n/g, "");
    const r = await checkBuilder(loopback, envWith(dockerStub(down, { daemonDown: true })));
    expectNotOk(
      r,
      "FAIL",
      /builder buildkit \(remote.*: its BuildKit does not answer \(status inactive\)/,
      /start the BuildKit daemon at unix:\/\/\/run\/buildkit\/buildkitd\.sock/,
    );
  });

  it("a remote builder still needs the platforms the stack builds", async () => {
    const amd64Only = REMOTE_BUILDER.replace(/Platforms:.*\n/, "Platforms:        linux/amd64, linux/386\n");
    const r = await checkBuilder(loopback, envWith(dockerStub(amd64Only, { daemonDown: true })));
    expectNotOk(r, "FAIL", /cannot build linux\/arm64 \(it has linux\/amd64, linux\/386\)/, /clickvote:buildPlatforms '\["linux\/amd64"\]'/);
  });

  it("FAIL for a loopback registry when the current builder uses the docker driver", async () => {
    const r = await checkBuilder(loopback, envWith(dockerStub(DOCKER_DRIVER_BUILDER)));
    expectNotOk(
      r,
      "FAIL",
      /cannot use the docker driver.*cannot reach localhost:5001/,
      /docker buildx create --name clickvote --driver docker-container --driver-opt network=host --bootstrap --use.*npm run dev:cluster/,
    );
  });

  it("ok for a remote registry with the docker driver (the provider brings its own builder)", async () => {
    const r = await checkBuilder(remote, envWith(dockerStub(DOCKER_DRIVER_BUILDER)));
    expect(r.status, formatResult(r).join("\n")).toBe("ok");
    expect(r.what).toMatch(/uses another running builder or creates a docker-container one/);
  });

  it("FAIL for a loopback registry when the docker-container builder is not on the host network", async () => {
    const r = await checkBuilder(loopback, envWith(dockerStub(HOST_BUILDER.replace(/Driver Options:.*\n/, ""))));
    expectNotOk(r, "FAIL", /is not on the host network, so it cannot push to localhost:5001/);
  });

  it("FAIL naming the platforms the builder lacks, with emulation or fewer platforms as fixes", async () => {
    const r = await checkBuilder(image({ ...remote, buildPlatforms: ["linux/amd64", "linux/s390x"] }), envWith(dockerStub(HOST_BUILDER)));
    expectNotOk(
      r,
      "FAIL",
      /cannot build linux\/s390x \(it has linux\/amd64, linux\/amd64\/v2, linux\/arm64, linux\/386\)/,
      /qemu-user-static.*clickvote:buildPlatforms '\["linux\/amd64"\]'/,
    );
  });

  it("ok for a builder that is not running yet (platforms unknown until it boots)", async () => {
    const inactive = HOST_BUILDER.replace("Status:                running", "Status:                inactive")
      .replace(/BuildKit.*\n/g, "")
      .replace(/Platforms:.*\n/, "");
    const r = await checkBuilder(loopback, envWith(dockerStub(inactive)));
    expect(r.status, formatResult(r).join("\n")).toBe("ok");
    expect(r.what).toMatch(/\(inactive\): platforms known once it runs/);
  });

  it("parses `docker buildx inspect`", () => {
    expect(parseBuildxInspect(HOST_BUILDER)).toEqual({
      name: "clickvote",
      driver: "docker-container",
      endpoint: "unix:///var/run/docker.sock",
      driverOptions: 'network="host"',
      status: "running",
      platforms: ["linux/amd64", "linux/amd64/v2", "linux/arm64", "linux/386"],
    });
  });
});

describe("registry: push rights (build) or the tag (tag) through the OCI distribution API", () => {
  const noCreds = { notes: [] };

  it("ok against an open registry: one upload session opened and cancelled, nothing else", async () => {
    const reg = await fakeRegistry({ auth: "none" });
    try {
      const r = await checkRegistry(image({ imageRepository: reg.repo("clickvote/app") }), noCreds, 2000);
      expect(r.status, formatResult(r).join("\n")).toBe("ok");
      expect(r.what).toMatch(/accepts a push with no credentials \(upload session opened and cancelled\)/);
      expect(reg.requests).toEqual(["GET /v2/", "POST /v2/clickvote/app/blobs/uploads/", "DELETE /v2/clickvote/app/blobs/uploads/upload-1"]);
      expect(reg.openUploads.size).toBe(0);
    } finally {
      await reg.close();
    }
  });

  describe("with a token realm", () => {
    let reg: FakeRegistry;
    beforeAll(async () => {
      reg = await fakeRegistry({
        auth: "bearer",
        users: { pusher: { password: "push-token", actions: ["pull", "push"] }, reader: { password: "read-token", actions: ["pull"] } },
        tags: { "clickvote/app:1.4.2": "sha256:" + "a".repeat(64) },
      });
    });
    afterAll(() => reg.close());
    const repo = () => reg.repo("clickvote/app");
    const credsFor = (user: string, token: string, stackConfig: Record<string, unknown> = {}) =>
      registryCredentials(image({ imageRepository: repo(), registryUsername: user }), project(stackConfig).stackFile, { CLICKVOTE_REGISTRY_TOKEN: token });

    it("ok with the right credentials: a push,pull token by basic auth, then the upload cancelled", async () => {
      reg.requests.length = 0;
      const r = await checkRegistry(image({ imageRepository: repo() }), credsFor("pusher", "push-token"), 2000);
      expect(r.status, formatResult(r).join("\n")).toBe("ok");
      expect(r.what).toMatch(/accepts a push with credentials of pusher \(CLICKVOTE_REGISTRY_TOKEN\)/);
      expect(reg.tokenRequests.at(-1)).toEqual({
        authorization: `Basic ${Buffer.from("pusher:push-token").toString("base64")}`,
        scope: "repository:clickvote/app:push,pull",
        service: "fake-registry",
      });
      expect(reg.requests.filter((q) => !q.startsWith("GET"))).toEqual([
        "POST /v2/clickvote/app/blobs/uploads/",
        expect.stringMatching(/^DELETE \/v2\/clickvote\/app\/blobs\/uploads\/upload-\d+$/),
      ]);
      expect(reg.openUploads.size).toBe(0);
    });

    it("MISSING when the token endpoint refuses wrong credentials; nothing is uploaded", async () => {
      reg.requests.length = 0;
      const r = await checkRegistry(image({ imageRepository: repo() }), credsFor("pusher", "wrong"), 2000);
      expectNotOk(
        r,
        "MISSING",
        /refused the credentials of pusher \(CLICKVOTE_REGISTRY_TOKEN\) \(token endpoint: HTTP 401\)/,
        /pulumi config set --secret clickvote:registryToken <token> --stack dev.*CLICKVOTE_REGISTRY_TOKEN/,
      );
      expect(reg.requests.some((q) => q.startsWith("POST"))).toBe(false);
    });

    it("MISSING when the token may only pull (401 insufficient_scope)", async () => {
      const r = await checkRegistry(image({ imageRepository: repo() }), credsFor("reader", "read-token"), 2000);
      expectNotOk(r, "MISSING", /the credentials of reader \(CLICKVOTE_REGISTRY_TOKEN\) may not push to .* \(HTTP 401\)/);
      expect(reg.openUploads.size).toBe(0);
    });

    it("MISSING when there are no credentials at all", async () => {
      const r = await checkRegistry(image({ imageRepository: repo() }), noCreds, 2000);
      expectNotOk(r, "MISSING", /pushing to .* needs credentials and the preflight found none/, /clickvote:registryUsername <user>.*clickvote:registryToken/);
    });

    it("says that a secret registryToken in the stack file must also be exported for the check", async () => {
      const stackFile = project({ "clickvote:registryToken": { secure: "v1:abc" } }).stackFile;
      const creds = registryCredentials(image({ imageRepository: repo() }), stackFile, {});
      const r = await checkRegistry(image({ imageRepository: repo() }), creds, 2000);
      expect(r.status).toBe("MISSING");
      expect(r.details).toEqual([expect.stringMatching(/secret clickvote:registryToken.*export CLICKVOTE_REGISTRY_TOKEN=<the same token>/)]);
      expect(formatResult(r)).toContainEqual(expect.stringMatching(/^ {2}- the stack has a secret clickvote:registryToken/));
    });

    it("tag mode: ok when the tag exists, asking only for pull", async () => {
      const r = await checkRegistry(image({ imageRepository: repo(), imageMode: "tag", version: "1.4.2" }), credsFor("reader", "read-token"), 2000);
      expect(r.status, formatResult(r).join("\n")).toBe("ok");
      expect(r.what).toMatch(/:1\.4\.2 exists \(sha256:a{64}\)/);
      expect(reg.tokenRequests.at(-1)?.scope).toBe("repository:clickvote/app:pull");
    });

    it("tag mode: FAIL when the tag does not exist", async () => {
      const r = await checkRegistry(image({ imageRepository: repo(), imageMode: "tag", imageTag: "9.9.9" }), credsFor("reader", "read-token"), 2000);
      expectNotOk(r, "FAIL", /:9\.9\.9 does not exist/, /clickvote:imageTag <tag>/);
    });
  });

  it("MISSING with a pull-only token that the registry denies (403)", async () => {
    const reg = await fakeRegistry({ auth: "bearer", denyPush: 403, users: { reader: { password: "read-token", actions: ["pull"] } } });
    try {
      const creds = registryCredentials(image({ imageRepository: reg.repo("clickvote/app"), registryUsername: "reader" }), NO_STACK, {
        CLICKVOTE_REGISTRY_TOKEN: "read-token",
      });
      const r = await checkRegistry(image({ imageRepository: reg.repo("clickvote/app") }), creds, 2000);
      expectNotOk(r, "MISSING", /may not push .*\(HTTP 403, denied: a pull-only token\?\)/);
      expect(reg.openUploads.size).toBe(0);
    } finally {
      await reg.close();
    }
  });

  it("Basic-auth registries: ok with the right password, MISSING with a wrong one", async () => {
    const reg = await fakeRegistry({ auth: "basic", users: { dev: { password: "pw", actions: ["pull", "push"] } } });
    try {
      const img = image({ imageRepository: reg.repo("clickvote"), registryUsername: "dev" });
      expect((await checkRegistry(img, registryCredentials(img, NO_STACK, { CLICKVOTE_REGISTRY_TOKEN: "pw" }), 2000)).status).toBe("ok");
      expect((await checkRegistry(img, registryCredentials(img, NO_STACK, { CLICKVOTE_REGISTRY_TOKEN: "nope" }), 2000)).status).toBe("MISSING");
      expect(reg.openUploads.size).toBe(0);
    } finally {
      await reg.close();
    }
  });

  it("MISSING with `npm run dev:cluster` when nothing listens on a loopback registry", async () => {
    const port = await closedPort();
    const r = await checkRegistry(image({ imageRepository: `localhost:${port}/clickvote` }), noCreds, 2000);
    expectNotOk(r, "MISSING", new RegExp(`nothing listens on localhost:${port} \\(http://localhost:${port}\\)`), /npm run dev:cluster/);
  });

  it("FAIL within the time limit when the registry never answers", async () => {
    const reg = await fakeRegistry({ auth: "none", hang: true });
    try {
      const started = Date.now();
      const r = await checkRegistry(image({ imageRepository: reg.repo("clickvote") }), noCreds, 500);
      expectNotOk(r, "FAIL", /did not answer within 500 ms/);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await reg.close();
    }
  });

  it("FAIL when the host does not speak the registry API", async () => {
    const web = await serve((_req, res) => {
      res.writeHead(404);
      res.end("not here");
    });
    try {
      const r = await checkRegistry(image({ imageRepository: `127.0.0.1:${web.port}/clickvote` }), noCreds, 2000);
      expectNotOk(r, "FAIL", /answered HTTP 404, not an OCI registry API/);
    } finally {
      await web.close();
    }
  });

  it("digest mode contacts no registry", async () => {
    const reg = await fakeRegistry({ auth: "none" });
    try {
      const r = await checkRegistry(
        image({ imageRepository: reg.repo("clickvote"), imageMode: "digest", imageDigest: `sha256:${"b".repeat(64)}` }),
        noCreds,
        2000,
      );
      expect(r.status).toBe("ok");
      expect(r.what).toMatch(/not contacted/);
      expect(reg.requests).toEqual([]);
    } finally {
      await reg.close();
    }
  });

  it("takes the credentials the program would: GITHUB_TOKEN/GITHUB_ACTOR on GHCR only, CLICKVOTE_REGISTRY_TOKEN first", () => {
    const ghcr = image({ imageRepository: "ghcr.io/octo/clickvote" });
    const other = image({ imageRepository: "registry.example.com/team/clickvote" });
    expect(registryCredentials(ghcr, NO_STACK, { GITHUB_TOKEN: "gh", GITHUB_ACTOR: "octocat" })).toMatchObject({
      username: "octocat",
      token: "gh",
      tokenFrom: "GITHUB_TOKEN",
    });
    expect(registryCredentials(ghcr, NO_STACK, { GITHUB_TOKEN: "gh" })).toMatchObject({ username: "github-actions", token: "gh" });
    expect(registryCredentials(other, NO_STACK, { GITHUB_TOKEN: "gh", GITHUB_ACTOR: "octocat" })).toMatchObject({ username: undefined, token: undefined });
    expect(registryCredentials({ ...other, registryUsername: "ci" }, NO_STACK, { CLICKVOTE_REGISTRY_TOKEN: "t", GITHUB_TOKEN: "gh" })).toMatchObject({
      username: "ci",
      token: "t",
      tokenFrom: "CLICKVOTE_REGISTRY_TOKEN",
    });
    const secret = project({ "clickvote:registryToken": { secure: "v1:x" } }).stackFile;
    expect(registryCredentials(ghcr, secret, { GITHUB_TOKEN: "gh" }).notes).toEqual([
      expect.stringMatching(/program pushes with the stack's secret clickvote:registryToken/),
    ]);
  });

  it("speaks plain HTTP to loopback registries only, and parses auth challenges", () => {
    expect(registryBaseUrl("localhost:5001/clickvote")).toBe("http://localhost:5001");
    expect(registryBaseUrl("127.0.0.1:5000/a/b")).toBe("http://127.0.0.1:5000");
    expect(registryBaseUrl("[::1]:5000/a")).toBe("http://[::1]:5000");
    expect(registryBaseUrl("ghcr.io/octo/clickvote")).toBe("https://ghcr.io");
    expect(registryBaseUrl("registry.example.com:8443/a")).toBe("https://registry.example.com:8443");
    expect(parseChallenge('Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a:pull"')).toEqual({
      scheme: "bearer",
      params: { realm: "https://auth.example.com/token", service: "registry.example.com", scope: "repository:a:pull" },
    });
    expect(parseChallenge('Basic realm="Registry"')).toEqual({ scheme: "basic", params: { realm: "Registry" } });
    expect(parseChallenge(null)).toBeUndefined();
  });
});

const DOCKER_REGISTRY = "/usr/bin/docker-registry";
const hasRegistry = fs.existsSync(DOCKER_REGISTRY);

describe("registry: against a real registry (Debian's docker-registry)", () => {
  it.skipIf(!hasRegistry)(
    `proves push rights and leaves no repository and no blob${hasRegistry ? "" : ` (SKIPPED: ${DOCKER_REGISTRY} is not installed; apt-get install docker-registry)`}`,
    async () => {
      const dir = tmpDir("registry");
      const data = path.join(dir, "data");
      fs.mkdirSync(data);
      const port = await closedPort();
      const config = path.join(dir, "config.yml");
      fs.writeFileSync(
        config,
        `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${data}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n`,
      );
      const child = spawn(DOCKER_REGISTRY, ["serve", config], { stdio: ["ignore", "ignore", "pipe"] });
      let log = "";
      child.stderr.on("data", (d: Buffer) => (log += d.toString()));
      try {
        const base = `http://127.0.0.1:${port}`;
        for (let i = 0; ; i++) {
          const up = await fetch(`${base}/v2/`).then(
            (r) => r.status === 200,
            () => false,
          );
          if (up) break;
          if (i > 100 || child.exitCode !== null) throw new Error(`docker-registry did not start: ${log}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        const r = await checkRegistry(image({ imageRepository: `127.0.0.1:${port}/clickvote/preflight` }), { notes: [] }, 3000);
        expect(r.status, formatResult(r).join("\n")).toBe("ok");
        expect(r.details).toBeUndefined(); // the upload session was cancelled (DELETE answered 2xx)

        // Changes nothing: no repository in the catalog, no blob, no layer link, no manifest.
        expect(await (await fetch(`${base}/v2/_catalog`)).json()).toEqual({ repositories: [] });
        const files = fs.readdirSync(data, { recursive: true }).map(String);
        expect(files.filter((f) => f.includes(`${path.sep}blobs`))).toEqual([]);
        expect(files.filter((f) => /_layers|_manifests/.test(f))).toEqual([]);
        // distribution 2.8 keeps the cancelled session's hash state under _uploads (its upload
        // purger removes such leftovers); nothing outside _uploads was written.
        expect(
          files.filter(
            (f) => f.includes(`${path.sep}repositories${path.sep}`) && !/_uploads/.test(f) && !/repositories[/\\]clickvote(?:[/\\]preflight)?$/.test(f),
          ),
        ).toEqual([]);
        expect((await fetch(`${base}/v2/clickvote/preflight/tags/list`)).status).toBe(404);
      } finally {
        if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, "SIGTERM");
        await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once("exit", resolve)));
      }
    },
  );
});

describe("runPreflight and the command line", () => {
  /** Everything a dev deploy needs, on loopback fakes and PATH stubs. */
  async function healthyMachine() {
    const reg = await fakeRegistry({ auth: "none" });
    const api = await fakeApiserver();
    const { dir } = project({ "clickvote:environment": "dev", "clickvote:imageRepository": reg.repo("clickvote") }, { stack: "dev" });
    const docker = dockerStub(HOST_BUILDER);
    fs.writeFileSync(path.join(docker, "pulumi"), `#!/bin/bash\n${PULUMI_OK}\n`, { mode: 0o755 });
    const env = envWith(docker, {
      KUBECONFIG: kubeconfig({ "kind-clickvote": `http://127.0.0.1:${api.port}` }, "kind-clickvote"),
      PULUMI_CONFIG_PASSPHRASE: "dev",
    });
    return { reg, api, dir, env, close: async () => (await reg.close(), await api.close()) };
  }

  const listing = (dir: string) => fs.readdirSync(dir, { recursive: true }).map(String).sort();

  it("all six checks ok, in order, within seconds, and nothing changed on disk", async () => {
    const m = await healthyMachine();
    try {
      const before = { project: listing(m.dir), home: listing(m.env.HOME!) };
      const lines: string[] = [];
      const started = Date.now();
      const report = await runPreflight("dev", { projectDir: m.dir, env: m.env, timeoutMs: 2000, output: (l) => lines.push(l) });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(report.checks.map((c) => [c.id, c.status])).toEqual([
        ["pulumi", "ok"],
        ["settings", "ok"],
        ["passphrase", "ok"],
        ["cluster", "ok"],
        ["builder", "ok"],
        ["registry", "ok"],
      ]);
      expect(report.ok).toBe(true);
      expect(lines[0]).toBe("preflight: stack dev (Pulumi.dev.yaml)");
      expect(lines.slice(1, -1).every((l) => l.startsWith("ok "))).toBe(true);
      expect(lines.at(-1)).toMatch(/^preflight: all 6 checks ok \(\d+ ms\)$/);
      expect({ project: listing(m.dir), home: listing(m.env.HOME!) }).toEqual(before);
      expect(m.reg.openUploads.size).toBe(0);
    } finally {
      await m.close();
    }
  });

  it("a machine with nothing: every piece named with its fix, and checks that need settings say so", async () => {
    const { dir } = project({ "clickvote:imageRepository": `localhost:${await closedPort()}/clickvote`, "clickvote:appReplicas": "many" }, { stack: "dev" });
    const lines: string[] = [];
    const report = await runPreflight("dev", { projectDir: dir, env: envWith(stubs({})), timeoutMs: 1000, output: (l) => lines.push(l) });
    expect(report.ok).toBe(false);
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([
      ["pulumi", "MISSING"],
      ["settings", "FAIL"],
      ["passphrase", "MISSING"],
      ["cluster", "MISSING"],
      ["builder", "MISSING"],
      ["registry", "MISSING"],
    ]);
    for (const c of report.checks) expect(lines).toContain(`  fix: ${c.fix}`);
    expect(lines.at(-1)).toMatch(/^preflight: 6 of 6 checks not ok \(\d+ ms\); nothing was changed$/);
    expect(lines.filter((l) => /^(ok|MISSING|FAIL) /.test(l))).toHaveLength(6);
  });

  /** Runs main() in this process, capturing what it writes. */
  async function cli(argv: string[], env: Env): Promise<{ code: number; stdout: string; stderr: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const [write, writeErr] = [process.stdout.write.bind(process.stdout), process.stderr.write.bind(process.stderr)];
    process.stdout.write = ((chunk: string) => (out.push(chunk), true)) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string) => (err.push(chunk), true)) as typeof process.stderr.write;
    try {
      const code = await main(argv, env);
      return { code, stdout: out.join(""), stderr: err.join("") };
    } finally {
      process.stdout.write = write;
      process.stderr.write = writeErr;
    }
  }

  it("--json prints the report as JSON; exit 0 when all is ok, 1 when not", async () => {
    const m = await healthyMachine();
    try {
      const good = await cli(["--stack", "dev", "--json", "--cwd", m.dir, "--timeout-ms", "2000"], m.env);
      expect(good.code, good.stdout + good.stderr).toBe(0);
      const report = JSON.parse(good.stdout) as { stack: string; ok: boolean; checks: CheckResult[] };
      expect(report).toMatchObject({ stack: "dev", ok: true });
      expect(report.checks.map((c) => c.status)).toEqual(["ok", "ok", "ok", "ok", "ok", "ok"]);
      const bad = await cli(["--stack", "dev", "--cwd", m.dir], { ...m.env, PULUMI_CONFIG_PASSPHRASE: undefined });
      expect(bad.code).toBe(1);
      expect(bad.stdout).toMatch(/^MISSING secrets passphrase .*\n {2}fix: export PULUMI_CONFIG_PASSPHRASE=/m);
    } finally {
      await m.close();
    }
  });

  it("runs as a script with the runner of package.json's TS scripts (tsx), exit code and JSON", async () => {
    const m = await healthyMachine();
    try {
      const script = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts.preflight;
      expect(script).toBe("tsx release/preflight.ts");
      const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const args = [
          path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs"),
          "release/preflight.ts",
          "--stack",
          "dev",
          "--json",
          "--cwd",
          m.dir,
          "--timeout-ms",
          "5000",
        ];
        const child = spawn(process.execPath, args, { env: m.env as NodeJS.ProcessEnv, cwd: ROOT });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("exit", (code) => resolve({ code, stdout, stderr }));
      });
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ stack: "dev", ok: true });
    } finally {
      await m.close();
    }
  }, 180_000);

  it("exits 2 on bad arguments", async () => {
    const stderr: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => (stderr.push(chunk), true)) as typeof process.stderr.write;
    try {
      expect(await main(["--bogus"])).toBe(2);
      expect(await main(["--stack", "../etc"])).toBe(2);
      expect(await main(["--timeout-ms", "0"])).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(stderr.join("")).toMatch(/usage: npm run preflight/);
  });
});

// =================================================================================================

describe("release/dev-cluster.sh (npm run dev:cluster)", () => {
  const SCRIPT = path.join(ROOT, "release", "dev-cluster.sh");
  const hasShellcheck = spawnSync("shellcheck", ["--version"]).status === 0;

  /** docker and kind stubs that log every call and keep what they "created" in a state directory. */
  function laptop(opts: { docker?: boolean; kind?: boolean; daemonDown?: boolean; buildx?: boolean } = {}) {
    const state = tmpDir("state");
    const log = path.join(state, "calls.log");
    const scripts: Record<string, string> = {};
    if (opts.docker !== false) {
      scripts.docker = `echo "docker $*" >> "${log}"
S="${state}"
case "$1" in
  info) ${opts.daemonDown ? `echo "Cannot connect to the Docker daemon" >&2; exit 1` : "exit 0"} ;;
  buildx)
    case "$2" in
      version) ${opts.buildx === false ? `echo "docker: unknown command: docker buildx" >&2; exit 1` : BUILDX_VERSION} ;;
      inspect) [ -f "$S/builder" ] || { echo "ERROR: no builder \\"$3\\" found" >&2; exit 1; }; echo "Name: $3" ;;
      create) touch "$S/builder" ;;
      use) ;;
      rm) rm -f "$S/builder" ;;
    esac ;;
  inspect)
    if [ "$3" = "{{.State.Running}}" ]; then
      [ -f "$S/registry" ] || { echo "Error: No such object: $4" >&2; exit 1; }
      echo true
    elif [ -f "$S/registry-on-kind" ]; then echo '{"NetworkID":"kind"}'; else echo null; fi ;;
  run) touch "$S/registry"; echo 0123456789ab ;;
  start) ;;
  rm) rm -f "$S/registry" "$S/registry-on-kind" ;;
  network) touch "$S/registry-on-kind" ;;
  exec) if [ "$2" = "-i" ]; then { echo "--- stdin of docker $*"; cat; } >> "${log}"; fi ;;
  *) echo "unexpected docker $*" >&2; exit 9 ;;
esac`;
    }
    if (opts.kind !== false) {
      scripts.kind = `echo "kind $*" >> "${log}"
S="${state}"
case "$1 $2" in
  "get clusters") [ -f "$S/cluster" ] && echo clickvote; [ -f "$S/cluster" ] || echo "No kind clusters found." >&2 ;;
  "create cluster") cat > "$S/kind-config.yaml"; touch "$S/cluster" ;;
  "get nodes") echo clickvote-control-plane ;;
  "export kubeconfig") ;;
  "delete cluster") rm -f "$S/cluster" ;;
  *) echo "unexpected kind $*" >&2; exit 9 ;;
esac`;
    }
    const dir = stubs(scripts);
    const run = (...args: string[]) => {
      fs.writeFileSync(log, "");
      const r = spawnSync("/bin/bash", [SCRIPT, ...args], { env: { PATH: `${dir}:${TOOLS}`, HOME: state }, encoding: "utf8", timeout: 30_000 });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls: fs.readFileSync(log, "utf8") };
    };
    return { state, run };
  }

  it.skipIf(!hasShellcheck)(`passes shellcheck${hasShellcheck ? "" : " (SKIPPED: shellcheck is not installed; apt-get install shellcheck)"}`, () => {
    const r = spawnSync("shellcheck", ["-x", "--severity=style", SCRIPT], { cwd: ROOT, encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("prints usage with --help and exits 2 on anything else", () => {
    const { run } = laptop();
    const help = run("--help");
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/usage: npm run dev:cluster \[-- --delete\][\s\S]*Needs Docker \(running, with buildx\) and kind/);
    for (const args of [["--bogus"], ["--delete", "--yes"], ["delete"]]) {
      const r = run(...args);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(/unknown arguments/);
      expect(r.calls).toBe("");
    }
  });

  it("names Docker and kind, with where to get them, when both are missing", () => {
    const r = laptop({ docker: false, kind: false }).run();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/missing: Docker is not installed \(not on PATH\).*https:\/\/docs\.docker\.com\/get-docker\//);
    expect(r.stderr).toMatch(/missing: kind is not installed \(not on PATH\).*https:\/\/kind\.sigs\.k8s\.io\/docs\/user\/quick-start\/#installation/);
  });

  it("names a stopped Docker daemon, and a missing buildx plugin, and changes nothing", () => {
    const down = laptop({ daemonDown: true }).run();
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/Docker is installed but its daemon is not reachable: start Docker Desktop, or `sudo systemctl start docker`/);
    expect(down.calls).not.toMatch(/docker run|kind create/);
    const noBuildx = laptop({ buildx: false }).run();
    expect(noBuildx.status).toBe(1);
    expect(noBuildx.stderr).toMatch(/no buildx plugin/);
    const noKind = laptop({ kind: false }).run();
    expect(noKind.status).toBe(1);
    expect(noKind.stderr).toMatch(/kind is not installed/);
    expect(noKind.stderr).not.toMatch(/Docker/);
  });

  it("creates registry, cluster, registry alias, network link, ConfigMap and builder; prints the context", () => {
    const { state, run } = laptop();
    const r = run();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split("\n").at(-1)).toBe("kind-clickvote");
    expect(r.stdout).toMatch(/kube context: kind-clickvote/);
    expect(r.calls).toContain("docker run -d --restart=always -p 127.0.0.1:5001:5000 --network bridge --name clickvote-registry registry:2");
    expect(r.calls).toContain("kind create cluster --name clickvote --config=-");
    expect(fs.readFileSync(path.join(state, "kind-config.yaml"), "utf8")).toMatch(
      /containerdConfigPatches:\n- \|-\n {2}\[plugins\."io\.containerd\.grpc\.v1\.cri"\.registry\]\n {4}config_path = "\/etc\/containerd\/certs\.d"/,
    );
    expect(r.calls).toContain("docker exec clickvote-control-plane mkdir -p /etc/containerd/certs.d/localhost:5001");
    expect(r.calls).toContain(
      '--- stdin of docker exec -i clickvote-control-plane cp /dev/stdin /etc/containerd/certs.d/localhost:5001/hosts.toml\n[host."http://clickvote-registry:5000"]',
    );
    expect(r.calls).toContain("docker network connect kind clickvote-registry");
    expect(r.calls).toMatch(
      /--- stdin of docker exec -i clickvote-control-plane kubectl --kubeconfig=\/etc\/kubernetes\/admin\.conf apply -f -\n[\s\S]*name: local-registry-hosting\n {2}namespace: kube-public[\s\S]*host: "localhost:5001"/,
    );
    expect(r.calls).toContain("docker buildx create --name clickvote --driver docker-container --driver-opt network=host --bootstrap --use");
  });

  it("is idempotent: a second run reuses everything and re-selects context and builder", () => {
    const { run } = laptop();
    expect(run().status).toBe(0);
    const again = run();
    expect(again.status, again.stderr).toBe(0);
    expect(again.calls).not.toMatch(/docker run|kind create|network connect|buildx create/);
    expect(again.calls).toContain("kind export kubeconfig --name clickvote");
    expect(again.calls).toContain("docker buildx use clickvote");
    expect(again.stdout).toMatch(/registry clickvote-registry already running[\s\S]*kind cluster clickvote already exists/);
    expect(again.stdout.trim().split("\n").at(-1)).toBe("kind-clickvote");
  });

  it("--delete removes cluster, registry and builder, and is safe to run twice", () => {
    const { run } = laptop();
    expect(run().status).toBe(0);
    const del = run("--delete");
    expect(del.status, del.stderr).toBe(0);
    expect(del.calls).toContain("kind delete cluster --name clickvote");
    expect(del.calls).toContain("docker rm -f clickvote-registry");
    expect(del.calls).toContain("docker buildx rm clickvote");
    const again = run("--delete");
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/no kind cluster clickvote[\s\S]*no registry container clickvote-registry[\s\S]*no buildx builder clickvote/);
    expect(again.calls).not.toMatch(/kind delete|docker rm|buildx rm/);
  });

  it("refuses a registry port that is not a number", () => {
    const { state } = laptop();
    const r = spawnSync("/bin/bash", [SCRIPT], { env: { PATH: TOOLS, HOME: state, CLICKVOTE_REGISTRY_PORT: "50x1" }, encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/CLICKVOTE_REGISTRY_PORT must be a port number/);
  });
});
