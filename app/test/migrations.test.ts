// Migration runner against a real PostgreSQL: fresh, re-run, concurrent, failing.
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.js";
import { DEFAULT_MIGRATIONS_DIR, MigrationError, runMigrations } from "../src/migrations.js";
import { APP_DIR, PG_PASSWORD, createDatabase, runToExit } from "./support/services.js";

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
    const unreachable = await runToExit("migrate.js", { DATABASE_URL: "postgres://clickvote:sekrit-pw@127.0.0.1:1/db" });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain("cannot connect to PostgreSQL");
    expect(unreachable.stderr + unreachable.stdout).not.toContain("sekrit-pw");
    const missing = await runToExit("migrate.js", {});
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("DATABASE_URL is required");
  });
});
