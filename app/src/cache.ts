// Read-through cache of vote counts in Redis. Redis is an optimisation only:
// every method degrades to "no cache" instead of failing the request.
import { Redis } from "ioredis";
import type { VoteCounts } from "./db.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";

export const CACHE_STATES = ["ok", "unreachable", "writes_refused"] as const;
export type CacheState = (typeof CACHE_STATES)[number];

export interface CacheHealth {
  readonly state: CacheState;
  /** Why the cache is not `ok`; absent when it is. */
  readonly reason?: string;
}

export type CacheLookup = { readonly outcome: "hit"; readonly counts: VoteCounts } | { readonly outcome: "miss" } | { readonly outcome: "unavailable" };

// Entries expire so that a failed invalidation (Redis blip during a write)
// can only serve stale counts for a bounded time.
const COUNTS_TTL_SECONDS = 60;
const KEY_PREFIX = "clickvote:counts:v1:";
// Written by every health check; expires by itself, so it never accumulates.
const HEALTH_PROBE_KEY = "clickvote:health-probe";
const HEALTH_PROBE_TTL_MS = 10_000;

function countsKey(targetId: string): string {
  return `${KEY_PREFIX}${targetId}`;
}

function parseCounts(raw: string): VoteCounts | undefined {
  try {
    const parsed: unknown = JSON.parse(raw);
    if (
      typeof parsed === "object" &&
      parsed !== null &&
      "up" in parsed &&
      "down" in parsed &&
      typeof parsed.up === "number" &&
      typeof parsed.down === "number"
    ) {
      return { up: parsed.up, down: parsed.down };
    }
  } catch {
    // A corrupt entry is treated as a miss and overwritten.
  }
  return undefined;
}

/**
 * Timing of the Redis client, in milliseconds (README, "Failure behaviour"). A command never
 * holds a request longer than `commandTimeoutMs`; a connection that stops answering is
 * destroyed `socketTimeoutMs` after the first unanswered command and replaced by a new one.
 */
export const REDIS_TIMING = {
  /** Give up establishing a connection after this long (then back off and retry). */
  connectTimeoutMs: 2_000,
  /** A command without a reply fails after this long; the request falls back to PostgreSQL. */
  commandTimeoutMs: 500,
  /** No data for this long while a command waits: the socket is dead or frozen, destroy it and reconnect. */
  socketTimeoutMs: 2_000,
  /** TCP keepalive: first probe after this much idle time, then every 1 s, 10 probes (libuv). */
  keepAliveInitialDelayMs: 5_000,
  /** Reconnect backoff: 200 ms per attempt, capped at this. */
  maxReconnectDelayMs: 2_000,
} as const;

/** The server's Redis client, configured with REDIS_TIMING; it reconnects forever and never queues commands offline. */
export function createRedisClient(redisUrl: string, logger: Logger): Redis {
  const client = new Redis(redisUrl, {
    // Fail fast while disconnected instead of queueing: requests fall back to PostgreSQL.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // A command that already failed (timeout, lost connection) must not be replayed after a
    // reconnect: its caller moved on, and a replayed SET could store counts that are stale by then.
    autoResendUnfulfilledCommands: false,
    commandTimeout: REDIS_TIMING.commandTimeoutMs,
    socketTimeout: REDIS_TIMING.socketTimeoutMs,
    connectTimeout: REDIS_TIMING.connectTimeoutMs,
    keepAlive: REDIS_TIMING.keepAliveInitialDelayMs,
    // Keep trying to reconnect forever, backing off up to 2 s.
    retryStrategy: (attempt: number) => Math.min(attempt * 200, REDIS_TIMING.maxReconnectDelayMs),
  });
  let lastErrorLoggedAt = 0;
  client.on("error", (error: Error) => {
    // Throttled: a dead Redis would otherwise log on every reconnect attempt.
    const now = Date.now();
    if (now - lastErrorLoggedAt > 10_000) {
      lastErrorLoggedAt = now;
      logger.warn({ err: { message: error.message } }, "Redis connection problem; serving counts from PostgreSQL");
    }
  });
  client.on("ready", () => {
    logger.info("Redis connection ready");
  });
  return client;
}

