// npm run bench: medians over several runs of program evaluation (under mocks), and, when the
// e2e toolchain and local cluster are available, through the real engine: a fresh up (the CLI's
// `pulumi up`, e2e/bench/cli.ts, beside the critical path PostgreSQL ready → migration Job
// complete → app rollout from its engine events, and cut into phases, e2e/bench/fresh-up.ts), a
// no-op preview (also with the policy pack), a no-op up (the CLI's, and the Automation API's,
// which runs two more commands); the same objects applied and diffed by kubectl on the same
// cluster (ratios); and one instrumented no-op preview and up broken down into phases
// (e2e/bench/breakdown.ts). Every row shows wall time and the CPU time of the
// commands, which a busy machine inflates less. The header carries the load average.
//   BENCH_SAMPLES (5)         program evaluations
//   BENCH_ENGINE_SAMPLES (3)  fresh stacks, each: up, no-op preview (plain and with the policy pack), no-op up
//   BENCH_BEFORE=1            also a no-op preview with the runtime as it was before issue 15
//                             (ts-node type-checking the program on every run), alternating with the current one
//   BENCH_CODE_CACHE_AB=1     also a no-op preview with Node's code cache off (NODE_DISABLE_COMPILE_CACHE=1,
//                             see tools/program-start.cjs), alternating with the current one
import { execFileSync, spawnSync } from "node:child_process";
import { EngineEvent } from "@pulumi/pulumi/automation";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { E2EStack, changeCount, createStack, deleteNamespace, destroyAndRemove, e2eSettings, kubeconfig, toolchainBin } from "../lib";
import { formatPhases, phases } from "./breakdown";
import { TracedUp, medianUpPhases, pathRow, traceFreshUp } from "./fresh-up";
import { runCli } from "./cli";
import { loadAverage, measure, now, rolloutWaits } from "./measure";
import { Sample, ratioRow, row } from "./format";

const ROOT = path.resolve(__dirname, "..", "..");
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 5);
const ENGINE_SAMPLES = Number(process.env.BENCH_ENGINE_SAMPLES ?? 3);
const BEFORE = process.env.BENCH_BEFORE === "1";
const CODE_CACHE_AB = process.env.BENCH_CODE_CACHE_AB === "1";
const POLICY_PACK = path.join(ROOT, "policy");

/** The toolchain's `pulumi` on the stack's project copy, backend and passphrase (e2e/bench/cli.ts). */
function cli(s: E2EStack, args: string[], onEvent?: (event: EngineEvent, at: number) => void) {
  return runCli([...args, "--stack", s.stack.name], { cwd: s.workDir, env: { ...process.env, ...s.env }, cli: path.join(toolchainBin(), "pulumi"), onEvent });
}

/** Pulumi.yaml's runtime as it was before issue 15: ts-node, type-checking on every run. */
function useBeforeRuntime(workDir: string, before: boolean): void {
  const file = path.join(workDir, "Pulumi.yaml");
  const current = fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8");
  const old = current.replace(/ {4}typescript: false\n {4}nodeargs: --require \.\/tools\/program-start\.cjs\n/, "    typescript: true\n");
  if (old === current) throw new Error("BENCH_BEFORE: Pulumi.yaml's runtime options are not the expected ones");
  fs.writeFileSync(file, before ? old : current);
}

function kubectl(...args: string[]): string {
  return execFileSync(path.join(toolchainBin(), "kubectl"), ["--kubeconfig", kubeconfig(), ...args], { encoding: "utf8" });
}

