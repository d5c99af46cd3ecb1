// npm run bench's real-pod part (e2e/bench/realpods.sh sets up the real node first, with
// e2e/realpods/setup.sh, as e2e/realpods/run.sh does): the dev stack deployed as the real-node
// suite deploys it (a copy of the program, the committed Pulumi.dev.yaml plus
// e2e/realpods/dev-overrides.sh: digest mode, the stand-in PostgreSQL/Redis pinned by digest; the
// kwok nodes tainted, so every pod lands on the real node), with appReplicas 2 from the start.
//   1. fresh `pulumi up --yes --skip-preview`: its wall time, and the time from its start to the
//      first HTTP 200 from GET /readyz through the app Service's ClusterIP (200 once the app
//      reaches PostgreSQL); beside it the critical path PostgreSQL ready → migration Job complete
//      → app rollout from its engine events, and the median round's up cut into phases
//      (e2e/bench/fresh-up.ts);
//   2. the rolling update to a new image digest (clickvote:realpods-relabel) by `pulumi up`,
//   3. under vegeta load (e2e/realpods/load.ts), beside a steady-state window of the same length;
//   5. no-op `pulumi preview --expect-no-changes` of the deployed stack;
//   then the stack is destroyed, and the kubectl peer gets the same objects (rendered under mocks
//   by e2e/bench/render.ts, with the same settings; the mocks' fake passwords in the Secrets) in a
//   namespace of its own on the same node:
//   4. `kubectl apply --server-side` + rollout/complete waits of the first release (fresh, with
//      the time to the first 200 too), then of the new release under the same load;
//   5. `kubectl diff --server-side` of the unchanged objects; the ratios pulumi / kubectl.
// A round does all of this on a fresh stack (about 3 minutes on 2 cores): every figure is a median
// over the rounds (n printed), previews and diffs over all their samples.
//   BENCH_RP_ROUNDS (3)           rounds
//   BENCH_RP_PREVIEW_SAMPLES (3)  no-op previews per round, and as many kubectl diffs
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { deleteNamespace, kubeconfig, kubectlJson, projectCopy, pulumiEnv, toolchainBin } from "../lib";
import { describeLoad, startLoad, type LoadResult } from "../realpods/load";
import { Sample, devOverrides, loadRow, ratioRow, row, secondsRow } from "./format";
import { digestOf } from "../realpods/dev-registry";
import { run as runCommand } from "../failures-helpers";
import { loadAverage, measure, now, rolloutWaits } from "./measure";
import { runCli } from "./cli";
import { CriticalPath, Phase, TracedUp, medianUpPhases, pathRow, traceFreshUp } from "./fresh-up";

const ROOT = path.resolve(__dirname, "..", "..");
const ROUNDS = Number(process.env.BENCH_RP_ROUNDS ?? 3);
const PREVIEW_SAMPLES = Number(process.env.BENCH_RP_PREVIEW_SAMPLES ?? 3);
const NAMESPACE = "clickvote"; // the committed dev stack's
const PEER_NAMESPACE = "clickvote-bench-kubectl";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => process.stderr.write(`bench realpods: ${line}\n`);

/**
 * A command run asynchronously (the event loop keeps polling the Service meanwhile), with its
 * exit status, its stdout, and all its output (stdout, then stderr); rejects on an exit status
 * not in `ok` ([0]).
 */
async function runStatus(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; ok?: number[] } = {},
): Promise<{ status: number | null; stdout: string; out: string }> {
  const r = await runCommand(cmd, args, { cwd: opts.cwd ?? process.cwd(), env: { ...process.env, ...opts.env } });
  const out = `${r.stdout}\n${r.stderr}`;
  if (!(opts.ok ?? [0]).includes(r.code ?? -1)) throw new Error(`${path.basename(cmd)} ${args.slice(0, 3).join(" ")} exited ${r.code}: ${out.slice(-3000)}`);
  return { status: r.code, stdout: r.stdout, out };
}
/** The same, resolving with its stdout (kubectl's JSON, say) only. */
const run = async (cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string>; ok?: number[] } = {}) =>
  (await runStatus(cmd, args, opts)).stdout;
const kubectlPath = () => path.join(toolchainBin(), "kubectl");
const kubectl = (...args: string[]) => run(kubectlPath(), ["--kubeconfig", kubeconfig(), ...args]);
/** kubectl whose exit status 0 or 1 is an answer (kubectl diff: 1 = differences found). */
const kubectlStatus = (...args: string[]) => runStatus(kubectlPath(), ["--kubeconfig", kubeconfig(), ...args], { ok: [0, 1] });

