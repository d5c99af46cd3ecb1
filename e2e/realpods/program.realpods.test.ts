// The Pulumi program on a REAL node (e2e/realpods/run.sh sets everything up): the README's
// `npm run deploy:dev -- --yes` for the committed dev stack, with only the overrides this machine
// forces (e2e/realpods/dev-overrides.sh says which and why), then a vote cast and read back
// through the app Service, the project's NetworkPolicies enforced, and two rollouts under load:
// a new image digest (no request may fail) and an image that never becomes ready (the old pods
// must keep serving).
import { execFileSync, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { deleteNamespace, kubectl, kubectlJson, pulumiEnv, ROOT } from "../lib";

const UNAVAILABLE =
  process.env.REALPODS_UNAVAILABLE ?? (process.env.CLICKVOTE_E2E_BIN && process.env.KUBECONFIG ? undefined : "run it through e2e/realpods/run.sh");
const NAMESPACE = "clickvote"; // the committed dev stack's namespace: this cluster is ours
const OUTSIDER = "rp-outsider";
const NODE = process.env.E2E_RP_NODE_NAME ?? "realpods-node";
const DEV_REGISTRY = `http://127.0.0.1:${process.env.E2E_RP_DEV_REGISTRY_PORT ?? "5001"}`;
const RESULTS = path.join(os.homedir(), ".cache", "clickvote-e2e", "realpods", "logs", "program-test-results.log");

let workDir = "";
let env: Record<string, string> = {};
let base = ""; // http://<ClusterIP>:80 of the app Service
let cloneStarted = 0;
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
 * `npm run deploy:dev -- --yes` as the README runs it (the later updates add --skip-preview: the
 * preview alone took minutes on this shared machine); returns its exit status and output.
 */
function deployDev(...extra: string[]): { status: number | null; out: string } {
  const r = spawnSync("npm", ["run", "deploy:dev", "--", "--yes", ...extra], {
    cwd: workDir,
    env: { ...process.env, ...env },
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

async function digestOf(repository: string, tag: string): Promise<string> {
  const r = await fetch(`${DEV_REGISTRY}/v2/${repository}/manifests/${tag}`, {
    method: "HEAD",
    headers: {
      Accept: "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json",
    },
  });
  const digest = r.headers.get("docker-content-digest");
  if (!r.ok || !digest) throw new Error(`${repository}:${tag} is not in the dev registry (HTTP ${r.status}); run e2e/realpods/images.sh variants`);
  return digest;
}

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

interface PodInfo {
  metadata: { name: string; labels?: Record<string, string>; ownerReferences?: { kind: string }[] };
  spec: { nodeName?: string; containers: { image: string }[] };
  status: { phase: string; conditions?: { type: string; status: string }[] };
}
const pods = (selector?: string) => kubectlJson<{ items: PodInfo[] }>("get", "pods", "-n", NAMESPACE, ...(selector ? ["-l", selector] : [])).items;
const ready = (p: PodInfo) => p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
const appPods = () => pods("app.kubernetes.io/component=app").filter((p) => p.metadata.ownerReferences?.some((o) => o.kind === "ReplicaSet"));

/** Sends requests to the app Service from the host until stopped: votes (PostgreSQL + cache invalidation) and count reads (Redis). */
function loadGenerator(targetId: string, workers = 4) {
  let running = true;
  // errors: connection errors and requests without an answer within 5 s (timeouts also counted apart)
  const counts = { total: 0, ok: 0, non2xx: 0, errors: 0, timeouts: 0 };
  const samples: string[] = [];
  const note = (what: string) => {
    if (samples.length < 10) samples.push(`${new Date().toISOString()} ${what}`);
  };
  const worker = async (n: number) => {
    for (let i = 0; running; i++) {
      const vote = i % 2 === 0;
      try {
        const r = await fetch(`${base}/api/targets/${targetId}/${vote ? `votes/${randomUUID()}` : "counts"}`, {
          method: vote ? "PUT" : "GET",
          headers: vote ? { "content-type": "application/json" } : {},
          body: vote ? JSON.stringify({ value: n % 2 === 0 ? "up" : "down" }) : undefined,
          signal: AbortSignal.timeout(5_000),
        });
        await r.arrayBuffer();
        counts.total++;
        if (r.status >= 200 && r.status < 300) counts.ok++;
        else {
          counts.non2xx++;
          note(`HTTP ${r.status} ${vote ? "PUT vote" : "GET counts"}`);
        }
      } catch (e) {
        counts.total++;
        counts.errors++;
        if ((e as Error).name === "TimeoutError") counts.timeouts++;
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        note(`${(e as Error).name}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const all = Promise.all(Array.from({ length: workers }, (_, n) => worker(n)));
  return {
    counts,
    samples,
    stop: async () => {
      running = false;
      await all;
      return counts;
    },
  };
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
  it("from a fresh clone, `npm run deploy:dev -- --yes` deploys the committed dev stack onto the real node", () => {
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
    if (NPM_CI) {
      for (const prefix of [".", "policy"]) {
        execFileSync("npm", ["ci", "--offline", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", prefix], { cwd: workDir, stdio: "ignore" });
      }
    } else {
      fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(workDir, "node_modules"));
      fs.symlinkSync(path.join(ROOT, "policy", "node_modules"), path.join(workDir, "policy", "node_modules"));
    }
    record(`git clone + ${NPM_CI ? "npm ci --offline (root and policy pack)" : "node_modules shared"}: ${((Date.now() - cloneStarted) / 1000).toFixed(1)} s`);
    // The committed dev stack, unchanged but for what this machine forces (printed with reasons).
    const committed = fs.readFileSync(path.join(workDir, "Pulumi.dev.yaml"), "utf8");
    expect(committed).toMatch(/^ {2}clickvote:imageRepository: localhost:5001\/clickvote$/m);
    const overrides = execFileSync("bash", [path.join(ROOT, "e2e", "realpods", "dev-overrides.sh"), workDir], { encoding: "utf8" });
    record(`dev stack overrides:\n${overrides.trimEnd()}`);
    env = pulumiEnv(fs.mkdtempSync(path.join(os.tmpdir(), "clickvote-realpods-")));

    const started = Date.now();
    const { status, out } = deployDev();
    record(`npm run deploy:dev -- --yes: exit ${status} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(status, out.slice(-6000)).toBe(0);
    expect(out).toMatch(/\+ \d+ created/);
    expect(out).toMatch(/ok registry: not contacted \(imageMode digest/);

    const deployment = kubectlJson<{ status: { readyReplicas?: number } }>("get", "deployment", "clickvote-app", "-n", NAMESPACE);
    expect(deployment.status.readyReplicas).toBe(1);
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

  it("the project's NetworkPolicies are enforced: PostgreSQL answers the pods they allow, and no pod in another namespace", () => {
    const pg = kubectlJson<{ items: { metadata: { name: string }; spec: { clusterIP: string; ports: { port: number }[] } }[] }>(
      "get",
      "services",
      "-n",
      NAMESPACE,
    ).items.find((s) => s.spec.ports.some((p) => p.port === 5432) && s.spec.clusterIP !== "None");
    expect(pg, "a PostgreSQL Service with a ClusterIP").toBeDefined();
    const pgAddress = pg!.spec.clusterIP;
    const image = kubectlJson<{ spec: { template: { spec: { containers: { image: string }[] } } } }>("get", "deployment", "clickvote-app", "-n", NAMESPACE).spec
      .template.spec.containers[0].image;
    // The same probe pod (app image, restricted) twice: in the stack's namespace with the backup
    // job's labels (allowed to reach PostgreSQL; not selected by the app Service), and in a
    // namespace of its own (denied). It tries PostgreSQL's ClusterIP and, as a control that it has
    // a network at all, the DNS Service (no policy there); the results go to the termination
    // message (/dev/termination-log is writable with a read-only root filesystem).
    const script = [
      'const out = []; let left = 2; const done = (line) => { out.push(line); if (--left === 0) require("node:fs").writeFileSync("/dev/termination-log", out.join("\\n")); };',
      'const probe = (host, port) => { const s = require("node:net").connect({ host, port, timeout: 4000 }); const at = host + ":" + port;',
      '  s.on("connect", () => { done(at + " open"); s.destroy(); });',
      '  s.on("timeout", () => { done(at + " blocked (timeout)"); s.destroy(); });',
      '  s.on("error", (e) => done(at + " " + e.code)); };',
      // kube-router adds a new pod's address to its ipsets a few seconds after the pod starts
      // (e2e/realpods/README.md, trap 12): probe after 15 s, so the verdict is the enforced one
      `setTimeout(() => { probe("${pgAddress}", 5432); probe("10.96.0.10", 53); }, 15000);`,
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
      `NetworkPolicy probes to PostgreSQL ${pgAddress}:5432 and DNS 10.96.0.10:53: as the backup job in ${NAMESPACE}: ${allowed}; from namespace ${OUTSIDER}: ${outsider}`,
    );
    expect(allowed).toContain(`${pgAddress}:5432 open`);
    expect(allowed).toContain("10.96.0.10:53 open");
    // kube-router rejects what a policy denies (icmp port unreachable: ECONNREFUSED) or drops it (timeout)
    expect(outsider).toMatch(new RegExp(`${pgAddress.replace(/\./g, "\\.")}:5432 (ECONNREFUSED|blocked)`));
    expect(outsider).toContain("10.96.0.10:53 open");
  });

  it("a rolling update to a new image digest under load (2 replicas) drops no request", async () => {
    const relabel = await digestOf("clickvote", "realpods-relabel");
    setConfig("appReplicas", "2");
    const scaled = deployDev("--skip-preview");
    expect(scaled.status, scaled.out.slice(-4000)).toBe(0);
    expect(appPods().filter(ready)).toHaveLength(2);
    const target = await call("POST", "/api/targets", { name: "rolling update" });
    const load = loadGenerator(String(target.json.id));
    await new Promise((r) => setTimeout(r, 5_000));
    setConfig("imageDigest", relabel);
    const started = Date.now();
    const rollout = deployDev("--skip-preview");
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    await new Promise((r) => setTimeout(r, 5_000));
    const counts = await load.stop();
    record(
      `rolling update to ${relabel} (2 replicas, deploy:dev exit ${rollout.status} in ${seconds} s): ${counts.total} requests, ${counts.ok} 2xx, ${counts.non2xx} non-2xx, ${counts.errors} errors (${counts.timeouts} of them timeouts)${load.samples.length ? `; first failures: ${load.samples.join(" | ")}` : ""}`,
    );
    expect(rollout.status, rollout.out.slice(-4000)).toBe(0);
    const now = appPods().filter(ready);
    expect(now).toHaveLength(2);
    for (const p of now) expect(p.spec.containers[0].image).toBe(`localhost:5001/clickvote@${relabel}`);
    expect(counts.total).toBeGreaterThan(100);
    expect({ non2xx: counts.non2xx, errors: counts.errors }).toEqual({ non2xx: 0, errors: 0 });
  });

  it("a rollout to an image that never becomes ready fails, and the old version keeps serving every request", async () => {
    const serving = appPods().filter(ready);
    const oldImage = serving[0].spec.containers[0].image;
    const neverReady = await digestOf("clickvote", "realpods-never-ready");
    setConfig("appRolloutTimeoutSeconds", "60");
    const target = await call("POST", "/api/targets", { name: "failed rollout" });
    const load = loadGenerator(String(target.json.id));
    await new Promise((r) => setTimeout(r, 5_000));
    setConfig("imageDigest", neverReady);
    const started = Date.now();
    const rollout = deployDev("--skip-preview");
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    await new Promise((r) => setTimeout(r, 5_000));
    const counts = await load.stop();
    const after = appPods();
    const readyAfter = after.filter(ready);
    record(
      `failed rollout to ${neverReady} (deploy:dev exit ${rollout.status} after ${seconds} s): ${counts.total} requests, ${counts.ok} 2xx, ${counts.non2xx} non-2xx, ${counts.errors} errors (${counts.timeouts} of them timeouts); afterwards ${readyAfter.length} Ready pod(s) on ${[...new Set(readyAfter.map((p) => p.spec.containers[0].image))].join(", ")}, ${after.length - readyAfter.length} not Ready${load.samples.length ? `; first failures: ${load.samples.join(" | ")}` : ""}`,
    );
    expect(rollout.status).not.toBe(0);
    expect(rollout.out).toMatch(/clickvote-app/);
    expect(readyAfter).toHaveLength(2);
    for (const p of readyAfter) expect(p.spec.containers[0].image).toBe(oldImage);
    expect(after.some((p) => !ready(p) && p.spec.containers[0].image.endsWith(neverReady))).toBe(true);
    expect(counts.total).toBeGreaterThan(100);
    expect({ non2xx: counts.non2xx, errors: counts.errors }).toEqual({ non2xx: 0, errors: 0 });
  });
});
