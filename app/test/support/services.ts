// Connection details of the throwaway servers started by scripts/test-services.sh
// (defaults must match that script) and helpers built on them.
import { randomUUID } from "node:crypto";
import { spawn, type ChildProcess } from "node:child_process";
import { connect, createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { createLogger } from "../../src/logger.js";
import { runMigrations } from "../../src/migrations.js";

export const APP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const DIST_DIR = path.join(APP_DIR, "dist");

const env = process.env;
export const PG_PORT = Number(env.CLICKVOTE_TEST_PG_PORT ?? "55432");
export const PG_USER = env.CLICKVOTE_TEST_PG_USER ?? "clickvote";
export const PG_PASSWORD = env.CLICKVOTE_TEST_PG_PASSWORD ?? "cv-test-pg-pw-7f3a9c";
export const REDIS_PORT = Number(env.CLICKVOTE_TEST_REDIS_PORT ?? "56379");
export const REDIS_PASSWORD = env.CLICKVOTE_TEST_REDIS_PASSWORD ?? "cv-test-redis-pw-41d2e8";

export function databaseUrl(database: string): string {
  return `postgres://${PG_USER}:${encodeURIComponent(PG_PASSWORD)}@127.0.0.1:${PG_PORT}/${database}`;
}

export function redisUrl(port: number = REDIS_PORT): string {
  return `redis://:${encodeURIComponent(REDIS_PASSWORD)}@127.0.0.1:${port}/0`;
}

/** Creates an empty database of its own for one test file; returns its URL. */
export async function createDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `cv_test_${randomUUID().replaceAll("-", "")}`;
  const admin = new pg.Client({ connectionString: databaseUrl("postgres") });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    url: databaseUrl(name),
    drop: async () => {
      const dropper = new pg.Client({ connectionString: databaseUrl("postgres") });
      await dropper.connect();
      try {
        await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
}

/** A TCP port that was free a moment ago (bound then released). */
/** A fresh database with every migration applied, as the service expects to find it. */
export async function createMigratedDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const database = await createDatabase();
  await runMigrations(database.url, createLogger("silent"));
  return database;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        reject(new Error("no port"));
        return;
      }
      server.close(() => {
        resolve(address.port);
      });
    });
  });
}

export interface RunningProcess {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
}

/** Spawns `node dist/<entry>` with the given environment, capturing output. */
export function runNode(entry: string, extraEnv: Record<string, string>): RunningProcess {
  const child = spawn(process.execPath, [path.join(DIST_DIR, entry)], {
    cwd: APP_DIR,
    env: { PATH: env.PATH ?? "", ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
  });
  child.stderr.on("data", (chunk: Buffer) => {
    err += chunk.toString("utf8");
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => {
      resolve(code);
    });
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Resolves with Date.now() once the process has printed `text` on stdout; rejects after `timeoutMs` or when it exits first. */
export async function waitForOutput(run: RunningProcess, text: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  // A property, not a local: the callback sets it, which control-flow narrowing cannot see.
  const state = { exited: false };
  void run.exited.then(() => {
    state.exited = true;
  });
  while (!run.stdout().includes(text)) {
    if (state.exited || Date.now() > deadline) throw new Error(`no "${text}" in output: ${run.stdout()} ${run.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Date.now();
}

/** Runs a node entry point to completion. */
export async function runToExit(entry: string, extraEnv: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = runNode(entry, extraEnv);
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/** Starts dist/server.js on a free port and waits until /healthz answers. */
export async function startServer(extraEnv: Record<string, string>): Promise<RunningProcess & { baseUrl: string; port: number }> {
  const port = await freePort();
  const run = runNode("server.js", { PORT: String(port), ...extraEnv });
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  let exitCode: number | null | undefined;
  void run.exited.then((code) => {
    exitCode = code;
  });
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`server exited early (${String(exitCode)}): ${run.stderr()}`);
    try {
      const response = await fetch(`${baseUrl}/healthz`);
      if (response.ok) return { ...run, baseUrl, port };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  run.child.kill("SIGKILL");
  throw new Error(`server did not become healthy: ${run.stderr()}`);
}

/** Reads one sample (sum over label sets matching `labels`) from Prometheus text. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const labelText = match[2] ?? "";
    const matches = Object.entries(labels).every(([key, value]) => labelText.includes(`${key}="${value}"`));
    if (matches) total += Number(match[3]);
  }
  return total;
}

/**
 * A private redis-server on 127.0.0.1:`port` (same password as the shared one) that a test may
 * kill or reconfigure without disturbing other test files; `extraArgs` are appended to its
 * command line (e.g. `--maxmemory-policy noeviction`).
 */
export async function startOwnRedis(port: number, extraArgs: readonly string[] = []): Promise<ChildProcess> {
  const child = spawn(
    "redis-server",
    ["--bind", "127.0.0.1", "--port", String(port), "--requirepass", REDIS_PASSWORD, "--save", "", "--appendonly", "no", "--dir", "/tmp", ...extraArgs],
    { stdio: "ignore" },
  );
  await waitForPort(port);
  return child;
}

/** Kills a child process (SIGKILL) and waits until it is gone. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port. */
export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const accepted = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => {
        resolve(false);
      });
    });
    if (accepted) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listening on port ${port}`);
}