/** http://<ClusterIP>:<port> of the app Service of a namespace, once it exists. */
async function serviceBase(namespace: string): Promise<string | undefined> {
  try {
    const svc = JSON.parse(await kubectl("get", "service", "clickvote", "-n", namespace, "-o", "json")) as {
      spec: { clusterIP: string; ports: { port: number }[] };
    };
    return `http://${svc.spec.clusterIP}:${svc.spec.ports[0].port}`;
  } catch {
    return undefined;
  }
}

/**
 * Polls GET /readyz through the app Service of `namespace` from `since` (a start time) until the
 * first 200 or `stop()`; resolves with the seconds from `since`, or undefined.
 */
async function firstOk(namespace: string, since: number, stop: () => boolean): Promise<number | undefined> {
  let base: string | undefined;
  while (!stop()) {
    base ??= await serviceBase(namespace);
    if (base) {
      try {
        const r = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(1_000) });
        await r.arrayBuffer();
        if (r.status === 200) return now() - since;
      } catch {
        // not routed or not listening yet
      }
    }
    await sleep(base ? 100 : 250);
  }
  return undefined;
}

/**
 * Runs `fn` (a deploy) while `firstOk` polls; the first 200 normally comes before `fn` ends
 * (pulumi up and the kubectl waits return once the app is rolled out), else up to 15 s after.
 * The CPU figure includes the poller's few `kubectl get service` calls.
 */
async function timedDeploy(namespace: string, fn: () => Promise<unknown>): Promise<{ sample: Sample; first?: number }> {
  const started = now();
  let deadline = Infinity;
  const poll = firstOk(namespace, started, () => now() > deadline);
  try {
    const [sample] = await measure(fn);
    deadline = now() + 15;
    return { sample, first: await poll };
  } finally {
    deadline = 0;
    await poll;
  }
}

async function newTarget(base: string, name: string): Promise<string> {
  const r = await fetch(`${base}/api/targets`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name }) });
  const body = (await r.json()) as { id?: unknown };
  if (r.status !== 201) throw new Error(`POST /api/targets: HTTP ${r.status}`);
  return String(body.id);
}

/** The load during `fn` (started just before, stopped as soon as it ends). */
async function underLoad<T>(base: string, target: string, fn: () => Promise<T>): Promise<{ load: LoadResult; value: T }> {
  const running = await startLoad({ base, targets: [target] });
  try {
    const value = await fn();
    return { load: await running.stop(), value };
  } catch (e) {
    await running.stop().catch(() => undefined);
    throw e;
  }
}