/** kubectl on the same objects: server-side apply + rollout/complete waits, then a server-side diff of the unchanged objects. */
async function kubectlPeer(i: number): Promise<{ apply: Sample; diff: Sample }> {
  const ns = `clickvote-bench-kubectl-${i}`;
  deleteNamespace(ns);
  const file = path.join(os.tmpdir(), `clickvote-bench-${process.pid}-${i}.yaml`);
  execFileSync(process.execPath, [...process.execArgv, path.join(__dirname, "render.ts"), ns, file], { cwd: ROOT, stdio: "inherit" });
  const waits = rolloutWaits(fs.readFileSync(file, "utf8"), ns);
  try {
    const [apply] = await measure(() => {
      kubectl("apply", "--server-side", "-f", file);
      for (const args of waits) kubectl(...args);
    });
    const [diff] = await measure(() => {
      const r = spawnSync(path.join(toolchainBin(), "kubectl"), ["--kubeconfig", kubeconfig(), "diff", "--server-side", "-f", file], { encoding: "utf8" });
      if (r.status !== 0 && r.status !== 1) throw new Error(`kubectl diff failed: ${r.stderr}`);
    });
    return { apply, diff };
  } finally {
    deleteNamespace(ns);
    fs.rmSync(file, { force: true });
  }
}

