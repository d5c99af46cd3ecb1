// Environment validation, both as a function and through the real entry point.
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, loadDatabaseConfig, redactUrl } from "../src/config.js";
import { DEFAULT_MIGRATION_TIMING } from "../src/migrations.js";
import { runToExit } from "./support/services.js";

const valid = {
  DATABASE_URL: "postgres://app:db-secret-1@db:5432/clickvote",
  REDIS_URL: "redis://:redis-secret-2@cache:6379/0",
};

function problemsFor(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe("loadConfig", () => {
  it("applies documented defaults", () => {
    expect(loadConfig(valid)).toEqual({
      ...{ databaseUrl: valid.DATABASE_URL, redisUrl: valid.REDIS_URL },
      port: 8080,
      logLevel: "info",
      appMode: "production",
      shutdownGraceMs: 20_000,
    });
  });

  it("development mode defaults to debug logs, but LOG_LEVEL wins", () => {
    expect(loadConfig({ ...valid, APP_MODE: "development" }).logLevel).toBe("debug");
    expect(loadConfig({ ...valid, APP_MODE: "development", LOG_LEVEL: "warn" }).logLevel).toBe("warn");
  });

  it.each([
    [{ DATABASE_URL: "" }, "DATABASE_URL is required"],
    [{ DATABASE_URL: "mysql://u:p@h/db" }, "DATABASE_URL must use one of the schemes"],
    [{ DATABASE_URL: "not a url" }, "DATABASE_URL is not a valid URL"],
    [{ REDIS_URL: "http://cache:6379" }, "REDIS_URL must use one of the schemes"],
    [{ PORT: "80a" }, "PORT must be a whole number"],
    [{ PORT: "70000" }, "PORT must be a whole number"],
    [{ PORT: "0" }, "PORT must be a whole number"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL must be one of"],
    [{ APP_MODE: "staging" }, "APP_MODE must be one of"],
    [{ SHUTDOWN_GRACE_MS: "-5" }, "SHUTDOWN_GRACE_MS must be a whole number"],
  ])("rejects %o", (override, expected) => {
    const problems = problemsFor({ ...valid, ...override });
    expect(problems.some((problem) => problem.startsWith(expected))).toBe(true);
  });

  it("never includes a value (and so never a password) in its messages", () => {
    const problems = problemsFor({ DATABASE_URL: "mysql://u:db-secret-1@h/db", REDIS_URL: "ftp://:redis-secret-2@h" });
    expect(problems).toHaveLength(2);
    expect(problems.join(" ")).not.toMatch(/secret/);
  });

  it("redactUrl hides passwords but keeps host and database", () => {
    const redacted = redactUrl(valid.DATABASE_URL);
    expect(redacted).not.toContain("db-secret-1");
    expect(redacted).toContain("db:5432/clickvote");
    expect(redactUrl("%%%")).toBe("[unparseable url]");
  });
});

describe("loadDatabaseConfig (migrate entry point)", () => {
  function databaseProblemsFor(env: Record<string, string>): string[] {
    try {
      loadDatabaseConfig(env);
    } catch (error) {
      if (error instanceof ConfigError) return [...error.problems];
      throw error;
    }
    return [];
  }

  it("applies the documented defaults, which are the migration runner's defaults", () => {
    expect(loadDatabaseConfig({ DATABASE_URL: valid.DATABASE_URL })).toEqual({
      databaseUrl: valid.DATABASE_URL,
      logLevel: "info",
      appMode: "production",
      migrationLockTimeoutMs: 1_000,
      migrationDeadlineMs: 120_000,
    });
    expect(DEFAULT_MIGRATION_TIMING).toEqual({ lockTimeoutMs: 1_000, deadlineMs: 120_000 });
  });

  it("reads MIGRATE_LOCK_TIMEOUT_MS and MIGRATE_DEADLINE_MS", () => {
    const config = loadDatabaseConfig({ DATABASE_URL: valid.DATABASE_URL, MIGRATE_LOCK_TIMEOUT_MS: "250", MIGRATE_DEADLINE_MS: "240000" });
    expect(config).toMatchObject({ migrationLockTimeoutMs: 250, migrationDeadlineMs: 240_000 });
  });

  it.each([
    [{ MIGRATE_LOCK_TIMEOUT_MS: "0" }, "MIGRATE_LOCK_TIMEOUT_MS must be a whole number between 1 and 60000"],
    [{ MIGRATE_LOCK_TIMEOUT_MS: "1s" }, "MIGRATE_LOCK_TIMEOUT_MS must be a whole number between 1 and 60000"],
    [{ MIGRATE_LOCK_TIMEOUT_MS: "60001" }, "MIGRATE_LOCK_TIMEOUT_MS must be a whole number between 1 and 60000"],
    [{ MIGRATE_DEADLINE_MS: "999" }, "MIGRATE_DEADLINE_MS must be a whole number between 1000 and 86400000"],
    [{ MIGRATE_DEADLINE_MS: "-5" }, "MIGRATE_DEADLINE_MS must be a whole number between 1000 and 86400000"],
    [{ MIGRATE_LOCK_TIMEOUT_MS: "5000", MIGRATE_DEADLINE_MS: "5000" }, "MIGRATE_LOCK_TIMEOUT_MS must be smaller than MIGRATE_DEADLINE_MS"],
  ])("rejects %o", (override, expected) => {
    expect(databaseProblemsFor({ DATABASE_URL: valid.DATABASE_URL, ...override })).toEqual([expected]);
  });

  it("the migrate entry point exits non-zero naming the bad variable", async () => {
    const run = await runToExit("migrate.js", { DATABASE_URL: valid.DATABASE_URL, MIGRATE_DEADLINE_MS: "soon" });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("clickvote migrate: invalid configuration: MIGRATE_DEADLINE_MS must be a whole number");
    expect(run.stderr + run.stdout).not.toContain("db-secret-1");
  });
});

describe("server entry point with invalid environment", () => {
  it("exits non-zero naming every bad variable without printing the password", async () => {
    const run = await runToExit("server.js", {
      DATABASE_URL: "mysql://app:db-secret-1@db/clickvote",
      PORT: "eighty",
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("DATABASE_URL must use one of the schemes");
    expect(run.stderr).toContain("REDIS_URL is required");
    expect(run.stderr).toContain("PORT must be a whole number");
    expect(run.stderr + run.stdout).not.toContain("db-secret-1");
  });
});
