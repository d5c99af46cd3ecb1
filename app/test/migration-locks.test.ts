// Migrations against a real PostgreSQL while other sessions hold conflicting locks: they wait at
// most lock_timeout per attempt, retry until their deadline, and never stall traffic for long.
import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_MIGRATION_TIMING, DEFAULT_MIGRATIONS_DIR, MIGRATION_LOCK_KEY, runMigrations } from "../src/migrations.js";
import { createTestApp, type TestApp } from "./support/app.js";
import { createMigratedDatabase, redisUrl, runNode, waitForOutput } from "./support/services.js";

const ALTER_FILE = "002_add_vote_note.sql";

let database: { url: string; drop: () => Promise<void> };
let scratchDir: string;
let testApp: TestApp;
let blocker: pg.Client;

beforeEach(async () => {
  database = await createMigratedDatabase();
  scratchDir = await mkdtemp(path.join(tmpdir(), "clickvote-lock-migrations-"));
  await cp(DEFAULT_MIGRATIONS_DIR, scratchDir, { recursive: true });
  await writeFile(path.join(scratchDir, ALTER_FILE), "ALTER TABLE votes ADD COLUMN note text;\n");
  // Development mode so that ?cache=bypass makes every read query the votes table.
  testApp = await createTestApp({ databaseUrl: database.url, redisUrl: redisUrl(), appMode: "development" });
  blocker = new pg.Client({ connectionString: database.url, application_name: "long-transaction" });
  await blocker.connect();
});

afterEach(async () => {
  await blocker.end().catch(() => undefined);
  await testApp.close();
  await database.drop();
  await rm(scratchDir, { recursive: true, force: true });
});

async function query<T extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