async function main(): Promise<void> {
  const header = `clickvote bench (${new Date().toISOString()}, node ${process.version}, ${os.cpus().length} cores, load ${loadAverage()} at start`;
  const lines: string[] = [];
  const evaluation: number[] = [];
  const evaluationCpu: number[] = [];
  let resources = 0;
  for (let i = 0; i < SAMPLES; i++) {
    const out = execFileSync(process.execPath, [...process.execArgv, path.join(__dirname, "evaluate-program.ts")], { cwd: ROOT, encoding: "utf8" });
    const parsed = JSON.parse(out.trim().split("\n").pop() ?? "{}") as { ms: number; cpuMs: number; resources: number };
    evaluation.push(parsed.ms / 1000);
    evaluationCpu.push(parsed.cpuMs / 1000);
    resources = parsed.resources;
  }
  lines.push(
    row(
      `program evaluation (${resources} res)`,
      evaluation.map((wall, i) => ({ wall, cpu: evaluationCpu[i] })),
      "under mocks, SDK already loaded",
    ),
  );

  if (!process.env.CLICKVOTE_E2E_BIN || !process.env.KUBECONFIG) {
    lines.push("engine figures skipped: run through `npm run bench` (e2e/bench/run.sh) with the e2e toolchain cached");
  } else {
    const freshUp: Sample[] = [];
    const tracedUps: TracedUp[] = [];
    const noopPreview: Sample[] = [];
    const policyPreview: Sample[] = [];
    const beforePreview: Sample[] = [];
    const noCodeCachePreview: Sample[] = [];
    const noopUp: Sample[] = [];
    const noopUpApi: Sample[] = [];
    const kubectlApply: Sample[] = [];
    const kubectlDiff: Sample[] = [];
    const breakdown: string[] = [];
    for (let i = 0; i < ENGINE_SAMPLES; i++) {
      const ns = `clickvote-bench-${i}`;
      deleteNamespace(ns);
      const s: E2EStack = await createStack(`bench${i}`, e2eSettings({ namespace: ns }));
      try {
        const [up, traced] = await measure(() => traceFreshUp((onEvent) => cli(s, ["up", "--yes", "--skip-preview"], onEvent)));
        if (traced.value.code !== 0) throw new Error(`fresh up failed (exit ${traced.value.code}): ${traced.value.stderr.slice(-2000)}`);
        freshUp.push(up);
        tracedUps.push({ wall: up.wall, path: traced.path, phases: traced.phases });
        const preview = async () => {
          const [sample, result] = await measure(() => s.stack.preview());
          if (changeCount(result.changeSummary as Record<string, number>) !== 0) throw new Error("no-op preview found changes");
          return sample;
        };
        // A/B: the runtime before issue 15 and the current one, in alternating order.
        if (BEFORE && i % 2 === 0) {
          useBeforeRuntime(s.workDir, true);
          beforePreview.push(await preview());
          useBeforeRuntime(s.workDir, false);
        }
        // A/B: Node's code cache off and on, alternating which goes first.
        const withoutCodeCache = async () => {
          process.env.NODE_DISABLE_COMPILE_CACHE = "1"; // the CLI passes it on to Node.js
          try {
            noCodeCachePreview.push(await preview());
          } finally {
            delete process.env.NODE_DISABLE_COMPILE_CACHE;
          }
        };
        if (CODE_CACHE_AB && i % 2 === 0) await withoutCodeCache();
        noopPreview.push(await preview());
        if (CODE_CACHE_AB && i % 2 === 1) await withoutCodeCache();
        if (BEFORE && i % 2 === 1) {
          useBeforeRuntime(s.workDir, true);
          beforePreview.push(await preview());
          useBeforeRuntime(s.workDir, false);
        }
        const [pp] = await measure(() => s.stack.preview({ policyPacks: [POLICY_PACK] }));
        policyPreview.push(pp);
        // --expect-no-changes: the CLI exits non-zero if the up changed anything
        const [nu, noopRun] = await measure(() => cli(s, ["up", "--yes", "--skip-preview", "--expect-no-changes"]));
        if (noopRun.code !== 0) throw new Error(`no-op up failed or changed something (exit ${noopRun.code}): ${noopRun.stderr.slice(-2000)}`);
        noopUp.push(nu);
        const [nuApi, upResult] = await measure(() => s.stack.up());
        if (changeCount(upResult.summary.resourceChanges as Record<string, number>) !== 0) throw new Error("no-op up changed something");
        noopUpApi.push(nuApi);
        if (i === ENGINE_SAMPLES - 1) {
          const instrumented = { logToStdErr: true, logVerbosity: 7 };
          for (const [title, run] of [
            ["no-op preview", () => s.stack.preview(instrumented)],
            ["no-op preview --policy-pack policy", () => s.stack.preview({ ...instrumented, policyPacks: [POLICY_PACK] })],
            ["no-op up", () => cli(s, ["up", "--yes", "--skip-preview", "--logtostderr", "-v=7"])],
          ] as const) {
            const started = now();
            const result = await run();
            const ended = now();
            if ("code" in result && result.code !== 0) throw new Error(`${title} failed (exit ${result.code}): ${result.stderr.slice(-2000)}`);
            breakdown.push(...formatPhases(title, phases(result.stderr, started, ended), ended - started));
          }
        }
      } finally {
        await destroyAndRemove(s);
        deleteNamespace(ns);
      }
      const peer = await kubectlPeer(i);
      kubectlApply.push(peer.apply);
      kubectlDiff.push(peer.diff);
    }
    lines.push(row("fresh up", freshUp, "pulumi up --yes --skip-preview"), ...pathRow(tracedUps));
    lines.push(row("no-op preview", noopPreview));
    if (beforePreview.length > 0) lines.push(row("  before (ts-node type-checks)", beforePreview), ratioRow("  before / now", beforePreview, noopPreview));
    if (noCodeCachePreview.length > 0)
      lines.push(row("  without code cache", noCodeCachePreview), ratioRow("  without / with code cache", noCodeCachePreview, noopPreview));
    lines.push(
      row("no-op preview --policy-pack", policyPreview),
      row("no-op up", noopUp, "pulumi up --yes --skip-preview"),
      row("  through the Automation API", noopUpApi, "stack.up(): + pulumi stack output, pulumi stack history"),
    );
    lines.push(row("kubectl apply --server-side+wait", kubectlApply), row("kubectl diff --server-side", kubectlDiff));
    lines.push(ratioRow("ratio fresh up / kubectl apply", freshUp, kubectlApply), ratioRow("ratio no-op preview / kubectl diff", noopPreview, kubectlDiff));
    lines.push(...medianUpPhases(tracedUps));
    lines.push("", ...breakdown);
  }
  process.stdout.write(`\n${header}, ${loadAverage()} at end)\n${lines.join("\n")}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
