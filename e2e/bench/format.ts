// The bench's rows (e2e/bench/run.ts, e2e/bench/realpods.ts): medians with min/max, ratios, and a
// load window's throughput, latencies and failures; and the settings e2e/realpods/dev-overrides.sh
// appended to a stack file. Pure: test/bench-format.test.ts.

export interface Sample {
  /** wall seconds */
  wall: number;
  /** CPU seconds of the commands (child processes) */
  cpu: number;
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const NAME = 34;
const f2 = (v: number) => v.toFixed(2);

/** A row in seconds: wall median/min/max and the median CPU time; n=1 is one sample, said as such. */
export function row(name: string, samples: Sample[], note = ""): string {
  const walls = samples.map((s) => s.wall);
  return `${name.padEnd(NAME)} median ${f2(median(walls)).padStart(7)} s   min ${f2(Math.min(...walls))}   max ${f2(Math.max(...walls))}   cpu ${f2(median(samples.map((s) => s.cpu)))} s   (n=${samples.length})${note ? `   ${note}` : ""}`;
}

/** a / b of the medians, wall and CPU. */
export function ratioRow(name: string, a: Sample[], b: Sample[]): string {
  const wall = median(a.map((s) => s.wall)) / median(b.map((s) => s.wall));
  const cpu = median(a.map((s) => s.cpu)) / median(b.map((s) => s.cpu));
  return `${name.padEnd(NAME)} ${f2(wall)}× wall   ${Number.isFinite(cpu) ? `${f2(cpu)}× cpu` : "cpu n/a"}`;
}

/** A row of single wall times (no CPU figure), e.g. the time to the first HTTP 200. */
export function secondsRow(name: string, walls: number[], note = ""): string {
  return row(
    name,
    walls.map((wall) => ({ wall, cpu: NaN })),
    note,
  ).replace(/ {3}cpu NaN s/, "");
}

/** What a load window's row shows (e2e/realpods/load.ts LoadResult has these fields). */
export interface LoadFigures {
  seconds: number;
  requests: number;
  non2xx: number;
  errors: number;
  latency: { p50: number; p99: number };
}

/**
 * Load windows (one per sample) in one row: the median of the answered requests per second, of
 * the p50 and of the p99 (ms; the highest p99 beside it), and the failed requests (non-2xx,
 * errors, timeouts, lost) of all requests sent, over the windows' seconds in all.
 */
export function loadRow(name: string, windows: LoadFigures[], note = ""): string {
  const rates = windows.map((w) => (w.seconds > 0 ? w.requests / w.seconds : 0));
  const p99s = windows.map((w) => w.latency.p99);
  const sum = (f: (w: LoadFigures) => number) => windows.reduce((total, w) => total + f(w), 0);
  return `${name.padEnd(NAME)} ${median(rates).toFixed(1).padStart(7)} req/s   p50 ${median(windows.map((w) => w.latency.p50))} ms   p99 ${median(p99s)} ms (max ${Math.max(...p99s)})   failed ${sum((w) => w.non2xx + w.errors)} of ${sum((w) => w.requests + w.errors)}   over ${sum((w) => w.seconds).toFixed(1)} s   (n=${windows.length})${note ? `   ${note}` : ""}`;
}

/**
 * The settings (keys without the clickvote: prefix) in the block e2e/realpods/dev-overrides.sh
 * appended to a Pulumi.dev.yaml: what the real-pod bench renders its kubectl peer's objects with.
 */
export function devOverrides(stackFile: string): Record<string, string> {
  const from = stackFile.indexOf("# --- e2e/realpods/dev-overrides.sh");
  if (from < 0) throw new Error("the stack file has no e2e/realpods/dev-overrides.sh block");
  const settings: Record<string, string> = {};
  for (const m of stackFile.slice(from).matchAll(/^ {2}clickvote:(\w+): (?:"([^"\n]*)"|([^"\s#][^\n#]*?))\s*$/gm)) settings[m[1]] = m[2] ?? m[3];
  return settings;
}