async function appliedVersions(): Promise<number[]> {
  return (await query<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version")).map((row) => row.version);
}

async function noteColumnExists(): Promise<boolean> {
  const rows = await query("SELECT 1 FROM information_schema.columns WHERE table_name = 'votes' AND column_name = 'note'");
  return rows.length === 1;
}

/** The case from the report: a long transaction that has read `votes` (ACCESS SHARE) and stays open. */
async function holdAccessShareOnVotes(): Promise<void> {
  await blocker.query("BEGIN");
  await blocker.query("SELECT 1 FROM votes LIMIT 1");
}

interface Timed {
  status: number;
  ms: number;
}

/** Reads (uncached) and votes in `loops` sequential loops until `stop()` returns true. */
async function trafficUntil(targetId: string, loops: number, stop: () => boolean): Promise<Timed[]> {
  const results: Timed[] = [];
  async function loop(): Promise<void> {
    while (!stop()) {
      for (const request of [
        { method: "GET" as const, url: `/api/targets/${targetId}/counts?cache=bypass` },
        { method: "PUT" as const, url: `/api/targets/${targetId}/votes/${randomUUID()}`, payload: { value: "up" } },
      ]) {
        const started = Date.now();
        const response = await testApp.app.inject(request);
        results.push({ status: response.statusCode, ms: Date.now() - started });
      }
    }
  }
  await Promise.all(Array.from({ length: loops }, loop));
  return results;
}

function retryLines(stdout: string): number {
  return (stdout.match(/lock_not_available: rolled back, retrying/g) ?? []).length;
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("a migration waiting for a lock held by a long transaction", () => {
  it("retries with a short lock_timeout while reads and votes keep answering fast, then succeeds once the blocker commits", async () => {
    const targetId = (await testApp.app.inject({ method: "POST", url: "/api/targets", payload: { name: "busy" } })).json<{ id: string }>().id;
    await holdAccessShareOnVotes();
    // Default MIGRATE_LOCK_TIMEOUT_MS (1 s) and MIGRATE_DEADLINE_MS (2 min).
    const migrate = runNode("migrate.js", { DATABASE_URL: database.url, MIGRATIONS_DIR: scratchDir, LOG_LEVEL: "info" });
    let exitCode: number | null | undefined;
    void migrate.exited.then((code) => {
      exitCode = code;
    });

    // Traffic while the migration keeps retrying.
    const trafficStarted = Date.now();
    const results = await trafficUntil(targetId, 2, () => Date.now() - trafficStarted > 5_000);
    expect(exitCode).toBeUndefined();
    expect(retryLines(migrate.stdout())).toBeGreaterThanOrEqual(2);
    expect(results.every((result) => result.status === 200 || result.status === 201)).toBe(true);
    const slowest = Math.max(...results.map((result) => result.ms));
    // Requests did queue behind the waiting ALTER TABLE (so the bound below means something) ...
    expect(slowest).toBeGreaterThan(DEFAULT_MIGRATION_TIMING.lockTimeoutMs / 2);
    // ... but never for much longer than lock_timeout.
    expect(slowest).toBeLessThan(DEFAULT_MIGRATION_TIMING.lockTimeoutMs + 500);
    expect(await noteColumnExists()).toBe(false);

    await blocker.query("COMMIT");
    const code = await migrate.exited;
    expect(code, migrate.stderr()).toBe(0);
    expect(await appliedVersions()).toEqual([1, 2]);
    expect(await noteColumnExists()).toBe(true);
    const counts = await testApp.app.inject({ method: "GET", url: `/api/targets/${targetId}/counts?cache=bypass` });
    expect(counts.json<{ up: number }>().up).toBe(results.filter((result) => result.status === 201).length);
    console.info(`lock wait: ${results.length} requests while migrating, slowest ${slowest} ms, ${retryLines(migrate.stdout())} retries`);
  }, 60_000);

  it("gives up at MIGRATE_DEADLINE_MS with a message naming lock_timeout, applying nothing", async () => {
    await holdAccessShareOnVotes();
    const migrate = runNode("migrate.js", {
      DATABASE_URL: database.url,
      MIGRATIONS_DIR: scratchDir,
      MIGRATE_DEADLINE_MS: "4000",
      MIGRATE_LOCK_TIMEOUT_MS: "500",
    });
    // The deadline counts from the start of the run, not from process start-up.
    const started = await waitForOutput(migrate, '"msg":"running migrations"', 20_000);
    const code = await migrate.exited;
    const elapsed = Date.now() - started;
    expect(code).toBe(1);
    expect(elapsed).toBeLessThan(4_000 + 3_000);
    const stderr = migrate.stderr();
    expect(stderr).toContain(`migration ${ALTER_FILE}`);
    expect(stderr).toContain("within lock_timeout (MIGRATE_LOCK_TIMEOUT_MS=500 ms)");
    expect(stderr).toContain("before the deadline (MIGRATE_DEADLINE_MS=4000 ms)");
    expect(stderr).toContain("55P03");
    expect(await appliedVersions()).toEqual([1]);
    expect(await noteColumnExists()).toBe(false);
    // The blocker never noticed, and traffic still flows.
    await blocker.query("COMMIT");
    expect((await testApp.app.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(200);
  }, 30_000);
});

describe("the other lock waits of a run", () => {
  /** A pino logger that keeps its JSON lines in memory. */
  function capturingLogger(): { logger: pino.Logger; lines: () => { msg: string; step?: string }[] } {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk.toString("utf8"));
        done();
      },
    });
    const logger = pino({ level: "warn" }, stream);
    return {
      logger,
      lines: () =>
        chunks
          .join("")
          .split("\n")
          .filter((line) => line !== "")
          .map((line) => JSON.parse(line) as { msg: string; step?: string }),
    };
  }

  it("waits for another run holding the migration lock, retrying, and proceeds once it is released", async () => {
    await blocker.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    const { logger, lines } = capturingLogger();
    const run = runMigrations(database.url, logger, scratchDir, { lockTimeoutMs: 200, deadlineMs: 20_000 });
    await waitFor(() => lines().length >= 2, 10_000);
    expect(lines().every((line) => line.step === "creating schema_migrations")).toBe(true);
    await blocker.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
    expect((await run).applied).toEqual([ALTER_FILE]);
  });

  it("names the migration lock when another run holds it past the deadline", async () => {
    await blocker.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    const { logger } = capturingLogger();
    await expect(runMigrations(database.url, logger, scratchDir, { lockTimeoutMs: 200, deadlineMs: 1_500 })).rejects.toThrow(
      /creating schema_migrations: could not get the migration lock \(another migrate run holds it\) within lock_timeout/,
    );
    expect(await appliedVersions()).toEqual([1]);
  });

  it("cancels a statement still running at the deadline (statement_timeout) and rolls the file back", async () => {
    await writeFile(path.join(scratchDir, ALTER_FILE), "ALTER TABLE votes ADD COLUMN note text;\nSELECT pg_sleep(30);\n");
    const { logger } = capturingLogger();
    const started = Date.now();
    await expect(runMigrations(database.url, logger, scratchDir, { lockTimeoutMs: 1_000, deadlineMs: 2_000 })).rejects.toThrow(
      `migration ${ALTER_FILE} was cancelled at the deadline (MIGRATE_DEADLINE_MS=2000 ms) and rolled back`,
    );
    expect(Date.now() - started).toBeLessThan(2_000 + 1_000);
    expect(await appliedVersions()).toEqual([1]);
    expect(await noteColumnExists()).toBe(false);
  });

  it("retries the bookkeeping step while schema_migrations itself is locked", async () => {
    await blocker.query("BEGIN");
    await blocker.query("LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE");
    const { logger, lines } = capturingLogger();
    const run = runMigrations(database.url, logger, scratchDir, { lockTimeoutMs: 200, deadlineMs: 20_000 });
    await waitFor(() => lines().length >= 2, 10_000);
    expect(lines()[0]).toMatchObject({ step: "creating schema_migrations", waitingFor: "its table locks" });
    await blocker.query("COMMIT");
    expect((await run).applied).toEqual([ALTER_FILE]);
    expect(await appliedVersions()).toEqual([1, 2]);
  });
});
