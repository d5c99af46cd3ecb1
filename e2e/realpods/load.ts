// Continuous load against the app for the real-node tests: vegeta (github.com/tsenart/vegeta, built
// by e2e/realpods/toolchain.sh) driven by load-runner.mjs in a process of its own, so the requests go
// on whatever the test process does meanwhile. The test process used to run fetch workers itself
// while `spawnSync` ran a deploy: the event loop was blocked for the whole rollout and no request
// was sent during it.
//
// Why vegeta: it starts each request on its schedule, at a constant rate whatever the answers, and
// times it from then, so a request that waits for its busy connection has the wait in its latency
// (no coordinated omission; the server still sees at most one request per connection), and it
// uses Go's net/http client, which honours `Connection: close` (it never sends another request
// on such a connection) and reports every request with its status code or its error. autocannon
// 9.0.0, used before, did neither: it sent its next request on a connection the server closed after
// answering with `Connection: close`, and dropped without a count the requests in flight when the
// server closed a connection, which the runner had to count through two autocannon internals.
//
// What a failed request means here is what a standard HTTP client sees. When the server closes a
// kept-alive connection that Go's client reused, before any answer, the client sends the request
// again (on another connection) if it is a GET (or HEAD, OPTIONS, TRACE), or if none of it had been
// written yet (vegeta's request bodies can be rewound); a vote (PUT) that was sent on such a
// connection is not sent again: it counts as an error (`lost`). A request on a new connection is
// never sent again. (Go's net/http: transport.go shouldRetryRequest, request.go isReplayable.)
import { execFileSync, spawn } from "node:child_process";
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
  /**
   * keep-alive connections, one a pool (load-runner.mjs): the requests go to them in turn, and one
   * whose connection is busy waits for it; the wait is part of its latency and of its timeout
   */
  connections?: number;
  /** requests per second over all connections, sent at this constant rate whatever the answers (vegeta -rate) */
  overallRate?: number;
  /** a request without an answer after this long is a timeout (counted as an error) */
  timeoutSeconds?: number;
  /** the vegeta binary; by default findVegeta() */
  vegeta?: string;
}

export interface KindCounts {
  ok: number;
  non2xx: number;
  /** requests of this kind without an answer (connection errors, timeouts) */
  errors: number;
  statuses: Record<string, number>;
}

/** What load-runner.mjs writes. Latencies in ms. */
export interface LoadResult {
  /** from the start to the stop, or to the last answer after it when later */
  seconds: number;
  /** answered requests (2xx + non-2xx) */
  requests: number;
  /** every request sent: answered or an error */
  sent: number;
  ok: number;
  non2xx: number;
  /** requests without an answer: connection errors, timeouts, lost requests */
  errors: number;
  timeouts: number;
  /** requests whose connection the server closed before its answer (and that Go's client did not retry) */
  lost: number;
  /** requests whose connection was reset */
  resets: number;
  /** answered requests per second */
  reqPerSec: number;
  /** of the answered requests, to 0.1 ms */
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
    .filter((k) => r.kinds[k].ok + r.kinds[k].non2xx + r.kinds[k].errors > 0)
    .map((k) => `${k}s ${r.kinds[k].ok} 2xx/${r.kinds[k].non2xx} non-2xx${r.kinds[k].errors ? `/${r.kinds[k].errors} errors` : ""}`)
    .join(", ");
  return (
    `${r.requests + r.errors} requests in ${r.seconds.toFixed(1)} s, ${r.ok} 2xx, ${r.non2xx} non-2xx, ${r.errors} errors (${r.timeouts} timeouts, ${r.resets} resets, ${r.lost} lost on a closed connection, ${r.errors - r.timeouts - r.resets - r.lost} other), failed ${failed(r)}; ` +
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

/**
 * The vegeta binary: $CLICKVOTE_VEGETA when set, else the realpods bin directory (the
 * $CLICKVOTE_REALPODS_BIN that setup.sh exports, else the one `toolchain.sh --print` names), else
 * `vegeta` on PATH. Without one, the reason, naming the script that builds it.
 */
export function findVegeta(env: NodeJS.ProcessEnv = process.env): { path: string } | { reason: string } {
  const executable = (file: string) => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  };
  const build = "e2e/realpods/toolchain.sh builds it (E2E_RP_PACKAGES=0 E2E_RP_ONLY=vegeta e2e/realpods/toolchain.sh: vegeta alone)";
  if (env.CLICKVOTE_VEGETA) {
    return executable(env.CLICKVOTE_VEGETA) ? { path: env.CLICKVOTE_VEGETA } : { reason: `CLICKVOTE_VEGETA=${env.CLICKVOTE_VEGETA} is not an executable file` };
  }
  let binDir = env.CLICKVOTE_REALPODS_BIN;
  if (!binDir) {
    try {
      binDir = execFileSync("bash", [path.join(__dirname, "toolchain.sh"), "--print"], { encoding: "utf8", env, stdio: ["ignore", "pipe", "ignore"] }).trim();
    } catch {
      binDir = undefined;
    }
  }
  const tried: string[] = [];
  if (binDir) {
    if (executable(path.join(binDir, "vegeta"))) return { path: path.join(binDir, "vegeta") };
    tried.push(path.join(binDir, "vegeta"));
  }
  for (const dir of (env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
    if (executable(path.join(dir, "vegeta"))) return { path: path.join(dir, "vegeta") };
  }
  tried.push("vegeta on PATH");
  return { reason: `vegeta not found (${tried.join(", ")}); ${build}` };
}

/** Starts load-runner.mjs and resolves once its first request has ended (answered or not). */
export async function startLoad(options: LoadOptions): Promise<RunningLoad> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "clickvote-load-"));
  const resultFile = path.join(dir, "result.json");
  const found = options.vegeta ? { path: options.vegeta } : findVegeta();
  const opts = {
    ...DEFAULT_LOAD,
    kinds: ["vote", "read"],
    ...options,
    resultFile,
    vegeta: "path" in found ? found.path : undefined,
    vegetaReason: "reason" in found ? found.reason : undefined,
  };
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
