// Continuous load against the app for the real-node tests: autocannon in a process of its own
// (load-runner.mjs), so the requests go on whatever the test process does meanwhile. The test
// process used to run fetch workers itself while `spawnSync` ran a deploy: the event loop was
// blocked for the whole rollout and no request was sent during it.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export type RequestKind = "vote" | "read";

export interface LoadOptions {
  /** http://host:port of the app Service */
  base: string;
  /** target ids: each gets votes (PUT, a new voter id each) and/or count reads (GET) */
  targets: string[];
  kinds?: RequestKind[];
  /** concurrent keep-alive connections (autocannon -c) */
  connections?: number;
  /** requests per second over all connections (autocannon -R); latencies are corrected for coordinated omission */
  overallRate?: number;
  /** a request without an answer after this long is a timeout (counted as an error) */
  timeoutSeconds?: number;
}

export interface KindCounts {
  ok: number;
  non2xx: number;
  statuses: Record<string, number>;
}

/** What load-runner.mjs writes. Latencies in ms. */
export interface LoadResult {
  seconds: number;
  /** answered requests (2xx + non-2xx) */
  requests: number;
  sent: number;
  ok: number;
  non2xx: number;
  /** connection errors, timeouts and lost requests */
  errors: number;
  timeouts: number;
  /** requests in flight when the server closed their connection: never answered */
  lost: number;
  resets: number;
  reqPerSec: number;
  latency: { p50: number; p90: number; p99: number; max: number };
  kinds: Record<RequestKind, KindCounts>;
  /** per target: votes answered 2xx, by value */
  committed: Record<string, { up: number; down: number }>;
  /** per second since the start */
  timeline: { ok: number; non2xx: number; errors: number }[];
  failures: string[];
}

export const DEFAULT_LOAD = { connections: 8, overallRate: 150, timeoutSeconds: 5 } as const;

/** Requests that did not get a 2xx answer: non-2xx answers, connection errors, timeouts. */
export const failed = (r: Pick<LoadResult, "non2xx" | "errors">): number => r.non2xx + r.errors;

/**
 * The longest run of seconds in which no request was answered (2xx or not), ignoring the last
 * second (cut short by the stop). A load generator that pauses shows here, not in the totals.
 */
export function longestSilence(timeline: LoadResult["timeline"]): { seconds: number; from: number } {
  let best = { seconds: 0, from: 0 };
  let run = 0;
  for (let s = 0; s < timeline.length - 1; s++) {
    if (timeline[s].ok + timeline[s].non2xx === 0) {
      run++;
      if (run > best.seconds) best = { seconds: run, from: s - run + 1 };
    } else run = 0;
  }
  return best;
}

/** One line for the results log: counts, rate, latencies, and the first failures when any. */
export function describeLoad(r: LoadResult): string {
  const silence = longestSilence(r.timeline);
  const kinds = (Object.keys(r.kinds) as RequestKind[])
    .filter((k) => r.kinds[k].ok + r.kinds[k].non2xx > 0)
    .map((k) => `${k}s ${r.kinds[k].ok} 2xx/${r.kinds[k].non2xx} non-2xx`)
    .join(", ");
  return (
    `${r.requests + r.errors} requests in ${r.seconds.toFixed(1)} s, ${r.ok} 2xx, ${r.non2xx} non-2xx, ${r.errors} errors (${r.timeouts} timeouts, ${r.lost} lost on a closed connection), failed ${failed(r)}; ` +
    `${(r.requests / r.seconds).toFixed(1)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, max ${r.latency.max} ms; ${kinds}; ` +
    `longest second-run without an answer ${silence.seconds} s` +
    (r.failures.length ? `; first failures: ${r.failures.slice(0, 8).join(" | ")}` : "")
  );
}

export interface RunningLoad {
  /** ends the load and returns its figures */
  stop(): Promise<LoadResult>;
}

const RUNNER = path.join(__dirname, "load-runner.mjs");

/** Starts load-runner.mjs and resolves once its first requests are under way. */
export async function startLoad(options: LoadOptions): Promise<RunningLoad> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "clickvote-load-"));
  const resultFile = path.join(dir, "result.json");
  const opts = { ...DEFAULT_LOAD, kinds: ["vote", "read"], ...options, resultFile };
  const child = spawn(process.execPath, [RUNNER, JSON.stringify(opts)], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      if (d.toString().includes("started")) resolve();
    });
    void exited.then((code) => reject(new Error(`load-runner.mjs exited (${code}) before it started: ${stderr.slice(-2000)}`)));
  });
  return {
    async stop() {
      child.stdin.end();
      const code = await exited;
      if (code !== 0 || !fs.existsSync(resultFile)) throw new Error(`load-runner.mjs exited with ${code}: ${stderr.slice(-2000)}`);
      const result = JSON.parse(fs.readFileSync(resultFile, "utf8")) as LoadResult;
      fs.rmSync(dir, { recursive: true, force: true });
      return result;
    },
  };
}
