// Migration runner against a real PostgreSQL: fresh, re-run, concurrent, failing.
import net from "node:net";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.js";
import { DEFAULT_MIGRATIONS_DIR, MigrationError, runMigrations } from "../src/migrations.js";
import { APP_DIR, PG_PASSWORD, createDatabase, freePort, runToExit } from "./support/services.js";

const silent = createLogger("silent");
let database: { url: string; drop: () => Promise<void> };
let scratchDir: string;

beforeEach(async () => {
  database = await createDatabase();
  scratchDir = await mkdtemp(path.join(tmpdir(), "clickvote-migrations-"));
});

afterEach(async () => {
  await database.drop();
  await rm(scratchDir, { recursive: true, force: true });
});

async function query<T extends pg.QueryResultRow>(sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function tableNames(): Promise<string[]> {
  const rows = await query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
  return rows.map((row) => row.tablename);
}

describe("migrations", () => {
  it("the default directory resolves to app/migrations from the compiled code too", () => {
    expect(path.resolve(DEFAULT_MIGRATIONS_DIR)).toBe(path.join(APP_DIR, "migrations"));
  });

  it("applies all migrations to a fresh database and records them", async () => {
    const result = await runMigrations(database.url, silent);
    expect(result.applied).toContain("001_init.sql");
    expect(await tableNames()).toEqual(["schema_migrations", "targets", "votes"]);
    const recorded = await query<{ version: number }>("SELECT version FROM schema_migrations");
    expect(recorded.map((row) => row.version)).toContain(1);
  });

  it("is a no-op when run again", async () => {
    await runMigrations(database.url, silent);
    const second = await runMigrations(database.url, silent);
    expect(second.applied).toEqual([]);
    expect(second.alreadyApplied).toBeGreaterThanOrEqual(1);
    const rows = await query<{ count: string }>("SELECT count(*) AS count FROM schema_migrations");
    expect(Number(rows[0]?.count)).toBe(second.alreadyApplied);
  });

  it("two concurrent `node dist/migrate.js` processes both succeed and apply each migration once", async () => {
    const env = { DATABASE_URL: database.url, LOG_LEVEL: "info" };
    const [first, second] = await Promise.all([runToExit("migrate.js", env), runToExit("migrate.js", env)]);
    expect(first.code, first.stderr).toBe(0);
    expect(second.code, second.stderr).toBe(0);
    const rows = await query<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version");
    expect(rows.map((row) => row.version)).toEqual([1]);
    // Exactly one of the two did the work; the other waited on the lock and found nothing to do.
    const appliedCounts = [first.stdout, second.stdout].map((out) => (out.match(/"migration":"001_init.sql"/g) ?? []).length);
    expect(appliedCounts.sort()).toEqual([0, 1]);
    expect(first.stdout + second.stdout).not.toContain(PG_PASSWORD);
  });

  it("many concurrent in-process runs are safe", async () => {
    const results = await Promise.all(Array.from({ length: 5 }, () => runMigrations(database.url, silent)));
    expect(results.flatMap((result) => result.applied)).toEqual(["001_init.sql"]);
  });

  it("a failing migration exits non-zero with a clear message and leaves no partial state", async () => {
    await cp(DEFAULT_MIGRATIONS_DIR, scratchDir, { recursive: true });
    // The first statement would succeed; the second fails, so the table must be rolled back too.
    await writeFile(path.join(scratchDir, "002_broken.sql"), "CREATE TABLE half_done (id int);\nSELECT * FROM table_that_does_not_exist;\n");
    const run = await runToExit("migrate.js", { DATABASE_URL: database.url, MIGRATIONS_DIR: scratchDir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("002_broken.sql");
    expect(run.stderr).toContain("table_that_does_not_exist");
    expect(run.stderr).not.toContain(PG_PASSWORD);
    expect(await tableNames()).not.toContain("half_done");
    const versions = await query<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version");
    expect(versions.map((row) => row.version)).toEqual([1]);
  });

  it("refuses to continue when an applied migration file was edited", async () => {
    await cp(DEFAULT_MIGRATIONS_DIR, scratchDir, { recursive: true });
    await runMigrations(database.url, silent, scratchDir);
    await writeFile(path.join(scratchDir, "001_init.sql"), "-- edited\nSELECT 1;\n");
    await expect(runMigrations(database.url, silent, scratchDir)).rejects.toThrow(/001_init.sql was changed/);
  });

  it("rejects badly named or duplicate-numbered files before touching the database", async () => {
    await writeFile(path.join(scratchDir, "init.sql"), "SELECT 1;");
    await expect(runMigrations(database.url, silent, scratchDir)).rejects.toBeInstanceOf(MigrationError);
    await rm(path.join(scratchDir, "init.sql"));
    await writeFile(path.join(scratchDir, "001_a.sql"), "SELECT 1;");
    await writeFile(path.join(scratchDir, "1_b.sql"), "SELECT 1;");
    await expect(runMigrations(database.url, silent, scratchDir)).rejects.toThrow(/share version 1/);
    expect(await tableNames()).toEqual([]);
  });

  it("exits non-zero with a clear message when the database is unreachable or DATABASE_URL is missing", async () => {
    // Connection refused is retried until the deadline (a path still being set up), then reported.
    const started = Date.now();
    const unreachable = await runToExit("migrate.js", { DATABASE_URL: "postgres://clickvote:sekrit-pw@127.0.0.1:1/db", MIGRATE_DEADLINE_MS: "3000" });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/cannot connect to PostgreSQL \(after [2-9]\d* attempts\): .*ECONNREFUSED/);
    expect(Date.now() - started).toBeLessThan(3_000 + 10_000);
    expect(unreachable.stderr + unreachable.stdout).not.toContain("sekrit-pw");
    const missing = await runToExit("migrate.js", {});
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("DATABASE_URL is required");
  });
});

describe("connecting while the path to PostgreSQL is still being set up", () => {
  it("retries refused connections and migrates once PostgreSQL becomes reachable", async () => {
    // A port that refuses connections for the first second, then forwards to the real server:
    // a new pod whose NetworkPolicy allow or Service endpoint arrives a moment after it starts.
    const target = new URL(database.url);
    const port = await freePort();
    const sockets = new Set<net.Socket>();
    let proxy: net.Server | undefined;
    const opening = setTimeout(() => {
      proxy = net.createServer((inbound) => {
        const outbound = net.connect(Number(target.port), target.hostname);
        for (const s of [inbound, outbound]) {
          sockets.add(s);
          s.on("error", () => undefined);
        }
        inbound.pipe(outbound).pipe(inbound);
      });
      proxy.listen(port, "127.0.0.1");
    }, 1_000);
    try {
      const url = new URL(database.url);
      url.hostname = "127.0.0.1";
      url.port = String(port);
      const warnings: string[] = [];
      const logger = createLogger("warn");
      const warn = logger.warn.bind(logger);
      logger.warn = ((obj: object, msg: string) => {
        warnings.push(msg);
        warn(obj, msg);
      }) as typeof logger.warn;
      const result = await runMigrations(url.toString(), logger, DEFAULT_MIGRATIONS_DIR, { lockTimeoutMs: 1_000, deadlineMs: 20_000 });
      expect(result.applied.length).toBeGreaterThan(0);
      expect(warnings.filter((m) => m.includes("cannot connect to PostgreSQL yet")).length).toBeGreaterThan(0);
    } finally {
      clearTimeout(opening);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => {
        if (!proxy) {
          resolve();
          return;
        }
        proxy.close(() => {
          resolve();
        });
      });
    }
  });

  it("does not retry what a retry cannot fix: a refused password fails at once", async () => {
    const url = new URL(database.url);
    url.password = "not-the-password";
    const started = Date.now();
    await expect(runMigrations(url.toString(), silent, DEFAULT_MIGRATIONS_DIR, { lockTimeoutMs: 1_000, deadlineMs: 20_000 })).rejects.toThrow(
      /cannot connect to PostgreSQL: password authentication failed/,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