export class CountsCache {
  readonly #redis: Redis;
  readonly #logger: Logger;
  readonly #metrics: Metrics;
  #lastState: CacheState | "unknown" = "unknown";

  constructor(redis: Redis, logger: Logger, metrics: Metrics) {
    this.#redis = redis;
    this.#logger = logger;
    this.#metrics = metrics;
  }

  get isConnected(): boolean {
    return this.#redis.status === "ready";
  }

  async lookup(targetId: string): Promise<CacheLookup> {
    if (!this.isConnected) return { outcome: "unavailable" };
    let raw: string | null;
    try {
      raw = await this.#redis.get(countsKey(targetId));
    } catch (error) {
      this.#recordError("get", error);
      return { outcome: "unavailable" };
    }
    const counts = raw === null ? undefined : parseCounts(raw);
    if (counts === undefined) {
      this.#metrics.cacheMisses.inc();
      return { outcome: "miss" };
    }
    this.#metrics.cacheHits.inc();
    return { outcome: "hit", counts };
  }

  async store(targetId: string, counts: VoteCounts): Promise<void> {
    if (!this.isConnected) return;
    try {
      await this.#redis.set(countsKey(targetId), JSON.stringify(counts), "EX", COUNTS_TTL_SECONDS);
    } catch (error) {
      this.#recordError("set", error);
    }
  }

  /** Drops the cached counts after a write so the next read reloads from PostgreSQL. */
  async invalidate(targetId: string): Promise<void> {
    try {
      await this.#redis.del(countsKey(targetId));
    } catch (error) {
      this.#recordError("del", error);
    }
  }

  /**
   * Whether Redis can do its job right now, checked within `timeoutMs` milliseconds by writing a
   * tiny probe key that expires after 10 s: `ok` when the write succeeds, `writes_refused` when
   * Redis answers with an error (e.g. OOM once maxmemory is reached under noeviction, MISCONF,
   * READONLY), `unreachable` when not connected or no answer arrives in time. Updates the
   * `clickvote_cache_state` gauge and logs every change of state.
   */
  async checkHealth(timeoutMs: number): Promise<CacheHealth> {
    const health = await this.#probe(timeoutMs);
    for (const state of CACHE_STATES) this.#metrics.cacheState.set({ state }, state === health.state ? 1 : 0);
    if (health.state !== this.#lastState) {
      if (health.state === "ok") {
        if (this.#lastState !== "unknown") this.#logger.info({ previous: this.#lastState }, "Redis cache healthy again");
      } else {
        this.#logger.warn({ state: health.state, reason: health.reason }, "Redis cache degraded; counts are served from PostgreSQL");
      }
      this.#lastState = health.state;
    }
    return health;
  }

  async #probe(timeoutMs: number): Promise<CacheHealth> {
    if (!this.isConnected) return { state: "unreachable", reason: `not connected (${this.#redis.status})` };
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          reject(new Error(`no reply within ${timeoutMs} ms`));
        }, timeoutMs);
      });
      await Promise.race([this.#redis.set(HEALTH_PROBE_KEY, String(Date.now()), "PX", HEALTH_PROBE_TTL_MS), timeout]);
      return { state: "ok" };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // Redis answered, but with an error: it is reachable and refuses to store anything.
      if (error instanceof Error && error.name === "ReplyError") return { state: "writes_refused", reason: `writes refused: ${message}` };
      return { state: "unreachable", reason: message };
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    try {
      if (this.#redis.status === "ready") {
        await this.#redis.quit();
        return;
      }
    } catch {
      // Fall through to a hard disconnect.
    }
    this.#redis.disconnect();
  }

  #recordError(operation: string, error: unknown): void {
    this.#metrics.cacheErrors.inc({ operation });
    const message = error instanceof Error ? error.message : String(error);
    this.#logger.warn({ operation, err: { message } }, "Redis command failed; continuing without cache");
  }
}
