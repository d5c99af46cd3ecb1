// Reads and validates all runtime configuration from environment variables.
// Error messages name the offending variable but never echo its value, because
// DATABASE_URL and REDIS_URL usually carry passwords.

export type AppMode = "production" | "development";
export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export interface AppConfig {
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly port: number;
  readonly logLevel: LogLevel;
  readonly appMode: AppMode;
  readonly shutdownGraceMs: number;
}

export interface DatabaseConfig {
  readonly databaseUrl: string;
  readonly logLevel: LogLevel;
  readonly appMode: AppMode;
  /** MIGRATE_LOCK_TIMEOUT_MS: longest wait for any one lock, in ms (default 1000). */
  readonly migrationLockTimeoutMs: number;
  /** MIGRATE_DEADLINE_MS: the whole run must finish within this, in ms (default 120000). */
  readonly migrationDeadlineMs: number;
}

export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid configuration: ${problems.join("; ")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];
const APP_MODES: readonly AppMode[] = ["production", "development"];
const DEFAULT_PORT = 8080;
const DEFAULT_SHUTDOWN_GRACE_MS = 20_000;
// Keep in step with DEFAULT_MIGRATION_TIMING in migrations.ts (config stays free of pg imports).
const DEFAULT_MIGRATE_LOCK_TIMEOUT_MS = 1_000;
const DEFAULT_MIGRATE_DEADLINE_MS = 120_000;

function isOneOf<T extends string>(value: string, allowed: readonly T[]): value is T {
  return (allowed as readonly string[]).includes(value);
}

/** Returns the value trimmed, or undefined when unset or blank. */
function readVariable(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined) return undefined;
  const trimmed = raw.trim();
  return trimmed === "" ? undefined : trimmed;
}

function parseUrlVariable(env: Env, name: string, protocols: readonly string[], problems: string[]): string {
  const value = readVariable(env, name);
  if (value === undefined) {
    problems.push(`${name} is required`);
    return "";
  }
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    problems.push(`${name} is not a valid URL`);
    return "";
  }
  if (!protocols.includes(parsed.protocol)) {
    problems.push(`${name} must use one of the schemes ${protocols.map((p) => p.replace(":", "://")).join(", ")}`);
    return "";
  }
  if (parsed.hostname === "") {
    problems.push(`${name} must name a host`);
    return "";
  }
  return value;
}

function parseIntegerVariable(env: Env, name: string, fallback: number, range: { min: number; max: number }, problems: string[]): number {
  const value = readVariable(env, name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) {
    problems.push(`${name} must be a whole number between ${range.min} and ${range.max}`);
    return fallback;
  }
  const parsed = Number(value);
  if (parsed < range.min || parsed > range.max) {
    problems.push(`${name} must be a whole number between ${range.min} and ${range.max}`);
    return fallback;
  }
  return parsed;
}

function parseAppMode(env: Env, problems: string[]): AppMode {
  const value = readVariable(env, "APP_MODE");
  if (value === undefined) return "production";
  if (isOneOf(value, APP_MODES)) return value;
  problems.push(`APP_MODE must be one of ${APP_MODES.join(", ")}`);
  return "production";
}

function parseLogLevel(env: Env, appMode: AppMode, problems: string[]): LogLevel {
  const value = readVariable(env, "LOG_LEVEL");
  // Development defaults to debug logs; an explicit LOG_LEVEL always wins.
  if (value === undefined) return appMode === "development" ? "debug" : "info";
  const lowered = value.toLowerCase();
  if (isOneOf(lowered, LOG_LEVELS)) return lowered;
  problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}`);
  return "info";
}

/** Configuration needed by the migrate entry point (no Redis, no port); throws ConfigError listing every problem found. */
export function loadDatabaseConfig(env: Env): DatabaseConfig {
  const problems: string[] = [];
  const databaseUrl = parseUrlVariable(env, "DATABASE_URL", ["postgres:", "postgresql:"], problems);
  const appMode = parseAppMode(env, problems);
  const logLevel = parseLogLevel(env, appMode, problems);
  const migrationLockTimeoutMs = parseIntegerVariable(env, "MIGRATE_LOCK_TIMEOUT_MS", DEFAULT_MIGRATE_LOCK_TIMEOUT_MS, { min: 1, max: 60_000 }, problems);
  const migrationDeadlineMs = parseIntegerVariable(env, "MIGRATE_DEADLINE_MS", DEFAULT_MIGRATE_DEADLINE_MS, { min: 1_000, max: 86_400_000 }, problems);
  if (problems.length === 0 && migrationLockTimeoutMs >= migrationDeadlineMs) {
    problems.push("MIGRATE_LOCK_TIMEOUT_MS must be smaller than MIGRATE_DEADLINE_MS");
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { databaseUrl, appMode, logLevel, migrationLockTimeoutMs, migrationDeadlineMs };
}

/** Full server configuration; throws ConfigError listing every problem found. */
export function loadConfig(env: Env): AppConfig {
  const problems: string[] = [];
  const databaseUrl = parseUrlVariable(env, "DATABASE_URL", ["postgres:", "postgresql:"], problems);
  const redisUrl = parseUrlVariable(env, "REDIS_URL", ["redis:", "rediss:"], problems);
  const port = parseIntegerVariable(env, "PORT", DEFAULT_PORT, { min: 1, max: 65_535 }, problems);
  const shutdownGraceMs = parseIntegerVariable(env, "SHUTDOWN_GRACE_MS", DEFAULT_SHUTDOWN_GRACE_MS, { min: 1, max: 600_000 }, problems);
  const appMode = parseAppMode(env, problems);
  const logLevel = parseLogLevel(env, appMode, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return { databaseUrl, redisUrl, port, logLevel, appMode, shutdownGraceMs };
}

/** Replaces the password (and user info) of a connection URL so it can be logged. */
export function redactUrl(connectionUrl: string): string {
  try {
    const parsed = new URL(connectionUrl);
    if (parsed.password !== "") parsed.password = "REDACTED";
    return parsed.toString();
  } catch {
    return "[unparseable url]";
  }
}
