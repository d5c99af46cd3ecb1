// The Pulumi program on a REAL node (e2e/realpods/run.sh sets everything up): the README's
// `npm run deploy:dev -- --yes` for the committed dev stack, with only the overrides this machine
// forces (e2e/realpods/dev-overrides.sh says which and why), then a vote cast and read back
// through the app Service, the project's NetworkPolicies enforced, and, each under continuous
// load (vegeta in a process of its own, e2e/realpods/load.ts): the steady state, a rolling
// update to a new image digest, a rollout to an image that never becomes ready followed by
// `npm run deploy:atomic` back to a good release, `npm run rollback`, a release whose migration
// fails, a release the policy pack refuses, `pulumi up` killed mid-rollout and recovered, Redis
// stopped, the PostgreSQL pod deleted; then votes read back after `pulumi destroy` + a fresh deploy and after a
// replacement of the PostgreSQL StatefulSet, and every pod admitted under `restricted` and
// running without a restart.
import { execFileSync, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { killTree, run, start } from "../failures-helpers";
import { deleteNamespace, kubectl, kubectlJson, pulumiEnv, ROOT } from "../lib";
import { DEFAULT_LOAD, describeLoad, failed, longestSilence, startLoad, type LoadOptions, type LoadResult } from "./load";
import { digestOf, imageConfigOf } from "./dev-registry";

const UNAVAILABLE =
  process.env.REALPODS_UNAVAILABLE ?? (process.env.CLICKVOTE_E2E_BIN && process.env.KUBECONFIG ? undefined : "run it through e2e/realpods/run.sh");
const NAMESPACE = "clickvote"; // the committed dev stack's namespace: this cluster is ours
const OUTSIDER = "rp-outsider";
const NODE = process.env.E2E_RP_NODE_NAME ?? "realpods-node";
const RESULTS = path.join(os.homedir(), ".cache", "clickvote-e2e", "realpods", "logs", "program-test-results.log");

let workDir = "";
let env: Record<string, string> = {};
let base = ""; // http://<ClusterIP>:80 of the app Service
let cloneStarted = 0;
/** Why the README deploy ran in digest mode (dev-overrides.sh's reason); empty when it ran in build mode. */
let digestReason = "";
/** The architectures build mode builds here: the committed two, or amd64 alone (dev-overrides.sh says why). */
let buildArchitectures: string[] = [];
/** The output of the first `npm run deploy:dev` (the build-mode test reads the build's line from it). */
let firstDeployOut = "";
/** The committed dev stack's release version: the tag build mode pushes. */
const DEV_VERSION = "0.1.0-dev";
const NPM_CI = process.env.CLICKVOTE_REALPODS_NPM_CI === "1";

const record = (line: string) => {
  const text = `${new Date().toISOString()} ${line}`;
  console.log(text);
  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  fs.appendFileSync(RESULTS, `${text}\n`);
};

/** A command in the project copy, with the Pulumi CLI, backend and kubeconfig of the test; throws on failure. */
function inProject(cmd: string, args: string[], extraEnv: Record<string, string> = {}): string {
  return execFileSync(cmd, args, { cwd: workDir, env: { ...process.env, ...env, ...extraEnv }, encoding: "utf8", maxBuffer: 64 << 20 });
}
const setConfig = (key: string, value: string) => inProject("pulumi", ["config", "set", "--stack", "dev", `clickvote:${key}`, value]);
/**
 * A command in the project copy, run asynchronously (the test process keeps serving its timers;
 * the load runs in a process of its own anyway); resolves with its exit status and output.
 */
function inProjectAsync(cmd: string, args: string[], extraEnv: Record<string, string> = {}): Promise<{ status: number | null; out: string }> {
  return run(cmd, args, { cwd: workDir, env: { ...process.env, ...env, ...extraEnv } }).then((r) => ({ status: r.code, out: `${r.stdout}\n${r.stderr}` }));
}
/**
 * `npm run deploy:dev -- --yes` as the README runs it (the later updates add --skip-preview: the
 * preview alone took minutes on this shared machine); resolves with its exit status and output.
 */
const deployDev = (...extra: string[]) => inProjectAsync("npm", ["run", "deploy:dev", "--", "--yes", ...extra]);
/** The policy pack and its config for the dev stack, as deploy:dev passes them (release/deploy-dev.sh). */
function policyArgs(): string[] {
  const file = path.join(workDir, ".policy-config.dev.json");
  if (!fs.existsSync(file)) inProject("npm", ["run", "--silent", "policy:config", "--", "dev", file]);
  return ["--policy-pack", "policy", "--policy-pack-config", file];
}
const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One request of a test's own (not the measured load): retried once after a network error, since
 * a pooled keep-alive connection may point at a pod that has gone since (EPIPE, ECONNRESET).
 */
async function call(method: string, url: string, body?: unknown): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const send = () =>
    fetch(`${base}${url}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  const r = await send().catch(async () => {
    await new Promise((done) => setTimeout(done, 1_000));
    return send();
  });
  const text = await r.text();
  return { status: r.status, headers: r.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

interface ContainerStatus {
  name: string;
  restartCount: number;
  state: { waiting?: { reason?: string }; running?: unknown; terminated?: { reason?: string; exitCode?: number } };
}
interface PodInfo {
  metadata: { name: string; uid: string; deletionTimestamp?: string; labels?: Record<string, string>; ownerReferences?: { kind: string }[] };
  spec: { nodeName?: string; containers: { image: string; ports?: { containerPort: number }[] }[] };
  status: {
    phase: string;
    podIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}
const pods = (selector?: string) => kubectlJson<{ items: PodInfo[] }>("get", "pods", "-n", NAMESPACE, ...(selector ? ["-l", selector] : [])).items;
const ready = (p: PodInfo) => p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
const appPods = () => pods("app.kubernetes.io/component=app").filter((p) => p.metadata.ownerReferences?.some((o) => o.kind === "ReplicaSet"));
/** App pods that are not on their way out (a rolled-back ReplicaSet's pods terminate for a while). */
const liveAppPods = () => appPods().filter((p) => !p.metadata.deletionTimestamp);
/** Exactly `count` live app pods, every one Ready and running `image` (one pod listing per call). */
const appPodsReadyOn = (count: number, image: string) => {
  const live = liveAppPods();
  return live.length === count && live.every((p) => ready(p) && p.spec.containers[0].image === image);
};
/** The app Deployment, with the fields the tests read; its metadata.generation changes with its spec only. */
const appDeployment = () =>
  kubectlJson<{
    metadata: { generation: number; resourceVersion: string };
    spec: { template: { spec: { containers: { image: string }[] } } };
    status: { observedGeneration?: number; replicas?: number; readyReplicas?: number; updatedReplicas?: number; availableReplicas?: number };
  }>("get", "deployment", "clickvote-app", "-n", NAMESPACE);
const appImage = () => appDeployment().spec.template.spec.containers[0].image;
const deploymentMeta = () => appDeployment().metadata;
/** The app image's tag in the dev registry (images.sh; its variants carry suffixes). */
const APP_TAG_NAME = process.env.E2E_RP_APP_TAG_NAME ?? "realpods";
/** The digest of the release the app does not run now: the app image or its relabel variant. */
async function otherRelease(current: string): Promise<string> {
  const candidates = [await digestOf("clickvote", APP_TAG_NAME), await digestOf("clickvote", `${APP_TAG_NAME}-relabel`)];
  return candidates.find((d) => !current.endsWith(d))!;
}
/** Waits until `check` holds (polled every `everyMs`), up to `timeoutMs`; returns whether it did. */
async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 1_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return true;
    } catch {
      // not there yet
    }
    if (Date.now() > end) return false;
    await sleep(everyMs);
  }
}
/** The StatefulSet of a data component (postgres, redis) and its claim. */
function dataSet(component: string): { name: string; uid: string; claim: { name: string; uid: string; volume: string } } {
  const sets = kubectlJson<{ items: { metadata: { name: string; uid: string; labels?: Record<string, string> } }[] }>(
    "get",
    "statefulsets",
    "-n",
    NAMESPACE,
  ).items;
  const set = sets.find((x) => x.metadata.labels?.["app.kubernetes.io/component"] === component);
  if (!set) throw new Error(`no ${component} StatefulSet in ${NAMESPACE}`);
  const claimName = `data-${set.metadata.name}-0`;
  const claim = kubectlJson<{ metadata: { uid: string }; spec: { volumeName: string } }>("get", "pvc", claimName, "-n", NAMESPACE);
  return { name: set.metadata.name, uid: set.metadata.uid, claim: { name: claimName, uid: claim.metadata.uid, volume: claim.spec.volumeName } };
}

/** Starts the load, waits `leadMs`, runs `during`, waits `trailMs`, stops the load. */
async function underLoad<T>(
  options: Omit<LoadOptions, "base">,
  during: () => Promise<T>,
  leadMs = 3_000,
  trailMs = 3_000,
): Promise<{ load: LoadResult; value: T }> {
  const running = await startLoad({ base, ...options });
  try {
    await sleep(leadMs);
    const value = await during();
    await sleep(trailMs);
    return { load: await running.stop(), value };
  } catch (e) {
    await running.stop().catch(() => undefined);
    throw e;
  }
}
let steady: LoadResult | undefined; // the baseline the later figures are printed beside
const besideSteady = () =>
  steady ? ` (steady state: ${(steady.requests / steady.seconds).toFixed(1)} req/s, p50 ${steady.latency.p50} ms, p99 ${steady.latency.p99} ms)` : "";
/** The load ran for the whole of an operation: answers in at least as many seconds as it took, and no silent run of 5 s. */
function expectContinuous(load: LoadResult, operationSeconds: number) {
  expect(load.timeline.length, "seconds of load").toBeGreaterThanOrEqual(Math.floor(operationSeconds));
  expect(longestSilence(load.timeline).seconds, "longest run of seconds without an answer").toBeLessThan(5);
}
async function newTarget(name: string): Promise<string> {
  const t = await call("POST", "/api/targets", { name });
  expect(t.status).toBe(201);
  return String(t.json.id);
}
/** Counts read from PostgreSQL (the dev stack runs in development mode, where ?cache=bypass is honoured). */
async function storedCounts(id: string): Promise<{ up: number; down: number; cache: string | null }> {
  const r = await call("GET", `/api/targets/${id}/counts?cache=bypass`);
  expect(r.status).toBe(200);
  return { up: Number(r.json.up), down: Number(r.json.down), cache: r.headers.get("x-cache") };
}
/** Every pod of the namespace: phase, restarts and waiting reasons (CrashLoopBackOff and the like). */
function podHealth(): { problems: string[]; summary: string } {
  const problems: string[] = [];
  const all = pods();
  for (const p of all) {
    const statuses = [...(p.status.initContainerStatuses ?? []), ...(p.status.containerStatuses ?? [])];
    const owner = p.metadata.ownerReferences?.[0]?.kind ?? "none";
    if (owner === "Job") {
      if (p.status.phase === "Failed") problems.push(`${p.metadata.name}: Job pod Failed`);
    } else if (p.status.phase !== "Running" || !ready(p)) problems.push(`${p.metadata.name}: ${p.status.phase}${ready(p) ? "" : ", not Ready"}`);
    for (const c of statuses) {
      if (c.restartCount > 0) problems.push(`${p.metadata.name}/${c.name}: ${c.restartCount} restart(s)`);
      if (c.state.waiting?.reason) problems.push(`${p.metadata.name}/${c.name}: waiting (${c.state.waiting.reason})`);
    }
  }
  return { problems, summary: all.map((p) => `${p.metadata.name} ${p.status.phase}`).join(", ") };
}

afterAll(() => {
  if (process.env.E2E_RP_KEEP === "1" || !workDir) return;
  try {
    inProject("pulumi", ["destroy", "--yes", "--stack", "dev"]);
  } catch {
    // best effort: the namespace goes below
  }
  deleteNamespace(OUTSIDER);
  deleteNamespace(NAMESPACE);
  fs.rmSync(workDir, { recursive: true, force: true });
});

// run.sh found everything it needs, but setting it up failed: one failing test says why.
const SETUP_FAILED = UNAVAILABLE ? undefined : process.env.REALPODS_SETUP_FAILED;
if (SETUP_FAILED) {
  describe("the real-node set-up", () => {
    it("e2e/realpods/run.sh set up the cluster, images, registries and node", () => {
      throw new Error(`set-up failed: ${SETUP_FAILED}`);
    });
  });
}

describe.skipIf(UNAVAILABLE || SETUP_FAILED)(`the dev stack on a real node${UNAVAILABLE ? ` (skipped: ${UNAVAILABLE})` : ""}`, () => {
  it("from a fresh clone, `npm run deploy:dev -- --yes` deploys the committed dev stack onto the real node", async () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    expect(readme).toMatch(/^npm run deploy:dev\b/m);
    deleteNamespace(OUTSIDER);
    deleteNamespace(NAMESPACE);
    // A new user's start: a clone of the committed HEAD (not the working tree), then the packages:
    // `npm ci --offline` from the local npm cache with CLICKVOTE_REALPODS_NPM_CI=1, else the
    // installed node_modules of this checkout, shared (the default: the suite tests the deploy).
    cloneStarted = Date.now();
    workDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "clickvote-clone-")), "repo");
    execFileSync("git", ["clone", "-q", ROOT, workDir]);
    const head = (dir: string) => execFileSync("git", ["-C", dir, "rev-parse", "HEAD"], { encoding: "utf8" }).trim();
    expect(head(workDir), `the clone of ${ROOT} is at its HEAD`).toBe(head(ROOT));
    if (NPM_CI) {
      for (const prefix of [".", "policy"]) {
        execFileSync("npm", ["ci", "--offline", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", prefix], { cwd: workDir, stdio: "ignore" });
      }
    } else {
      fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(workDir, "node_modules"));
      fs.symlinkSync(path.join(ROOT, "policy", "node_modules"), path.join(workDir, "policy", "node_modules"));
    }
    record(
      `git clone of ${ROOT} at ${head(workDir).slice(0, 12)} + ${NPM_CI ? "npm ci --offline (root and policy pack)" : "node_modules shared"}: ${((Date.now() - cloneStarted) / 1000).toFixed(1)} s`,
    );
    // The committed dev stack, unchanged but for what this machine forces (printed with reasons).
    const committed = fs.readFileSync(path.join(workDir, "Pulumi.dev.yaml"), "utf8");
    expect(committed).toMatch(/^ {2}clickvote:imageRepository: localhost:5001\/clickvote$/m);
    const overrides = execFileSync("bash", [path.join(ROOT, "e2e", "realpods", "dev-overrides.sh"), workDir], { encoding: "utf8" });
    record(`dev stack overrides:\n${overrides.trimEnd()}`);
    const digestMode = /^dev-overrides: # (.*): deploy the app image images\.sh built/m.exec(overrides);
    digestReason = digestMode ? digestMode[1] : "";
    buildArchitectures = /^dev-overrides: clickvote:buildPlatforms: \["linux\/amd64"\]$/m.test(overrides) ? ["amd64"] : ["amd64", "arm64"];
    env = pulumiEnv(fs.mkdtempSync(path.join(os.tmpdir(), "clickvote-realpods-")));
    // build mode's builder: the buildx config images.sh builder made (see dev-overrides.sh)
    if (process.env.CLICKVOTE_REALPODS_DOCKER_CONFIG) env.DOCKER_CONFIG = process.env.CLICKVOTE_REALPODS_DOCKER_CONFIG;

    const started = Date.now();
    const { status, out } = await deployDev();
    record(`npm run deploy:dev -- --yes: exit ${status} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    firstDeployOut = out;
    expect(status, out.slice(-6000)).toBe(0);
    expect(out).toMatch(/\+ \d+ created/);
    if (digestReason) expect(out).toMatch(/ok registry: not contacted \(imageMode digest/);
    else expect(out).toMatch(/ok builder: buildx v\S+, builder clickvote-realpods \(remote, at unix:\/\/\S+; no Docker daemon needed\)/);

    expect(appDeployment().status.readyReplicas).toBe(1);
    const running = pods().filter((p) => p.status.phase === "Running");
    expect(running.map((p) => p.metadata.name).join(" ")).toMatch(/postgres/);
    expect(running.map((p) => p.metadata.name).join(" ")).toMatch(/redis/);
    for (const p of pods()) expect(p.spec.nodeName, `${p.metadata.name} runs on the real node`).toBe(NODE);
    for (const p of running) expect(ready(p), `${p.metadata.name} Ready`).toBe(true);
    const ns = kubectlJson<{ metadata: { labels: Record<string, string> } }>("get", "namespace", NAMESPACE);
    expect(ns.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    const policies = kubectlJson<{ items: unknown[] }>("get", "networkpolicies", "-n", NAMESPACE).items;
    expect(policies.length).toBeGreaterThanOrEqual(5);
    const svc = kubectlJson<{ spec: { clusterIP: string; ports: { port: number }[] } }>("get", "service", "clickvote", "-n", NAMESPACE);
    base = `http://${svc.spec.clusterIP}:${svc.spec.ports[0].port}`;
  });

  it("build mode as committed: the docker-build provider built app/ with the suite's BuildKit and pushed it; the app and its migration run the pushed digest, the registry cache was exported, and the Image is retained on delete", async (ctx) => {
    if (digestReason) ctx.skip(`the deploy ran in digest mode: ${digestReason}`);
    const pushed = await digestOf("clickvote", DEV_VERSION);
    const builder = /^ok +builder: .*$/m.exec(firstDeployOut)?.[0] ?? "(no builder line)";
    const built = /docker-build:index:Image +\S+ +created \(([\d.]+m?s)\)/.exec(firstDeployOut)?.[1] ?? "?";
    record(`build mode: preflight "${builder}"; the Image (build and push) created in ${built}; localhost:5001/clickvote:${DEV_VERSION} is ${pushed}`);
    expect(appImage()).toBe(`localhost:5001/clickvote@${pushed}`);
    const outputs = JSON.parse(inProject("pulumi", ["stack", "output", "--json", "--stack", "dev"])) as Record<string, unknown>;
    expect(outputs.imageRef).toBe(`localhost:5001/clickvote@${pushed}`);
    const job = kubectlJson<{ status: { succeeded?: number } }>("get", "job", `clickvote-migrate-${pushed.slice(7, 19)}`, "-n", NAMESPACE);
    expect(job.status.succeeded, "the pushed image's migration Job completed").toBe(1);
    // the image's config carries the release's OCI labels (components/image.ts ociLabels)
    // every platform built (dev-overrides.sh forces linux/amd64 only when the arm64 base is missing)
    for (const arch of buildArchitectures) {
      const config = await imageConfigOf("clickvote", pushed, arch);
      expect(config.architecture).toBe(arch);
      expect(config.config.Labels?.["org.opencontainers.image.version"]).toBe(DEV_VERSION);
    }
    // the registry cache (cacheTo, mode=max) is there for the next build
    expect(await digestOf("clickvote", "buildcache")).toMatch(/^sha256:[a-f0-9]{64}$/);
    // retained: the provider's delete would remove the pushed manifest (components/image.ts)
    const state = JSON.parse(inProject("pulumi", ["stack", "export", "--stack", "dev"])) as {
      deployment: { resources: { type: string; retainOnDelete?: boolean }[] };
    };
    const images = state.deployment.resources.filter((r) => r.type === "docker-build:index:Image");
    expect(images.map((r) => r.retainOnDelete)).toEqual([true]);
  });

  it("idempotent: a preview right after the deploy, with the policy pack, finds nothing to change (--expect-no-changes)", async () => {
    const started = Date.now();
    const { status, out } = await inProjectAsync("pulumi", ["preview", "--stack", "dev", "--expect-no-changes", "--non-interactive", ...policyArgs()]);
    record(`no-op preview after deploy:dev (with the policy pack): exit ${status} after ${seconds(started)} s`);
    expect(status, out.slice(-4000)).toBe(0);
    expect(out).not.toMatch(/[~+-] +kubernetes:/);
  });

  it("from build mode to digest mode (the image images.sh built): the Image leaves the state, the image it pushed stays in the registry, the app rolls to the digest", async (ctx) => {
    if (digestReason) ctx.skip(`the deploy ran in digest mode: ${digestReason}`);
    // From here on the suite deploys by digest, as on a machine without build mode (the tag-mode
    // test next returns to the build-mode release for a while, and comes back here).
    const built = appImage().split("@")[1];
    const first = await digestOf("clickvote", APP_TAG_NAME);
    setConfig("imageMode", "digest");
    setConfig("imageDigest", first);
    const started = Date.now();
    const { status, out } = await deployDev("--skip-preview");
    record(`build mode -> digest mode (${built} -> ${first}): deploy:dev exit ${status} after ${seconds(started)} s`);
    expect(status, out.slice(-4000)).toBe(0);
    expect(await until(() => appPodsReadyOn(1, `localhost:5001/clickvote@${first}`), 60_000)).toBe(true);
    const state = JSON.parse(inProject("pulumi", ["stack", "export", "--stack", "dev"])) as { deployment: { resources: { type: string }[] } };
    expect(state.deployment.resources.filter((r) => r.type === "docker-build:index:Image")).toEqual([]);
    expect(await digestOf("clickvote", built)).toBe(built);
  });

  it("tag mode through the docker provider: a tag the registry lacks fails the preflight and the preview before anything changes; `npm run rollback` brings the build-mode release back by its tag, resolved to the digest build mode pushed", async (ctx) => {
    if (digestReason) ctx.skip(`no build-mode release to return to (the deploy ran in digest mode: ${digestReason})`);
    // tag mode's Docker daemon (setup.sh), which the docker provider pings when it is configured. Only
    // for this test's commands: with DOCKER_HOST set, buildx's current builder is another one (the
    // daemon's default), and the preflight refuses build mode with it.
    const dockerHost = process.env.CLICKVOTE_REALPODS_DOCKER_HOST;
    if (!dockerHost) ctx.skip(`tag mode cannot run here: ${process.env.REALPODS_NO_DOCKER_DAEMON ?? "no Docker daemon for the docker provider (setup.sh)"}`);
    const daemon = { DOCKER_HOST: dockerHost! };
    const pushed = await digestOf("clickvote", DEV_VERSION);
    const before = appImage();
    const generation = deploymentMeta().generation;
    const unset = (key: string) => inProject("pulumi", ["config", "rm", "--stack", "dev", `clickvote:${key}`]);
    // digest mode as deployed (imageDigest is only allowed in digest mode, imageTag only matters in tag mode)
    const backToDigest = () => {
      setConfig("imageMode", "digest");
      setConfig("imageDigest", before.split("@")[1]);
      unset("imageTag");
    };

    // 1. A missing tag. The stack file changes, the cluster does not: the preflight names the tag,
    // and the preview fails with the registry's answer (asked over plain HTTP, as the loopback
    // registry serves; components/image.ts tagResolutionAuth).
    setConfig("imageMode", "tag");
    unset("imageDigest");
    setConfig("imageTag", "no-such-tag");
    const preflight = spawnSync("npm", ["run", "--silent", "preflight", "--", "--stack", "dev"], {
      cwd: workDir,
      env: { ...process.env, ...env, ...daemon },
      encoding: "utf8",
    });
    record(`tag mode, missing tag: preflight exit ${preflight.status}: ${(preflight.stdout.match(/^\S+ (builder|registry)\b.*$/gm) ?? []).join(" | ")}`);
    expect(preflight.status).toBe(1);
    expect(preflight.stdout).toMatch(/^ok +builder: not needed \(imageMode tag\); Docker \S+ answers/m);
    expect(preflight.stdout).toMatch(/^FAIL registry localhost:5001: localhost:5001\/clickvote:no-such-tag does not exist$/m);
    const started = Date.now();
    const missing = await inProjectAsync("pulumi", ["preview", "--stack", "dev", "--non-interactive"], daemon);
    record(`tag mode, missing tag: pulumi preview exit ${missing.status} after ${seconds(started)} s`);
    expect(missing.status).not.toBe(0);
    expect(missing.out).toMatch(/Got error when attempting to fetch image version clickvote:no-such-tag from registry/);
    expect(missing.out).not.toMatch(/HTTP response to HTTPS client|failed to connect to any docker daemon/);
    expect(deploymentMeta().generation).toBe(generation);
    backToDigest();

    // 2. The rollback: the newest release that differs is the build-mode deploy, back by its tag.
    const rollbackStarted = Date.now();
    const r = await inProjectAsync("npm", ["run", "rollback", "--", "--stack", "dev", "--yes", ...policyArgs()], daemon);
    record(`rollback to the build-mode release (tag ${DEV_VERSION}, ${pushed}): npm run rollback exit ${r.status} after ${seconds(rollbackStarted)} s`);
    expect(r.status, r.out.slice(-4000)).toBe(0);
    expect(r.out).toMatch(/rolled back dev to version 0\.1\.0-dev, (\S+ )?tag 0\.1\.0-dev\b/);
    expect(appImage()).toBe(`localhost:5001/clickvote@${pushed}`);
    const outputs = JSON.parse(inProject("pulumi", ["stack", "output", "--json", "--stack", "dev"])) as Record<string, unknown>;
    expect(outputs.imageRef).toBe(`localhost:5001/clickvote@${pushed}`);
    expect(await until(() => appPodsReadyOn(1, `localhost:5001/clickvote@${pushed}`), 60_000)).toBe(true);

    // 3. Back to the digest release, where the later tests expect the stack.
    backToDigest();
    const back = await inProjectAsync("npm", ["run", "deploy:dev", "--", "--yes", "--skip-preview"], daemon);
    expect(back.status, back.out.slice(-4000)).toBe(0);
    expect(await until(() => appPodsReadyOn(1, before), 60_000)).toBe(true);
  });

  it("a vote cast through the app Service is stored in PostgreSQL and read back, the second read from the Redis cache", async () => {
    expect(base).not.toBe("");
    const started = Date.now();
    const target = await call("POST", "/api/targets", { name: "realpods dev stack" });
    expect(target.status).toBe(201);
    const id = String(target.json.id);
    const voter = randomUUID();
    const vote = await call("PUT", `/api/targets/${id}/votes/${voter}`, { value: "up" });
    expect(vote.status).toBe(201);
    const first = await call("GET", `/api/targets/${id}/counts`);
    const second = await call("GET", `/api/targets/${id}/counts`);
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ up: 1, down: 0 });
    expect(first.headers.get("x-cache")).toBe("miss");
    expect(second.json).toMatchObject({ up: 1, down: 0 });
    expect(second.headers.get("x-cache")).toBe("hit");
    const readBack = await call("GET", `/api/targets/${id}`);
    expect(readBack.json).toMatchObject({ id, name: "realpods dev stack", counts: { up: 1 } });
    record(
      `clone-to-vote: ${((Date.now() - cloneStarted) / 1000).toFixed(1)} s from git clone to the vote read back (${NPM_CI ? "npm ci --offline" : "node_modules shared"}; load ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(" ")})`,
    );
    record(
      `vote round trip via ${base}: target ${id}, PUT vote ${vote.status}, counts ${JSON.stringify(first.json)} (x-cache miss, then hit) in ${Date.now() - started} ms`,
    );
  });

  it("the project's NetworkPolicies are enforced: PostgreSQL answers the pods they allow, and neither PostgreSQL nor Redis a pod in another namespace; Redis refuses the backup job too; DNS works for all", () => {
    const services = kubectlJson<{ items: { metadata: { name: string }; spec: { clusterIP: string; ports: { port: number }[] } }[] }>(
      "get",
      "services",
      "-n",
      NAMESPACE,
    ).items;
    const clusterIpOf = (port: number) => services.find((s) => s.spec.ports.some((p) => p.port === port) && s.spec.clusterIP !== "None")?.spec.clusterIP;
    const pgAddress = clusterIpOf(5432);
    const redisAddress = clusterIpOf(6379);
    expect(pgAddress, "a PostgreSQL Service with a ClusterIP").toBeDefined();
    expect(redisAddress, "a Redis Service with a ClusterIP").toBeDefined();
    const image = appImage();
    // The same probe pod (app image, restricted) twice: in the stack's namespace with the backup
    // job's labels (allowed to reach PostgreSQL, not Redis; not selected by the app Service), and in
    // a namespace of its own (denied both). It tries PostgreSQL's and Redis's ClusterIPs and, as a
    // control that it has a network at all, the DNS Service (no policy there); the results go to the termination
    // message (/dev/termination-log is writable with a read-only root filesystem).
    const script = [
      'const out = []; let left = 3; const done = (line) => { out.push(line); if (--left === 0) require("node:fs").writeFileSync("/dev/termination-log", out.join("\\n")); };',
      'const probe = (host, port) => { const s = require("node:net").connect({ host, port, timeout: 4000 }); const at = host + ":" + port;',
      '  s.on("connect", () => { done(at + " open"); s.destroy(); });',
      '  s.on("timeout", () => { done(at + " blocked (timeout)"); s.destroy(); });',
      '  s.on("error", (e) => done(at + " " + e.code)); };',
      // kube-router adds a new pod's address to its ipsets a few seconds after the pod starts
      // (e2e/realpods/README.md, trap 12): probe after 15 s, so the verdict is the enforced one
      `setTimeout(() => { probe("${pgAddress}", 5432); probe("${redisAddress}", 6379); probe("10.96.0.10", 53); }, 15000);`,
    ].join("\n");
    const runProbe = (namespace: string, labels: Record<string, string>): string => {
      const manifest = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "rp-probe", namespace, labels },
        spec: {
          restartPolicy: "Never",
          securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: "probe",
              image,
              command: ["node", "-e", script],
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
              resources: { limits: { cpu: "200m", memory: "128Mi" } },
            },
          ],
        },
      };
      execFileSync(path.join(process.env.CLICKVOTE_E2E_BIN!, "kubectl"), ["apply", "-f", "-"], { input: JSON.stringify(manifest), encoding: "utf8" });
      let phase = "";
      for (let i = 0; i < 120 && !["Succeeded", "Failed"].includes(phase); i++) {
        execFileSync("sleep", ["1"]);
        phase = kubectlJson<{ status: { phase: string } }>("get", "pod", "rp-probe", "-n", namespace).status.phase;
      }
      const pod = kubectlJson<{ status: { containerStatuses?: { state: { terminated?: { message?: string } } }[] } }>(
        "get",
        "pod",
        "rp-probe",
        "-n",
        namespace,
      );
      kubectl("delete", "pod", "rp-probe", "-n", namespace, "--wait=false");
      return (pod.status.containerStatuses?.[0].state.terminated?.message ?? "").trim().replace(/\n/g, "; ");
    };
    kubectl("create", "namespace", OUTSIDER);
    kubectl("label", "namespace", OUTSIDER, "pod-security.kubernetes.io/enforce=restricted");
    const allowed = runProbe(NAMESPACE, {
      "app.kubernetes.io/name": "clickvote",
      "app.kubernetes.io/instance": "clickvote",
      "app.kubernetes.io/component": "backup",
    });
    const outsider = runProbe(OUTSIDER, { app: "rp-probe" });
    record(
      `NetworkPolicy probes to PostgreSQL ${pgAddress}:5432, Redis ${redisAddress}:6379 and DNS 10.96.0.10:53: as the backup job in ${NAMESPACE}: ${allowed}; from namespace ${OUTSIDER}: ${outsider}`,
    );
    // kube-router rejects what a policy denies (icmp port unreachable: ECONNREFUSED) or drops it (timeout)
    const denied = (address: string | undefined, port: number) => new RegExp(`${address!.replace(/\./g, "\\.")}:${port} (ECONNREFUSED|blocked)`);
    expect(allowed).toContain(`${pgAddress}:5432 open`);
    expect(allowed).toMatch(denied(redisAddress, 6379));
    expect(allowed).toContain("10.96.0.10:53 open");
    expect(outsider).toMatch(denied(pgAddress, 5432));
    expect(outsider).toMatch(denied(redisAddress, 6379));
    expect(outsider).toContain("10.96.0.10:53 open");
  });

  it("steady state under load (2 replicas, nothing changing) for 15 s: the baseline", async () => {
    setConfig("appReplicas", "2");
    const scaled = await deployDev("--skip-preview");
    expect(scaled.status, scaled.out.slice(-4000)).toBe(0);
    expect(liveAppPods().filter(ready)).toHaveLength(2);
    const id = await newTarget("steady state");
    const { load } = await underLoad({ targets: [id] }, () => sleep(15_000), 0, 0);
    steady = load;
    record(`steady state (2 replicas, no change): ${describeLoad(load)}`);
    expect(load.requests).toBeGreaterThan(100);
    expect(failed(load)).toBe(0);
    expectContinuous(load, 14);
  });

  it("a rolling update to a new image digest under load (2 replicas) drops no request", async () => {
    const relabel = await digestOf("clickvote", `${APP_TAG_NAME}-relabel`);
    const id = await newTarget("rolling update");
    setConfig("imageDigest", relabel);
    const started = Date.now();
    const { load, value: rollout } = await underLoad({ targets: [id] }, () => deployDev("--skip-preview"));
    const took = seconds(started);
    record(`rolling update to ${relabel} (2 replicas, deploy:dev exit ${rollout.status} in ${took} s): ${describeLoad(load)}${besideSteady()}`);
    expect(rollout.status, rollout.out.slice(-4000)).toBe(0);
    const now = liveAppPods().filter(ready);
    expect(now).toHaveLength(2);
    for (const p of now) expect(p.spec.containers[0].image).toBe(`localhost:5001/clickvote@${relabel}`);
    // Release order: the new image's migration Job completed before its ReplicaSet was created.
    const job = kubectlJson<{ status: { completionTime?: string } }>(
      "get",
      "job",
      `clickvote-migrate-${relabel.slice("sha256:".length, "sha256:".length + 12)}`,
      "-n",
      NAMESPACE,
    );
    const replicaSets = kubectlJson<{
      items: Array<{ metadata: { creationTimestamp: string }; spec: { template: { spec: { containers: Array<{ image: string }> } } } }>;
    }>("get", "replicasets", "-n", NAMESPACE, "-l", "app.kubernetes.io/component=app").items.filter((rs) =>
      rs.spec.template.spec.containers[0].image.endsWith(relabel),
    );
    expect(replicaSets).toHaveLength(1);
    expect(job.status.completionTime, "the migration Job completed").toBeDefined();
    record(`release order: migration Job completed ${job.status.completionTime}, new ReplicaSet created ${replicaSets[0].metadata.creationTimestamp}`);
    expect(Date.parse(job.status.completionTime ?? "")).toBeLessThanOrEqual(Date.parse(replicaSets[0].metadata.creationTimestamp));
    expectContinuous(load, Number(took) - 6);
    expect({ non2xx: load.non2xx, errors: load.errors }).toEqual({ non2xx: 0, errors: 0 });
  });

  it("a rollout to an image that never becomes ready fails while the old version serves every request; `npm run deploy:atomic` then deploys a good release, still without a failed request", async () => {
    const oldImage = appImage();
    const good = oldImage.split("@")[1];
    const neverReady = await digestOf("clickvote", `${APP_TAG_NAME}-never-ready`);
    const id = await newTarget("failed rollout, then deploy:atomic");
    let failedRollout = { status: null as number | null, out: "", took: "", readyAfter: [] as PodInfo[], after: [] as PodInfo[] };
    let atomic = { status: null as number | null, out: "", took: "" };
    const { load } = await underLoad({ targets: [id] }, async () => {
      setConfig("appRolloutTimeoutSeconds", "60");
      setConfig("imageDigest", neverReady);
      let started = Date.now();
      const r = await deployDev("--skip-preview");
      const after = appPods();
      failedRollout = { ...r, took: seconds(started), after, readyAfter: after.filter(ready) };
      // back to the release that serves, through the atomic deploy (preview with the policy pack, then up)
      setConfig("imageDigest", good);
      started = Date.now();
      const a = await inProjectAsync("npm", ["run", "deploy:atomic", "--", "--stack", "dev", ...policyArgs()]);
      atomic = { ...a, took: seconds(started) };
    });
    const { readyAfter, after } = failedRollout;
    record(
      `failed rollout to ${neverReady} (deploy:dev exit ${failedRollout.status} after ${failedRollout.took} s; afterwards ${readyAfter.length} Ready pod(s) on ${[...new Set(readyAfter.map((p) => p.spec.containers[0].image))].join(", ")}, ${after.length - readyAfter.length} not Ready), then npm run deploy:atomic to ${good} (exit ${atomic.status} after ${atomic.took} s): ${describeLoad(load)}${besideSteady()}`,
    );
    expect(failedRollout.status).not.toBe(0);
    expect(failedRollout.out).toMatch(/clickvote-app/);
    expect(readyAfter).toHaveLength(2);
    for (const p of readyAfter) expect(p.spec.containers[0].image).toBe(oldImage);
    expect(after.some((p) => !ready(p) && p.spec.containers[0].image.endsWith(neverReady))).toBe(true);
    expect(atomic.status, atomic.out.slice(-4000)).toBe(0);
    expect(atomic.out).toMatch(/deployed dev/);
    expect(appImage()).toBe(oldImage);
    expect(await until(() => appPodsReadyOn(2, oldImage), 60_000)).toBe(true);
    expectContinuous(load, Number(failedRollout.took) + Number(atomic.took) - 6);
    expect({ non2xx: load.non2xx, errors: load.errors }).toEqual({ non2xx: 0, errors: 0 });
  });

  it("`npm run rollback -- --stack dev --yes` under load returns to the release before, without a failed request", async () => {
    const current = appImage();
    const id = await newTarget("rollback");
    const started = Date.now();
    const { load, value: r } = await underLoad({ targets: [id] }, () =>
      inProjectAsync("npm", ["run", "rollback", "--", "--stack", "dev", "--yes", ...policyArgs()]),
    );
    const took = seconds(started);
    const now = appImage();
    record(
      `rollback from ${current.split("@")[1]} to ${now.split("@")[1]} (npm run rollback exit ${r.status} after ${took} s): ${describeLoad(load)}${besideSteady()}`,
    );
    expect(r.status, r.out.slice(-4000)).toBe(0);
    expect(r.out).toMatch(/rolled back dev to/);
    expect(now).not.toBe(current);
    expect(await until(() => appPodsReadyOn(2, now), 60_000)).toBe(true);
    expectContinuous(load, Number(took) - 6);
    expect({ non2xx: load.non2xx, errors: load.errors }).toEqual({ non2xx: 0, errors: 0 });
  });

  it("a release whose migration fails (the Job's container exits 1) stops before the Deployment changes, while the old version serves every request", async () => {
    const current = appImage();
    const failMigrate = await digestOf("clickvote", `${APP_TAG_NAME}-fail-migrate`);
    const job = `clickvote-migrate-${failMigrate.slice("sha256:".length, "sha256:".length + 12)}`;
    const before = deploymentMeta();
    const podsBefore = liveAppPods()
      .map((p) => p.metadata.uid)
      .sort();
    const id = await newTarget("failing migration");
    setConfig("migrationBackoffLimit", "0"); // one failing pod is enough
    setConfig("imageDigest", failMigrate);
    const started = Date.now();
    const restore = () => {
      // back to the release that serves in the stack file, whatever happens here, so that a
      // failure of this test does not fail every later deploy with it
      inProject("pulumi", ["config", "rm", "--stack", "dev", "clickvote:migrationBackoffLimit"]);
      setConfig("imageDigest", current.split("@")[1]);
    };
    const { load, value: r } = await underLoad({ targets: [id] }, () => deployDev("--skip-preview")).finally(restore);
    const took = seconds(started);
    const jobStatus = kubectlJson<{ status: { failed?: number; conditions?: { type: string; status: string; reason?: string }[] } }>(
      "get",
      "job",
      job,
      "-n",
      NAMESPACE,
    ).status;
    const exits = pods(`batch.kubernetes.io/job-name=${job}`).map((p) => p.status.containerStatuses?.[0]?.state.terminated?.exitCode);
    const after = deploymentMeta();
    const podsAfter = liveAppPods()
      .map((p) => p.metadata.uid)
      .sort();
    record(
      `failing migration ${failMigrate} (deploy:dev exit ${r.status} after ${took} s; Job ${job}: ${jobStatus.failed ?? 0} failed pod(s), exit codes ${JSON.stringify(exits)}, conditions ${(jobStatus.conditions ?? []).map((c) => `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ""}`).join(", ")}; Deployment generation ${before.generation} → ${after.generation}, app pods ${podsBefore.join(",") === podsAfter.join(",") ? "unchanged" : "CHANGED"}): ${describeLoad(load)}${besideSteady()}`,
    );
    expect(r.status, "deploy:dev of a release whose migration fails exits non-zero").not.toBe(0);
    expect(r.out).toContain(job);
    expect(jobStatus.conditions?.some((c) => c.type === "Failed" && c.status === "True")).toBe(true);
    expect(exits).toContain(1);
    // The Deployment was never touched: same spec generation, same image, the same pods serving.
    expect(after.generation).toBe(before.generation);
    expect(appImage()).toBe(current);
    expect(podsAfter).toEqual(podsBefore);
    expectContinuous(load, Number(took) - 6);
    expect({ non2xx: load.non2xx, errors: load.errors }).toEqual({ non2xx: 0, errors: 0 });

    // Back to the release that serves (the stack file is already): the failed Job and its pod go
    // with the next update.
    const back = await deployDev("--skip-preview");
    expect(back.status, back.out.slice(-4000)).toBe(0);
    expect(await until(() => pods(`batch.kubernetes.io/job-name=${job}`).length === 0, 60_000), `the failed Job ${job}'s pods are deleted`).toBe(true);
  });

  it("`npm run deploy:atomic` of a release a mandatory policy refuses stops before any change, naming the policy, while the old version serves every request", async () => {
    const current = appImage();
    const denied = await otherRelease(current);
    const reason = "CVE-0000-0008 found in the base image, a test's denial";
    // the dev stack's policy config (as deploy:dev derives it), plus a denial of the new digest
    const config = JSON.parse(fs.readFileSync(policyArgs()[3], "utf8")) as Record<string, unknown>;
    const deniedFile = path.join(workDir, ".policy-config.denied.json");
    fs.writeFileSync(deniedFile, JSON.stringify({ ...config, "image-not-denied": { deniedImageDigests: { [denied]: reason } } }));
    const before = deploymentMeta();
    // migration Jobs only: the backup CronJob may start a Job of its own at any time
    const jobNames = () =>
      kubectlJson<{ items: { metadata: { name: string } }[] }>("get", "jobs", "-n", NAMESPACE)
        .items.map((j) => j.metadata.name)
        .filter((n) => n.startsWith("clickvote-migrate-"))
        .sort();
    const jobsBefore = jobNames();
    const id = await newTarget("policy-refused deploy");
    setConfig("imageDigest", denied);
    const started = Date.now();
    const { load, value: r } = await underLoad({ targets: [id] }, () =>
      inProjectAsync("npm", ["run", "deploy:atomic", "--", "--stack", "dev", "--policy-pack", "policy", "--policy-pack-config", deniedFile]),
    );
    const took = seconds(started);
    const jobs = jobNames();
    record(
      `deploy:atomic of ${denied}, denied by the policy pack (exit ${r.status} after ${took} s; ${r.out.match(/stopped before any change[^\n]*/)?.[0].slice(0, 200) ?? "no refusal line"}): ${describeLoad(load)}${besideSteady()}`,
    );
    setConfig("imageDigest", current.split("@")[1]);
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/stopped before any change/);
    expect(r.out).toMatch(new RegExp(`image-not-denied: .*${denied}.* is denied: ${reason}`));
    expect(r.out).not.toMatch(/rolling back/);
    // nothing ran: the same Jobs as before (none for the refused image), the Deployment's spec untouched
    expect(jobs).toEqual(jobsBefore);
    expect(jobs).not.toContain(`clickvote-migrate-${denied.slice(7, 19)}`);
    expect(deploymentMeta().generation).toBe(before.generation);
    expect(appImage()).toBe(current);
    expect({ non2xx: load.non2xx, errors: load.errors }).toEqual({ non2xx: 0, errors: 0 });
  });

  it("`pulumi up` killed with SIGKILL mid-rollout under load: the cluster finishes the rollout by itself without a failed request; cancel (of the lock the killed CLI left), refresh and an adopting up converge, and a preview then finds nothing to change", async () => {
    const current = appImage();
    const next = await otherRelease(current);
    const generation = deploymentMeta().generation;
    const id = await newTarget("killed up");
    setConfig("imageDigest", next);
    let killedAt = "";
    let finishedBySelf = "";
    let lockFiles: string[] = [];
    const steps: string[] = [];
    const step = async (label: string, args: string[], extraEnv: Record<string, string> = {}) => {
      const t = Date.now();
      const r = await inProjectAsync("pulumi", [...args, "--stack", "dev", "--non-interactive"], extraEnv);
      steps.push(`${label}: exit ${r.status} after ${seconds(t)} s`);
      expect(r.status, `${label}: ${r.out.slice(-4000)}`).toBe(0);
      return r;
    };
    const onNext = () => appPodsReadyOn(2, `localhost:5001/clickvote@${next}`);
    let cancelled = false;
    const { load } = await underLoad({ targets: [id] }, async () => {
      const started = Date.now();
      const up = start("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", "dev", ...policyArgs()], {
        cwd: workDir,
        env: { ...process.env, ...env },
      });
      const exited = () => up.child.exitCode !== null || up.child.signalCode !== null;
      try {
        // SIGKILL (CLI, language host, providers) as soon as the Deployment's new spec is in: the
        // rollout is under way, and the engine is awaiting it.
        const sent = await until(() => exited() || deploymentMeta().generation !== generation, 300_000, 200);
        let rolloutDone = true;
        if (!exited()) {
          const d = appDeployment();
          rolloutDone =
            d.status.observedGeneration === d.metadata.generation &&
            d.status.updatedReplicas === 2 &&
            d.status.availableReplicas === 2 &&
            d.status.replicas === 2;
          killedAt = `${seconds(started)} s, Deployment generation ${generation} → ${d.metadata.generation} (observed ${d.status.observedGeneration ?? "-"}, updated ${d.status.updatedReplicas ?? 0}, available ${d.status.availableReplicas ?? 0})`;
          killTree(up.child.pid!);
        }
        const killed = await up.done;
        expect(sent && killed.signal === "SIGKILL", `the up was killed (exit ${killed.code}): ${`${killed.stdout}\n${killed.stderr}`.slice(-3000)}`).toBe(true);
        expect(rolloutDone, `the rollout was still under way at the kill: ${killedAt}`).toBe(false);
        // Nothing of Pulumi's runs now: the Deployment controller finishes the rollout by itself.
        const t = Date.now();
        expect(await until(onNext, 180_000), "both pods on the new digest without Pulumi").toBe(true);
        finishedBySelf = `${seconds(t)} s after the kill`;
        // The killed CLI left the file backend's lock (pulumi cancel would succeed without one too).
        const backend = env.PULUMI_BACKEND_URL.replace(/^file:\/\//, "").replace(/\?.*$/, "");
        const locks = path.join(backend, ".pulumi", "locks");
        lockFiles = fs.existsSync(locks)
          ? fs
              .readdirSync(locks, { recursive: true })
              .map(String)
              .filter((f) => f.endsWith(".json"))
          : [];
        expect(lockFiles.length, `a lock file under ${locks}`).toBeGreaterThan(0);
        // The recovery of the README: cancel, refresh (reads the live objects; drops the pending
        // operations), then an up that adopts any object whose create was cut short (none here:
        // the kill came during an update; kwok's scenario 7 kills during a create).
        await step("pulumi cancel --yes", ["cancel", "--yes"]);
        cancelled = true;
        await step("pulumi refresh --yes --clear-pending-creates", ["refresh", "--yes", "--skip-preview", "--clear-pending-creates"]);
        await step("pulumi up (PULUMI_K8S_UPSERT_EXISTING_OBJECTS=true)", ["up", "--yes", "--skip-preview", ...policyArgs()], {
          PULUMI_K8S_UPSERT_EXISTING_OBJECTS: "true",
        });
        expect(await until(onNext, 120_000)).toBe(true);
      } finally {
        // a failure above must not leave the stack locked for the tests after this one
        if (!exited()) killTree(up.child.pid!);
        if (!cancelled) await inProjectAsync("pulumi", ["cancel", "--yes", "--stack", "dev", "--non-interactive"]);
      }
    });
    const preview = await inProjectAsync("pulumi", ["preview", "--stack", "dev", "--expect-no-changes", "--non-interactive", ...policyArgs()]);
    record(
      `pulumi up to ${next} killed with SIGKILL at ${killedAt}; rollout finished by the cluster ${finishedBySelf}; lock file(s) left: ${lockFiles.length}; then ${steps.join("; ")}; preview --expect-no-changes exit ${preview.status}: ${describeLoad(load)}${besideSteady()}`,
    );
    expect(preview.status, preview.out.slice(-4000)).toBe(0);
    expect({ non2xx: load.non2xx, errors: load.errors }).toEqual({ non2xx: 0, errors: 0 });
    expectContinuous(load, 10);
  });

  it("Redis stopped (its StatefulSet scaled to 0): the app stays ready and every read is served from PostgreSQL", async () => {
    // "Stopped" = no Redis process for a while: scaling the StatefulSet to 0 (deleting the pod
    // would have the StatefulSet start a new one within seconds, a restart rather than a stop).
    const redis = dataSet("redis");
    const id = await newTarget("redis stopped");
    const readyz: string[] = [];
    let outage = "";
    const { load } = await underLoad(
      { targets: [id] },
      async () => {
        kubectl("scale", "statefulset", redis.name, "-n", NAMESPACE, "--replicas=0");
        const started = Date.now();
        expect(await until(() => pods("app.kubernetes.io/component=redis").length === 0, 90_000)).toBe(true);
        const gone = Date.now();
        // 15 s without Redis; what an app pod's /readyz says meanwhile
        const pod = liveAppPods()[0];
        const port = pod.spec.containers[0].ports?.[0]?.containerPort ?? 8080;
        while (Date.now() - gone < 15_000) {
          const r = await fetch(`http://${pod.status.podIP}:${port}/readyz`, { signal: AbortSignal.timeout(3_000) }).catch((e: Error) => e);
          readyz.push(r instanceof Error ? `error ${r.message}` : `${r.status} ${await r.text()}`);
          await sleep(2_000);
        }
        kubectl("scale", "statefulset", redis.name, "-n", NAMESPACE, "--replicas=1");
        expect(await until(() => pods("app.kubernetes.io/component=redis").some(ready), 120_000)).toBe(true);
        outage = `pod gone ${((gone - started) / 1000).toFixed(1)} s after the scale-down, Ready again ${seconds(gone)} s after that`;
      },
      5_000,
      5_000,
    );
    const cached = await call("GET", `/api/targets/${id}/counts`);
    const stored = await storedCounts(id);
    record(
      `Redis stopped (StatefulSet ${redis.name} scaled to 0, 15 s, then 1; ${outage}): ${describeLoad(load)}${besideSteady()}; /readyz of an app pod meanwhile: ${[...new Set(readyz)].join(" | ")}; afterwards counts ${JSON.stringify(cached.json)} (x-cache ${cached.headers.get("x-cache")}), in PostgreSQL up ${stored.up} down ${stored.down}, 2xx votes up ${load.committed[id].up} down ${load.committed[id].down}`,
    );
    expect(readyz.length).toBeGreaterThan(0);
    for (const r of readyz) expect(r).toMatch(/^200 .*"redis":"degraded"/);
    expect(load.kinds.read.ok).toBeGreaterThan(100);
    expect(load.kinds.read.non2xx, "failed reads").toBe(0);
    expect(load.errors, "connection errors and timeouts").toBe(0);
    expect(stored.up).toBeGreaterThanOrEqual(load.committed[id].up);
    expect(stored.down).toBeGreaterThanOrEqual(load.committed[id].down);
  });

  it("the PostgreSQL pod deleted under load: the app pods report it on /readyz (503), the service recovers by itself, every vote answered 2xx is still there", async () => {
    const pg = dataSet("postgres");
    const id = await newTarget("postgres pod deleted");
    const events: string[] = [];
    let t0 = 0;
    const at = (what: string) => events.push(`${what} +${seconds(t0)} s`);
    const { load } = await underLoad(
      { targets: [id] },
      async () => {
        const pod = liveAppPods()[0];
        const port = pod.spec.containers[0].ports?.[0]?.containerPort ?? 8080;
        const oldPg = pods("app.kubernetes.io/component=postgres")[0].metadata.uid;
        t0 = Date.now();
        kubectl("delete", "pod", `${pg.name}-0`, "-n", NAMESPACE, "--wait=false");
        let sawUnreadyz = false; // /readyz answers 503 with PostgreSQL unreachable
        // the kubelet's verdict follows after two failed probes 5 s apart (recorded, not required:
        // a PostgreSQL back within that window never unreadies a pod)
        let sawNotReady = false;
        // /readyz of one app pod and the Ready condition of all, until PostgreSQL and the app are back
        const back = await until(
          async () => {
            const r = await fetch(`http://${pod.status.podIP}:${port}/readyz`, { signal: AbortSignal.timeout(3_000) }).catch(() => undefined);
            const body = r ? await r.text() : "";
            if (!sawUnreadyz && r?.status === 503 && body.includes('"postgres":"unreachable"')) {
              sawUnreadyz = true;
              at(`/readyz 503 ${body}`);
            }
            const app = liveAppPods();
            if (!sawNotReady && app.some((p) => !ready(p))) {
              sawNotReady = true;
              at(`app pods not Ready: ${app.filter((p) => !ready(p)).length} of ${app.length}`);
            }
            const newPg = pods("app.kubernetes.io/component=postgres").find((p) => p.metadata.uid !== oldPg && ready(p));
            return sawUnreadyz && newPg !== undefined && app.length === 2 && app.every(ready);
          },
          300_000,
          500,
        );
        at("new PostgreSQL pod Ready and both app pods Ready again");
        expect(back, events.join("; ")).toBe(true);
      },
      5_000,
      // after recovery, longer than a request's timeout: a request sent during the outage fails
      // by its timeout up to that long later, and must not fall into the last seconds checked below
      (DEFAULT_LOAD.timeoutSeconds + 5) * 1000,
    );
    // when the answers stopped and came back, from the load's own timeline
    const lastFailure = load.timeline.reduce((last, b, i) => (b.non2xx + b.errors > 0 ? i : last), -1);
    const firstFailure = load.timeline.findIndex((b) => b.non2xx + b.errors > 0);
    const stored = await storedCounts(id);
    record(
      `PostgreSQL pod ${pg.name}-0 deleted under load: ${events.join("; ")}; ${describeLoad(load)}; failures from second ${firstFailure} to ${lastFailure} of the load (pod deleted at second 5), failed requests during the outage ${failed(load)}; afterwards in PostgreSQL up ${stored.up} down ${stored.down} (x-cache ${stored.cache}), 2xx votes up ${load.committed[id].up} down ${load.committed[id].down}`,
    );
    // the outage is expected to fail requests: counted above, not asserted to be 0
    expect(stored.cache).toBe("bypass");
    expect(stored.up, "every 2xx up vote is stored").toBeGreaterThanOrEqual(load.committed[id].up);
    expect(stored.down, "every 2xx down vote is stored").toBeGreaterThanOrEqual(load.committed[id].down);
    // no more than were sent: the 2xx ones plus those that failed
    expect(stored.up + stored.down).toBeLessThanOrEqual(load.kinds.vote.ok + load.kinds.vote.non2xx + load.errors);
    // the service came back by itself: the last seconds of the load were all 2xx
    expect(load.timeline.slice(-4, -1).every((b) => b.ok > 0 && b.non2xx + b.errors === 0)).toBe(true);
    const health = podHealth();
    record(`pods before destroy: ${health.summary}${health.problems.length ? `; problems: ${health.problems.join(", ")}` : ""}`);
    expect(health.problems).toEqual([]);
  });

  it("votes written before `pulumi destroy` and a fresh deploy are read back: the namespace and the PostgreSQL claim and volume are retained", async () => {
    const id = await newTarget("across destroy");
    for (const value of ["up", "up", "up", "down", "down"]) expect((await call("PUT", `/api/targets/${id}/votes/${randomUUID()}`, { value })).status).toBe(201);
    const before = dataSet("postgres");
    let started = Date.now();
    const destroyed = await inProjectAsync("pulumi", ["destroy", "--yes", "--skip-preview", "--stack", "dev"]);
    const destroyTook = seconds(started);
    expect(destroyed.status, destroyed.out.slice(-4000)).toBe(0);
    const left = kubectlJson<{ items: { metadata: { name: string } }[] }>("get", "all", "-n", NAMESPACE).items.map((x) => x.metadata.name);
    const claim = kubectlJson<{ metadata: { uid: string }; spec: { volumeName: string }; status: { phase: string } }>(
      "get",
      "pvc",
      before.claim.name,
      "-n",
      NAMESPACE,
    );
    started = Date.now();
    const up = await deployDev("--skip-preview");
    const upTook = seconds(started);
    expect(up.status, up.out.slice(-4000)).toBe(0);
    const svc = kubectlJson<{ spec: { clusterIP: string; ports: { port: number }[] } }>("get", "service", "clickvote", "-n", NAMESPACE);
    base = `http://${svc.spec.clusterIP}:${svc.spec.ports[0].port}`;
    const after = dataSet("postgres");
    const counts = await storedCounts(id);
    record(
      `pulumi destroy (exit ${destroyed.status} after ${destroyTook} s; left in ${NAMESPACE}: ${left.join(", ") || "nothing but the claims"}; claim ${before.claim.name} ${claim.status.phase} on ${claim.spec.volumeName}) then deploy:dev (exit ${up.status} after ${upTook} s): claim uid ${before.claim.uid === after.claim.uid ? "unchanged" : "CHANGED"}, volume ${after.claim.volume}, counts read back up ${counts.up} down ${counts.down} (5 votes written: 3 up, 2 down)`,
    );
    expect(claim.metadata.uid).toBe(before.claim.uid);
    expect(claim.spec.volumeName).toBe(before.claim.volume);
    expect(after.uid).not.toBe(before.uid);
    expect(after.claim).toEqual(before.claim);
    expect({ up: counts.up, down: counts.down }).toEqual({ up: 3, down: 2 });
  });

  it("votes survive a replacement of the PostgreSQL StatefulSet (`--replace`; the claim is re-bound, not re-made)", async () => {
    // Every setting that would replace it (a claim template's size or class) is refused by the
    // program (settings/data-identity.ts), so the replacement is asked for explicitly.
    const id = await newTarget("across a StatefulSet replacement");
    for (const value of ["up", "down", "up"]) expect((await call("PUT", `/api/targets/${id}/votes/${randomUUID()}`, { value })).status).toBe(201);
    const before = dataSet("postgres");
    const state = JSON.parse(inProject("pulumi", ["stack", "export", "--stack", "dev"])) as { deployment: { resources?: { urn: string; type: string }[] } };
    const urn = state.deployment.resources?.find((r) => r.type === "kubernetes:apps/v1:StatefulSet" && /postgres/.test(r.urn))?.urn;
    expect(urn).toBeDefined();
    const started = Date.now();
    const replaced = await deployDev("--skip-preview", "--replace", urn!);
    const took = seconds(started);
    expect(replaced.status, replaced.out.slice(-4000)).toBe(0);
    expect(replaced.out).toMatch(/replaced/);
    const after = dataSet("postgres");
    expect(await until(() => liveAppPods().length === 2 && liveAppPods().every(ready), 120_000)).toBe(true);
    const counts = await storedCounts(id);
    record(
      `PostgreSQL StatefulSet replaced (deploy:dev --replace, exit ${replaced.status} after ${took} s): StatefulSet uid ${before.uid === after.uid ? "UNCHANGED" : "new"}, claim ${after.claim.name} uid ${before.claim.uid === after.claim.uid ? "unchanged" : "CHANGED"} on ${after.claim.volume}; counts read back up ${counts.up} down ${counts.down} (3 votes written: 2 up, 1 down)`,
    );
    expect(after.uid).not.toBe(before.uid);
    expect(after.claim).toEqual(before.claim);
    expect({ up: counts.up, down: counts.down }).toEqual({ up: 2, down: 1 });
  });

  it("at the end: every pod of the namespace is admitted under pod-security enforce=restricted and runs, without a restart or a CrashLoopBackOff", () => {
    const labelsOf = (ns: string) => kubectlJson<{ metadata: { labels: Record<string, string> } }>("get", "namespace", ns).metadata.labels;
    const labels = labelsOf(NAMESPACE);
    expect(labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    // The API server re-checks a namespace's pods when its enforce policy changes: a server-side
    // dry run of another enforce-version (same level) names every pod that would not be admitted
    // in a warning. (The same label value again is no change: nothing would be checked.)
    const minor = kubectlJson<{ serverVersion: { major: string; minor: string } }>("version", "-o", "json").serverVersion;
    const pinned = `v${minor.major}.${minor.minor.replace(/\D+$/, "")}`;
    const recheck = (ns: string) => {
      const current = labelsOf(ns)["pod-security.kubernetes.io/enforce-version"] ?? "latest";
      const other = current === "latest" ? pinned : "latest";
      const r = spawnSync(
        path.join(process.env.CLICKVOTE_E2E_BIN!, "kubectl"),
        [
          "label",
          "--dry-run=server",
          "--overwrite",
          "namespace",
          ns,
          "pod-security.kubernetes.io/enforce=restricted",
          `pod-security.kubernetes.io/enforce-version=${other}`,
        ],
        { encoding: "utf8" },
      );
      return { status: r.status, change: `enforce-version ${current} → ${other}`, warnings: r.stderr.trim() };
    };
    // Control: a namespace holding a pod that restricted refuses (created before the label, never
    // scheduled: no node has the label it selects), so the same dry run must name it.
    const control = "rp-psa-control";
    deleteNamespace(control);
    kubectl("create", "namespace", control);
    const bad = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "not-restricted", namespace: control },
      spec: { nodeSelector: { "realpods.e2e/never": "true" }, containers: [{ name: "c", image: "127.0.0.1:25000/never-pulled:none" }] },
    };
    execFileSync(path.join(process.env.CLICKVOTE_E2E_BIN!, "kubectl"), ["apply", "-f", "-"], { input: JSON.stringify(bad), encoding: "utf8" });
    kubectl("label", "namespace", control, "pod-security.kubernetes.io/enforce=restricted");
    const controlCheck = recheck(control);
    deleteNamespace(control);
    const check = recheck(NAMESPACE);
    const health = podHealth();
    record(
      `end of the suite: namespace ${NAMESPACE} enforce=restricted; server dry run of ${check.change}: exit ${check.status}, warnings: ${check.warnings || "none"} (control namespace with a non-restricted pod: ${controlCheck.warnings.split("\n").length} warning line(s)); pods: ${health.summary}${health.problems.length ? `; problems: ${health.problems.join(", ")}` : ""}`,
    );
    expect(controlCheck.warnings).toContain("not-restricted:");
    expect(check.status).toBe(0);
    expect(check.warnings).toBe("");
    expect(pods().length).toBeGreaterThanOrEqual(4);
    expect(health.problems).toEqual([]);
  });
});
