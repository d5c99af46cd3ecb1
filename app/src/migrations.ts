// Applies numbered SQL files (NNN_description.sql) in order. Every step is one transaction that
// first takes a transaction-level advisory lock, so concurrent runners (two Jobs, init
// containers) serialise: the second waits, then finds everything applied and does nothing.
// Locks are never waited for longer than lock_timeout: a step that cannot get its locks rolls
// back and is retried with backoff until the run's deadline, so application traffic never
// queues behind a waiting migration for longer than lock_timeout.
import { createHash } from "node:crypto";
import { readFile, readdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import path from "node:path";
import pg from "pg";
import type { Logger } from "./logger.js";

/** Arbitrary constant identifying "clickvote schema migrations" among advisory locks. */
export const MIGRATION_LOCK_KEY = 727_115_001;

/** migrations/ sits next to dist/ both in the repository and in the container image. */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL("../migrations/", import.meta.url));

const MIGRATION_FILE_PATTERN = /^(\d+)_([A-Za-z0-9_-]+)\.sql$/;

export interface MigrationFile {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

export interface MigrationResult {
  readonly applied: readonly string[];
  readonly alreadyApplied: number;
}

/** How long a run may wait, in milliseconds. */
export interface MigrationTiming {
  /** lock_timeout of every statement: the longest any lock wait (and so any queue of traffic behind it) may last. */
  readonly lockTimeoutMs: number;
  /** The whole run (connecting, lock retries, every statement) must finish within this, from its start. */
  readonly deadlineMs: number;
}

/** Defaults of MIGRATE_LOCK_TIMEOUT_MS (1 s) and MIGRATE_DEADLINE_MS (2 min, below the Job's 300 s activeDeadlineSeconds). */
export const DEFAULT_MIGRATION_TIMING: MigrationTiming = { lockTimeoutMs: 1_000, deadlineMs: 120_000 };

/** First retry delay after a lock wait timed out; it doubles per attempt (with jitter) up to the maximum. */
export const RETRY_BASE_DELAY_MS = 250;
export const RETRY_MAX_DELAY_MS = 5_000;
/**
 * Client-side grace beyond the deadline: the server cancels a statement at the deadline
 * (statement_timeout), the client gives up waiting for an answer this much later, which only
 * happens when the connection is dead or frozen.
 */
export const CLIENT_GRACE_MS = 2_000;
/**
 * The server ends a migration session idle inside a transaction this long (its runner froze or
 * vanished), releasing its locks. Below the server pool's statement timeout, so traffic queued
 * behind such a session is delayed, not failed.
 */
export const IDLE_IN_TRANSACTION_TIMEOUT_MS = 3_000;
const CONNECT_TIMEOUT_MS = 10_000;
const KEEPALIVE_INITIAL_DELAY_MS = 5_000;

// A step that failed with one of these wrote nothing and may succeed when tried again.
const RETRYABLE_SQLSTATES: Readonly<Record<string, string>> = {
  "55P03": "lock_not_available",
  "40P01": "deadlock_detected",
  "40001": "serialization_failure",
};

export class MigrationError extends Error {
  constructor(message: string, options?: { cause: unknown }) {
    super(message, options);
    this.name = "MigrationError";
  }
}

export async function readMigrationFiles(directory: string): Promise<MigrationFile[]> {
  let entries: string[];
  try {
    entries = await readdir(directory);
  } catch (error) {
    throw new MigrationError(`cannot read migrations directory ${directory}`, { cause: error });
  }
  const files: MigrationFile[] = [];
  const seenVersions = new Map<number, string>();
  for (const entry of entries.sort()) {
    if (!entry.endsWith(".sql")) continue;
    const match = MIGRATION_FILE_PATTERN.exec(entry);
    if (match === null) throw new MigrationError(`migration file ${entry} does not match NNN_name.sql`);
    const version = Number(match[1]);
    const clash = seenVersions.get(version);
    if (clash !== undefined) throw new MigrationError(`migrations ${clash} and ${entry} share version ${version}`);
    seenVersions.set(version, entry);
    const sql = await readFile(path.join(directory, entry), "utf8");
    files.push({ version, name: entry, sql, checksum: createHash("sha256").update(sql).digest("hex") });
  }
  return files.sort((a, b) => a.version - b.version);
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sqlState(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  return typeof error.code === "string" ? error.code : undefined;
}

/**
 * Network errors a connection attempt may meet while the path to PostgreSQL is still being set
 * up: its Service has no ready endpoint yet, or the NetworkPolicy implementation has not yet
 * programmed this new pod's address (measured on a real node: connection refused for the first
 * seconds of a pod's life). Authentication and other server answers are not among them.
 */
export const RETRYABLE_CONNECT_ERRORS: readonly string[] = ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "ENOTFOUND"];

function connectErrorCode(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "string") return error.code;
  // pg reports its own connectionTimeoutMillis as a plain Error.
  return error instanceof Error && /timeout/i.test(error.message) ? "ETIMEDOUT" : undefined;
}