interface PodInfo {
  metadata: { deletionTimestamp?: string; ownerReferences?: { kind: string }[] };
  spec: { nodeName?: string; containers: { image: string }[] };
  status: { conditions?: { type: string; status: string }[] };
}
/** Ready app pods (not terminating) and their images; every pod of the namespace on the real node. */
function appPodImages(namespace: string): string[] {
  const pods = kubectlJson<{ items: PodInfo[] }>("get", "pods", "-n", namespace, "-l", "app.kubernetes.io/component=app").items;
  const node = process.env.E2E_RP_NODE_NAME ?? "realpods-node";
  for (const p of pods) if (p.spec.nodeName && p.spec.nodeName !== node) throw new Error(`an app pod runs on ${p.spec.nodeName}, not on the real node`);
  return pods
    .filter((p) => !p.metadata.deletionTimestamp && p.metadata.ownerReferences?.some((o) => o.kind === "ReplicaSet"))
    .filter((p) => p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True"))
    .map((p) => p.spec.containers[0].image);
}
function expectRolledOut(namespace: string, digest: string): void {
  const images = appPodImages(namespace);
  if (images.length !== 2 || images.some((i) => !i.endsWith(`@${digest}`)))
    throw new Error(`after the rollout in ${namespace}: Ready app pods on ${images.join(", ") || "nothing"}, not 2 on ${digest}`);
}

/** kubectl apply --server-side of a rendered file, then the waits a deploy needs: StatefulSets rolled out, Jobs complete, Deployments rolled out. */
async function kubectlApply(file: string, namespace: string): Promise<void> {
  await kubectl("apply", "--server-side", "-f", file);
  for (const args of rolloutWaits(fs.readFileSync(file, "utf8"), namespace)) await kubectl(...args);
}

async function render(namespace: string, settings: Record<string, string>, out: string): Promise<void> {
  const settingsFile = `${out}.settings.json`;
  fs.writeFileSync(settingsFile, JSON.stringify(settings));
  try {
    await run(process.execPath, [...process.execArgv, path.join(__dirname, "render.ts"), namespace, out, settingsFile], { cwd: ROOT });
  } finally {
    fs.rmSync(settingsFile, { force: true });
  }
}

interface Round {
  fresh: Sample;
  /** the fresh up's critical path (PostgreSQL ready → migration Job complete → app rollout) and phases */
  path?: CriticalPath;
  phases?: Phase[];
  first?: number;
  rollout: Sample;
  roll: LoadResult;
  steady: LoadResult;
  previews: Sample[];
  peerFresh: Sample;
  peerFirst?: number;
  peerRollout: Sample;
  peerRoll: LoadResult;
  diffs: Sample[];
  differing: number;
}

/** One round: a fresh dev stack through its rolling update and no-op previews, destroyed; then the kubectl peer on the same objects. */
async function round(n: number, relabel: string): Promise<Round> {
  const step = (what: string) => log(`round ${n + 1}/${ROUNDS}: ${what}`);
  // The dev stack as the real-node suite deploys it, in a copy of the program with a file backend of its own.
  const workDir = projectCopy();
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "clickvote-bench-rp-"));
  const env = pulumiEnv(stateDir);
  fs.mkdirSync(path.join(stateDir, "backend"), { recursive: true });
  const pulumi = (...args: string[]) => run("pulumi", [...args, "--stack", "dev", "--non-interactive"], { cwd: workDir, env });
  const peerDir = fs.mkdtempSync(path.join(os.tmpdir(), "clickvote-bench-rp-peer-"));
  let deployed = false;
  try {
    // digest mode: the kubectl peer deploys the same image, by the same digest
    await run("bash", [path.join(ROOT, "e2e", "realpods", "dev-overrides.sh"), workDir, "--digest"]);
    const settings: Record<string, string> = { ...devOverrides(fs.readFileSync(path.join(workDir, "Pulumi.dev.yaml"), "utf8")), appReplicas: "2" };
    const first = settings.imageDigest;
    deleteNamespace(NAMESPACE);
    deleteNamespace(PEER_NAMESPACE);
    await run("pulumi", ["stack", "init", "dev", "--non-interactive"], { cwd: workDir, env });
    await pulumi("config", "set", "clickvote:appReplicas", "2");

    step("fresh pulumi up (the first 200 through the Service polled meanwhile)");
    deployed = true;
    // through runCli for its engine events: the critical path and the phases around it
    let traced: Pick<TracedUp, "path" | "phases"> = {};
    const fresh = await timedDeploy(NAMESPACE, async () => {
      const t = await traceFreshUp((onEvent) =>
        runCli(["up", "--yes", "--skip-preview", "--stack", "dev"], { cwd: workDir, env: { ...process.env, ...env }, onEvent }),
      );
      if (t.value.code !== 0) throw new Error(`fresh pulumi up exited ${t.value.code}: ${`${t.value.stdout}\n${t.value.stderr}`.slice(-3000)}`);
      traced = t;
    });
    expectRolledOut(NAMESPACE, first);
    const base = await serviceBase(NAMESPACE);
    if (!base) throw new Error("no app Service after the fresh up");

    step(`rolling update to ${relabel} under load, then a steady-state window as long`);
    await pulumi("config", "set", "clickvote:imageDigest", relabel);
    const rollTarget = await newTarget(base, "bench rolling update");
    const roll = await underLoad(base, rollTarget, () => measure(() => pulumi("up", "--yes", "--skip-preview")));
    const [rollout] = roll.value;
    expectRolledOut(NAMESPACE, relabel);
    log(`rollout: ${describeLoad(roll.load)}`);
    const steadyTarget = await newTarget(base, "bench steady state");
    const steady = await underLoad(base, steadyTarget, () => sleep(rollout.wall * 1000));
    log(`steady: ${describeLoad(steady.load)}`);

    step(`${PREVIEW_SAMPLES} no-op previews of the deployed stack`);
    const previews: Sample[] = [];
    for (let i = 0; i < PREVIEW_SAMPLES; i++) previews.push((await measure(() => pulumi("preview", "--expect-no-changes")))[0]);

    step("pulumi destroy; the kubectl peer on the same objects in a namespace of its own");
    await pulumi("destroy", "--yes", "--skip-preview");
    deleteNamespace(NAMESPACE); // retained on destroy by design
    deployed = false;
    const fileA = path.join(peerDir, "first.yaml");
    const fileB = path.join(peerDir, "relabel.yaml");
    await render(PEER_NAMESPACE, settings, fileA);
    await render(PEER_NAMESPACE, { ...settings, imageDigest: relabel }, fileB);
    const peerFresh = await timedDeploy(PEER_NAMESPACE, () => kubectlApply(fileA, PEER_NAMESPACE));
    expectRolledOut(PEER_NAMESPACE, first);
    const peerBase = await serviceBase(PEER_NAMESPACE);
    if (!peerBase) throw new Error("no app Service in the kubectl peer's namespace");
    const peerTarget = await newTarget(peerBase, "bench kubectl rolling update");
    const peerRoll = await underLoad(peerBase, peerTarget, () => measure(() => kubectlApply(fileB, PEER_NAMESPACE)));
    expectRolledOut(PEER_NAMESPACE, relabel);
    log(`kubectl rollout: ${describeLoad(peerRoll.load)}`);

    step(`${PREVIEW_SAMPLES} kubectl diff --server-side of the unchanged objects`);
    const diffs: Sample[] = [];
    let differing = 0;
    for (let i = 0; i < PREVIEW_SAMPLES; i++) {
      // exit 1: differences found (counted beside the row), above 1: an error (thrown)
      const [sample, out] = await measure(() => kubectlStatus("diff", "--server-side", "-f", fileB));
      if (out.status === 1) differing++;
      diffs.push(sample);
    }
    return {
      fresh: fresh.sample,
      path: traced.path,
      phases: traced.phases,
      first: fresh.first,
      rollout,
      roll: roll.load,
      steady: steady.load,
      previews,
      peerFresh: peerFresh.sample,
      peerFirst: peerFresh.first,
      peerRollout: peerRoll.value[0],
      peerRoll: peerRoll.load,
      diffs,
      differing,
    };
  } finally {
    if (deployed) await pulumi("destroy", "--yes", "--skip-preview").catch(() => undefined);
    deleteNamespace(NAMESPACE);
    deleteNamespace(PEER_NAMESPACE);
    fs.rmSync(workDir, { recursive: true, force: true });
    fs.rmSync(stateDir, { recursive: true, force: true });
    fs.rmSync(peerDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const started = now();
  const date = new Date().toISOString();
  const loadAtStart = loadAverage();
  const relabel = await digestOf("clickvote", "realpods-relabel");
  const rounds: Round[] = [];
  for (let n = 0; n < ROUNDS; n++) rounds.push(await round(n, relabel));

  const all = <K extends keyof Round>(key: K) => rounds.map((r) => r[key]);
  const firsts = (key: "first" | "peerFirst") => rounds.map((r) => r[key]).filter((x): x is number => x !== undefined);
  const firstRow = (name: string, key: "first" | "peerFirst", note = "") => {
    const seen = firsts(key);
    const missing = rounds.length - seen.length;
    if (seen.length === 0) return `${name.padEnd(34)} no HTTP 200 seen`;
    return secondsRow(name, seen, [note, missing ? `${missing} of ${rounds.length} saw no 200` : ""].filter(Boolean).join("; "));
  };
  const previews = rounds.flatMap((r) => r.previews);
  const diffs = rounds.flatMap((r) => r.diffs);
  const differing = rounds.reduce((t, r) => t + r.differing, 0);
  const tracedUps: TracedUp[] = rounds.map((r) => ({ wall: r.fresh.wall, path: r.path, phases: r.phases }));
  const lines = [
    row("fresh up (pulumi up)", all("fresh")),
    ...pathRow(tracedUps),
    firstRow("  up start → first HTTP 200", "first", "GET /readyz via the Service ClusterIP"),
    row("rolling update (pulumi up)", all("rollout"), "new image digest, 2 replicas"),
    loadRow("  load during the rolling update", all("roll")),
    loadRow("  steady state, same length", all("steady")),
    row("no-op preview", previews),
    row("kubectl apply --server-side+wait", all("peerFresh"), "fresh, same objects, own namespace"),
    firstRow("  apply start → first HTTP 200", "peerFirst"),
    row("kubectl rollout (apply+wait)", all("peerRollout"), "the same new release"),
    loadRow("  load during the kubectl rollout", all("peerRoll")),
    row("kubectl diff --server-side", diffs, differing ? `${differing} of ${diffs.length} found differences` : "no differences"),
    ratioRow("ratio fresh up / kubectl apply", all("fresh"), all("peerFresh")),
  ];
  if (firsts("first").length > 0 && firsts("peerFirst").length > 0) {
    const wallOnly = (xs: number[]) => xs.map((wall) => ({ wall, cpu: NaN }));
    lines.push(ratioRow("ratio first 200: up / kubectl", wallOnly(firsts("first")), wallOnly(firsts("peerFirst"))));
  }
  lines.push(
    ratioRow("ratio rolling update up / kubectl", all("rollout"), all("peerRollout")),
    ratioRow("ratio no-op preview / kubectl diff", previews, diffs),
  );
  lines.push(...medianUpPhases(tracedUps));
  const header = `clickvote bench, real pods (${date}, node ${process.version}, ${os.cpus().length} cores, load ${loadAtStart} at start, ${loadAverage()} at end; ${ROUNDS} round(s), each on a fresh stack: n=${ROUNDS} per figure, ${ROUNDS * PREVIEW_SAMPLES} previews and diffs; took ${(now() - started).toFixed(0)} s)`;
  process.stdout.write(`\n${header}\n${lines.join("\n")}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench realpods failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
