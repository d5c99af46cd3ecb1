// npm run bench: medians over several runs of program evaluation (under mocks), and, when the
// e2e toolchain and local cluster are available, a fresh up, a no-op preview and a no-op up
// through the real engine. Prints a table; figures quoted in notes come from here.
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { changeCount, createStack, deleteNamespace, destroyAndRemove, e2eSettings } from "../lib";

const ROOT = path.resolve(__dirname, "..", "..");
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 5);
const ENGINE_SAMPLES = Number(process.env.BENCH_ENGINE_SAMPLES ?? 3);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function row(name: string, samples: number[], unit = "ms"): string {
  const f = (v: number) => (unit === "s" ? (v / 1000).toFixed(2) : v.toFixed(0));
  return `${name.padEnd(28)} median ${f(median(samples)).padStart(8)} ${unit}   min ${f(Math.min(...samples))}   max ${f(Math.max(...samples))}   (n=${samples.length})`;
}

async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const start = performance.now();
  const result = await fn();
  return [performance.now() - start, result];
}

async function main(): Promise<void> {
  const lines: string[] = [];
  const evaluation: number[] = [];
  let resources = 0;
  for (let i = 0; i < SAMPLES; i++) {
    const out = execFileSync(process.execPath, [...process.execArgv, path.join(__dirname, "evaluate-program.ts")], {
      cwd: ROOT,
      encoding: "utf8",
    });
    const parsed = JSON.parse(out.trim().split("\n").pop() ?? "{}") as { ms: number; resources: number };
    evaluation.push(parsed.ms);
    resources = parsed.resources;
  }
  lines.push(row(`program evaluation (${resources} res)`, evaluation));

  if (!process.env.CLICKVOTE_E2E_BIN || !process.env.KUBECONFIG) {
    lines.push("engine figures skipped: run through `npm run bench` (e2e/bench/run.sh) with the e2e toolchain cached");
  } else {
    const freshUp: number[] = [];
    const noopPreview: number[] = [];
    const noopUp: number[] = [];
    for (let i = 0; i < ENGINE_SAMPLES; i++) {
      const ns = `clickvote-bench-${i}`;
      deleteNamespace(ns);
      const s = await createStack(`bench${i}`, e2eSettings({ namespace: ns }));
      try {
        const [up] = await time(() => s.stack.up());
        freshUp.push(up);
        const [pv, preview] = await time(() => s.stack.preview());
        if (changeCount(preview.changeSummary as Record<string, number>) !== 0) throw new Error("no-op preview found changes");
        noopPreview.push(pv);
        const [nu] = await time(() => s.stack.up());
        noopUp.push(nu);
      } finally {
        await destroyAndRemove(s);
        deleteNamespace(ns);
      }
    }
    lines.push(row("fresh up", freshUp, "s"), row("no-op preview", noopPreview, "s"), row("no-op up", noopUp, "s"));
  }
  process.stdout.write(`\nclickvote bench (${new Date().toISOString()}, node ${process.version})\n${lines.join("\n")}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
