// PostgreSQL access: pool creation and the queries the API needs.
// PostgreSQL is the source of truth for targets and votes.
import pg from "pg";
import type { Logger } from "./logger.js";

export type VoteValue = "up" | "down";

export interface Target {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
}

export interface VoteCounts {
  readonly up: number;
  readonly down: number;
}

export interface StoredVote {
  readonly targetId: string;
  readonly voterId: string;
  readonly value: VoteValue;
  readonly updatedAt: string;
  /** True when this call created the vote, false when it changed (or repeated) an existing one. */
  readonly created: boolean;
}

/** Raised when a vote refers to a target that does not exist. */
export class TargetNotFoundError extends Error {
  constructor(targetId: string) {
    super(`target ${targetId} not found`);
    this.name = "TargetNotFoundError";
  }
}

const FOREIGN_KEY_VIOLATION = "23503";

/**
 * Timing of the server's PostgreSQL pool, in milliseconds. Together they bound how long a dead
 * or frozen connection can hurt (README, "Failure behaviour"): a request never waits more than
 * `connectionTimeoutMs` for a connection nor more than `queryTimeoutMs` for an answer, and every
 * connection that stopped answering is out of the pool within `idleTimeoutMs + queryTimeoutMs`.
 */
export const POOL_TIMING = {
  /** Wait for a free connection from the pool, or for a new one to be established. */
  connectionTimeoutMs: 5_000,
  /** Server side: PostgreSQL cancels a statement running longer (SQLSTATE 57014). */
  statementTimeoutMs: 5_000,
  /**
   * Client side: no reply within this time means the connection is dead or frozen; the query
   * fails and the pool destroys the connection. Longer than the statement timeout, so a live
   * but slow server cancels first and says so.
   */
  queryTimeoutMs: 6_000,
  /** An idle connection is closed after this long, so unused dead ones do not linger. */
  idleTimeoutMs: 10_000,
  /** TCP keepalive: first probe after this much idle time, then every 1 s, 10 probes (libuv). */
  keepAliveInitialDelayMs: 5_000,
} as const;

/** Connections per server process. */
export const POOL_SIZE = 10;

/** The server's pool, configured with POOL_TIMING; idle connection errors are logged, not thrown. */
export function createPool(databaseUrl: string, logger: Logger): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: POOL_SIZE,
    idleTimeoutMillis: POOL_TIMING.idleTimeoutMs,
    connectionTimeoutMillis: POOL_TIMING.connectionTimeoutMs,
    statement_timeout: POOL_TIMING.statementTimeoutMs,
    // pool.query releases a client whose query failed with the error, which makes the pool
    // destroy it: a connection that timed out is never handed out again.
    query_timeout: POOL_TIMING.queryTimeoutMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: POOL_TIMING.keepAliveInitialDelayMs,
    application_name: "clickvote",
  });
  // An idle client losing its connection (reset, keepalive timeout) emits 'error' on the pool,
  // which has already removed it; without a listener that would crash the process.
  pool.on("error", (error) => {
    logger.warn({ err: { message: error.message } }, "idle PostgreSQL connection failed");
  });
  return pool;
}

function toIso(value: unknown): string {
  return value instanceof Date ? value.toISOString() : String(value);
}

function hasPgCode(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === code;
}

interface TargetRow {
  id: string;
  name: string;
  created_at: Date;
}

interface CountsRow {
  up: string;
  down: string;
}

interface VoteRow {
  target_id: string;
  voter_id: string;
  value: VoteValue;
  updated_at: Date;
  inserted: boolean;
}

export class VoteRepository {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async createTarget(name: string): Promise<Target> {
    const result = await this.#pool.query<TargetRow>("INSERT INTO targets (name) VALUES ($1) RETURNING id, name, created_at", [name]);
    const row = result.rows[0];
    if (row === undefined) throw new Error("insert into targets returned no row");
    return { id: row.id, name: row.name, createdAt: toIso(row.created_at) };
  }

  async findTarget(targetId: string): Promise<Target | undefined> {
    const result = await this.#pool.query<TargetRow>("SELECT id, name, created_at FROM targets WHERE id = $1", [targetId]);
    const row = result.rows[0];
    return row === undefined ? undefined : { id: row.id, name: row.name, createdAt: toIso(row.created_at) };
  }

  /** Counts for an existing target, or undefined when the target does not exist. */
  async countVotes(targetId: string): Promise<VoteCounts | undefined> {
    // The LEFT JOIN lets one round trip tell "no such target" apart from "no votes yet".
    const result = await this.#pool.query<CountsRow>(
      `SELECT count(v.value) FILTER (WHERE v.value = 'up') AS up,
              count(v.value) FILTER (WHERE v.value = 'down') AS down
         FROM targets t
         LEFT JOIN votes v ON v.target_id = t.id
        WHERE t.id = $1
        GROUP BY t.id`,
      [targetId],
    );
    const row = result.rows[0];
    return row === undefined ? undefined : { up: Number(row.up), down: Number(row.down) };
  }

  /**
   * Creates or changes one voter's vote on a target in a single atomic statement,
   * so concurrent requests can never leave two votes or a half-written one.
   */
  async castVote(targetId: string, voterId: string, value: VoteValue): Promise<StoredVote> {
    let result: pg.QueryResult<VoteRow>;
    try {
      result = await this.#pool.query<VoteRow>(
        `INSERT INTO votes (target_id, voter_id, value)
         VALUES ($1, $2, $3)
         ON CONFLICT (target_id, voter_id)
         DO UPDATE SET value = EXCLUDED.value, updated_at = now()
         RETURNING target_id, voter_id, value, updated_at, (xmax = 0) AS inserted`,
        [targetId, voterId, value],
      );
    } catch (error) {
      if (hasPgCode(error, FOREIGN_KEY_VIOLATION)) throw new TargetNotFoundError(targetId);
      throw error;
    }
    const row = result.rows[0];
    if (row === undefined) throw new Error("vote upsert returned no row");
    return {
      targetId: row.target_id,
      voterId: row.voter_id,
      value: row.value,
      updatedAt: toIso(row.updated_at),
      created: row.inserted,
    };
  }

  /** Removes a vote; returns false when there was none. */
  async removeVote(targetId: string, voterId: string): Promise<boolean> {
    const result = await this.#pool.query("DELETE FROM votes WHERE target_id = $1 AND voter_id = $2", [targetId, voterId]);
    return (result.rowCount ?? 0) > 0;
  }

  /**
   * True when PostgreSQL answers `SELECT 1` within `timeoutMs` milliseconds. The query carries
   * the same limit as its query_timeout, so a connection that does not answer is destroyed:
   * readiness checks also weed out dead connections.
   */
  async ping(timeoutMs: number): Promise<boolean> {
    const query: pg.QueryConfig & { query_timeout: number } = { text: "SELECT 1", query_timeout: timeoutMs };
    try {
      await withTimeout(this.#pool.query(query), timeoutMs);
      return true;
    } catch {
      return false;
    }
  }
}

/** Rejects with "timed out after N ms" when `promise` has not settled within `timeoutMs` milliseconds. */
export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