/** What connectWithRetry needs of a client: pg.Client, or a test double. */
export interface Connectable {
  connect(): Promise<unknown>;
  end(): Promise<unknown>;
}

/**
 * Connects a fresh client (a pg.Client cannot connect twice), retrying the network errors of
 * RETRYABLE_CONNECT_ERRORS with the same backoff as lock waits until `deadline` (epoch ms).
 * Throws a MigrationError naming the attempts and the last error otherwise.
 */
export async function connectWithRetry<C extends Connectable>(create: () => C, logger: Logger, deadline: number): Promise<C> {
  for (let attempt = 1; ; attempt++) {
    const client = create();
    try {
      await client.connect();
      if (attempt > 1) logger.info({ attempt }, "connected to PostgreSQL");
      return client;
    } catch (error) {
      await client.end().catch(() => undefined);
      const code = connectErrorCode(error);
      const delay = retryDelayMs(attempt);
      if (code === undefined || !RETRYABLE_CONNECT_ERRORS.includes(code) || Date.now() + delay >= deadline) {
        const tries = attempt === 1 ? "" : ` (after ${attempt} attempts)`;
        throw new MigrationError(`cannot connect to PostgreSQL${tries}: ${describe(error)}`, { cause: error });
      }
      logger.warn({ attempt, code, retryInMs: delay }, "cannot connect to PostgreSQL yet; retrying");
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** Delay before retry number `attempt` (1-based): exponential from RETRY_BASE_DELAY_MS, capped, with jitter. */
function retryDelayMs(attempt: number): number {
  const ceiling = Math.min(RETRY_MAX_DELAY_MS, RETRY_BASE_DELAY_MS * 2 ** (attempt - 1));
  return Math.round(ceiling * (0.5 + Math.random() / 2));
}

type Run = (text: string, values?: unknown[]) => Promise<pg.QueryResult>;

/** One connection's worth of migration work under a deadline. */
class MigrationSession {
  readonly #client: pg.Client;
  readonly #logger: Logger;
  readonly #timing: MigrationTiming;
  readonly #deadline: number;

  constructor(client: pg.Client, logger: Logger, timing: MigrationTiming, deadline: number) {
    this.#client = client;
    this.#logger = logger;
    this.#timing = timing;
    this.#deadline = deadline;
  }

  /** Runs one statement; the client stops waiting for its answer CLIENT_GRACE_MS after the deadline. */
  readonly run: Run = async (text, values) => {
    const remaining = this.#deadline - Date.now();
    if (remaining <= 0) throw this.#deadlineError();
    const query: pg.QueryConfig & { query_timeout: number } = { text, values, query_timeout: remaining + CLIENT_GRACE_MS };
    try {
      return await this.#client.query(query);
    } catch (error) {
      if (error instanceof Error && error.message === "Query read timeout") {
        throw new MigrationError(
          `no answer from PostgreSQL within the deadline (MIGRATE_DEADLINE_MS=${this.#timing.deadlineMs} ms); the connection is dead or frozen`,
          { cause: error },
        );
      }
      throw error;
    }
  };

  /**
   * Runs `work` in a transaction holding the migration advisory lock. When a lock cannot be taken
   * within lock_timeout (or a deadlock or serialization failure aborts the transaction), rolls
   * back, waits with backoff and tries again, until the deadline.
   */
  async inTransaction<T>(label: string, work: (run: Run) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      let waitingFor = "the migration lock (another migrate run holds it)";
      try {
        await this.run("BEGIN");
        await this.limitToDeadline();
        await this.run("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
        waitingFor = "its table locks";
        const result = await work(this.run);
        await this.run("COMMIT");
        return result;
      } catch (error) {
        await this.run("ROLLBACK").catch(() => undefined);
        const state = sqlState(error);
        const retryable = state === undefined ? undefined : RETRYABLE_SQLSTATES[state];
        if (retryable === undefined) {
          if (state === "57014") {
            throw new MigrationError(
              `${label} was cancelled at the deadline (MIGRATE_DEADLINE_MS=${this.#timing.deadlineMs} ms) and rolled back: ${describe(error)}`,
              { cause: error },
            );
          }
          throw error;
        }
        const delay = retryDelayMs(attempt);
        if (Date.now() + delay >= this.#deadline) {
          throw new MigrationError(
            `${label}: could not get ${waitingFor} within lock_timeout (MIGRATE_LOCK_TIMEOUT_MS=${this.#timing.lockTimeoutMs} ms) ` +
              `before the deadline (MIGRATE_DEADLINE_MS=${this.#timing.deadlineMs} ms) after ${attempt} attempts; ` +
              `last error: ${describe(error)} (${state ?? ""} ${retryable}). Nothing of it was applied; ` +
              "find the session holding the conflicting lock (pg_stat_activity, pg_locks) or raise MIGRATE_DEADLINE_MS",
            { cause: error },
          );
        }
        this.#logger.warn(
          { step: label, attempt, retryInMs: delay, waitingFor, err: { code: state, message: describe(error) } },
          `${retryable}: rolled back, retrying`,
        );
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /** Server side, the statements that follow in this transaction are cancelled at the deadline (statement_timeout). */
  async limitToDeadline(): Promise<void> {
    await this.run(`SET LOCAL statement_timeout = ${Math.max(1, this.#deadline - Date.now())}`);
  }

  #deadlineError(): MigrationError {
    return new MigrationError(`the deadline (MIGRATE_DEADLINE_MS=${this.#timing.deadlineMs} ms) passed before the run finished`);
  }
}

/**
 * Applies every pending migration in `directory`, each file in its own transaction together
 * with its schema_migrations row. Waits for no lock longer than `timing.lockTimeoutMs`
 * (retrying with backoff) and gives up when `timing.deadlineMs` has passed; defaults:
 * DEFAULT_MIGRATION_TIMING. Throws MigrationError with a message naming the file and cause.
 */
export async function runMigrations(
  databaseUrl: string,
  logger: Logger,
  directory: string = DEFAULT_MIGRATIONS_DIR,
  timing: MigrationTiming = DEFAULT_MIGRATION_TIMING,
): Promise<MigrationResult> {
  const files = await readMigrationFiles(directory);
  const deadline = Date.now() + timing.deadlineMs;
  const client = await connectWithRetry(
    () => {
      const c = new pg.Client({
        connectionString: databaseUrl,
        application_name: "clickvote-migrate",
        connectionTimeoutMillis: Math.min(CONNECT_TIMEOUT_MS, timing.deadlineMs),
        keepAlive: true,
        keepAliveInitialDelayMillis: KEEPALIVE_INITIAL_DELAY_MS,
        lock_timeout: timing.lockTimeoutMs,
        idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
      });
      // A connection failing between statements emits 'error'; the next statement reports it.
      c.on("error", (error) => {
        logger.warn({ err: { message: error.message } }, "PostgreSQL connection failed");
      });
      return c;
    },
    logger,
    deadline,
  );
  const session = new MigrationSession(client, logger, timing, deadline);
  try {
    const appliedRows = await session.inTransaction("creating schema_migrations", async (run) => {
      await run(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version    integer PRIMARY KEY,
        name       text NOT NULL,
        checksum   text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      return (await run("SELECT version, name, checksum FROM schema_migrations")).rows as AppliedRow[];
    });
    const appliedByVersion = new Map(appliedRows.map((row) => [row.version, row]));
    for (const file of files) {
      const existing = appliedByVersion.get(file.version);
      // An edited, already-applied migration would silently diverge between environments.
      if (existing !== undefined && existing.checksum !== file.checksum) {
        throw new MigrationError(`migration ${file.name} was changed after it was applied (checksum mismatch)`);
      }
    }
    const applied: string[] = [];
    for (const file of files) {
      if (appliedByVersion.has(file.version)) continue;
      let appliedNow = false;
      try {
        appliedNow = await session.inTransaction(`migration ${file.name}`, async (run) => {
          // Another runner may have applied it while this one waited for the lock.
          const current = await run("SELECT checksum FROM schema_migrations WHERE version = $1", [file.version]);
          const row = current.rows[0] as Pick<AppliedRow, "checksum"> | undefined;
          if (row !== undefined) {
            if (row.checksum !== file.checksum) {
              throw new MigrationError(`migration ${file.name} was changed after it was applied (checksum mismatch)`);
            }
            return false;
          }
          logger.info({ migration: file.name }, "applying migration");
          await session.limitToDeadline();
          await run(file.sql);
          await run("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", [file.version, file.name, file.checksum]);
          return true;
        });
      } catch (error) {
        if (error instanceof MigrationError) throw error;
        throw new MigrationError(`migration ${file.name} failed and was rolled back: ${describe(error)}`, { cause: error });
      }
      if (appliedNow) applied.push(file.name);
    }
    return { applied, alreadyApplied: files.length - applied.length };
  } catch (error) {
    if (error instanceof MigrationError) throw error;
    throw new MigrationError(`migration run failed: ${describe(error)}`, { cause: error });
  } finally {
    await client.end().catch(() => undefined);
  }
}
