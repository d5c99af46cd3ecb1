// Entry point: `node dist/migrate.js`. Applies pending migrations and exits;
// 0 on success (including "nothing to do"), 1 on any failure.
import { ConfigError, loadDatabaseConfig } from "./config.js";
import { createLogger } from "./logger.js";
import { DEFAULT_MIGRATIONS_DIR, runMigrations } from "./migrations.js";

async function main(): Promise<number> {
  let config;
  try {
    config = loadDatabaseConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`clickvote migrate: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const logger = createLogger(config.logLevel, "clickvote-migrate");
  // MIGRATIONS_DIR is an optional override (tests, ad-hoc runs); the image uses the default.
  const directory = process.env.MIGRATIONS_DIR?.trim() || DEFAULT_MIGRATIONS_DIR;
  logger.info({ lockTimeoutMs: config.migrationLockTimeoutMs, deadlineMs: config.migrationDeadlineMs, directory }, "running migrations");
  try {
    const result = await runMigrations(config.databaseUrl, logger, directory, {
      lockTimeoutMs: config.migrationLockTimeoutMs,
      deadlineMs: config.migrationDeadlineMs,
    });
    logger.info({ applied: result.applied, alreadyApplied: result.alreadyApplied }, "migrations complete");
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    logger.error({ err: { message } }, "migrations failed");
    process.stderr.write(`clickvote migrate: ${message}\n`);
    return 1;
  }
}

process.exitCode = await main();
