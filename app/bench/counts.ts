// Benchmark: reading vote counts with a warm Redis cache versus straight from
// PostgreSQL. Runs the real compiled server against the loopback test services.
// Usage: npm run bench   (env BENCH_DURATION_S, BENCH_CONCURRENCY to tune)
// Run directly by Node 24 (type stripping), so only erasable TypeScript is used.
import { execFileSync, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import http from "node:http";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

const APP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const PG_PORT = process.env.CLICKVOTE_TEST_PG_PORT ?? "55432";
const PG_USER = process.env.CLICKVOTE_TEST_PG_USER ?? "clickvote";
const PG_PASSWORD = process.env.CLICKVOTE_TEST_PG_PASSWORD ?? "cv-test-pg-pw-7f3a9c";
const REDIS_PORT = process.env.CLICKVOTE_TEST_REDIS_PORT ?? "56379";
const REDIS_PASSWORD = process.env.CLICKVOTE_TEST_REDIS_PASSWORD ?? "cv-test-redis-pw-41d2e8";
const DURATION_MS = Number(process.env.BENCH_DURATION_S ?? "5") * 1000;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? "16");
const VOTES_PER_TARGET = 500;

interface RunResult {
  label: string;
  requests: number;
  errors: number;
  seconds: number;
  p50: number;
  p99: number;
  cacheHeaders: Record<string, number>;
}

function pgUrl(database: string): string {
  return `postgres://${PG_USER}:${encodeURIComponent(PG_PASSWORD)}@127.0.0.1:${PG_PORT}/${database}`;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = address !== null && typeof address === "object" ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function send(port: number, method: string, urlPath: string, body?: unknown): Promise<{ status: number; text: string; cache: string | undefined }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const request = http.request(
      {
        host: "127.0.0.1",
        port,
        method,
        path: urlPath,
        agent,
        headers: payload === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
      },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          text += chunk;
        });
        response.on("end", () => {
          const cacheHeader = response.headers["x-cache"];
          resolve({ status: response.statusCode ?? 0, text, cache: typeof cacheHeader === "string" ? cacheHeader : undefined });
        });
      },
    );
    request.on("error", reject);
    request.end(payload);
  });
}

function percentile(sortedMs: number[], fraction: number): number {
  if (sortedMs.length === 0) return Number.NaN;
  const index = Math.min(sortedMs.length - 1, Math.ceil(fraction * sortedMs.length) - 1);
  return sortedMs[Math.max(0, index)] ?? Number.NaN;
}

async function measure(label: string, port: number, urlPath: string): Promise<RunResult> {
  const latencies: number[] = [];
  const cacheHeaders: Record<string, number> = {};
  let errors = 0;
  const started = performance.now();
  const deadline = started + DURATION_MS;
  async function worker(): Promise<void> {
    while (performance.now() < deadline) {
      const before = performance.now();
      try {
        const response = await send(port, "GET", urlPath);
        if (response.status !== 200) errors += 1;
        const header = response.cache ?? "none";
        cacheHeaders[header] = (cacheHeaders[header] ?? 0) + 1;
      } catch {
        errors += 1;
      }
      latencies.push(performance.now() - before);
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, () => worker()));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { label, requests: latencies.length, errors, seconds, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), cacheHeaders };
}

const SERVICES_SCRIPT = path.join(APP_DIR, "scripts", "test-services.sh");

function servicesRunning(): boolean {
  try {
    execFileSync("bash", [SERVICES_SCRIPT, "status"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  // Leave servers that were already running alone; stop the ones started here.
  const startedHere = !servicesRunning();
  if (startedHere) execFileSync("bash", [SERVICES_SCRIPT, "start"], { stdio: "inherit" });
  try {
    await runBenchmark();
  } finally {
    if (startedHere) execFileSync("bash", [SERVICES_SCRIPT, "stop"], { stdio: "inherit" });
  }
}

async function runBenchmark(): Promise<void> {
  const database = `cv_bench_${randomUUID().replaceAll("-", "")}`;
  const admin = new pg.Client({ connectionString: pgUrl("postgres") });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const env = {
    PATH: process.env.PATH ?? "",
    DATABASE_URL: pgUrl(database),
    REDIS_URL: `redis://:${encodeURIComponent(REDIS_PASSWORD)}@127.0.0.1:${REDIS_PORT}/0`,
    // Development mode enables ?cache=bypass; warn level keeps logging out of the measurement.
    APP_MODE: "development",
    LOG_LEVEL: "warn",
  };
  execFileSync(process.execPath, [path.join(APP_DIR, "dist", "migrate.js")], { env, stdio: "inherit" });
  const port = await freePort();
  const server = spawn(process.execPath, [path.join(APP_DIR, "dist", "server.js")], {
    env: { ...env, PORT: String(port) },
    stdio: ["ignore", "ignore", "inherit"],
  });
  try {
    for (let attempt = 0; ; attempt += 1) {
      try {
        if ((await send(port, "GET", "/readyz")).status === 200) break;
      } catch {
        // not listening yet
      }
      if (attempt > 100) throw new Error("server did not become ready");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const created = await send(port, "POST", "/api/targets", { name: "bench target" });
    const targetId = (JSON.parse(created.text) as { id: string }).id;
    for (let index = 0; index < VOTES_PER_TARGET; index += 1) {
      await send(port, "PUT", `/api/targets/${targetId}/votes/${randomUUID()}`, { value: index % 3 === 0 ? "down" : "up" });
    }
    const countsPath = `/api/targets/${targetId}/counts`;
    await send(port, "GET", countsPath); // warm the cache
    await measure("warm-up", port, countsPath);
    const results = [await measure("warm Redis cache", port, countsPath), await measure("PostgreSQL (cache bypassed)", port, `${countsPath}?cache=bypass`)];
    console.log(
      `\nGET /api/targets/:id/counts — ${VOTES_PER_TARGET} votes on the target, concurrency ${CONCURRENCY}, ${DURATION_MS / 1000}s per run, node ${process.version}, loopback`,
    );
    console.log("scenario                      req/s     p50 ms   p99 ms   requests  errors  X-Cache");
    for (const result of results) {
      console.log(
        `${result.label.padEnd(28)} ${(result.requests / result.seconds).toFixed(0).padStart(7)}  ${result.p50.toFixed(2).padStart(8)} ${result.p99.toFixed(2).padStart(8)} ${String(result.requests).padStart(10)} ${String(result.errors).padStart(7)}  ${JSON.stringify(result.cacheHeaders)}`,
      );
    }
  } finally {
    server.kill("SIGTERM");
    await new Promise((resolve) => server.once("exit", resolve));
    agent.destroy();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
}

await main();
