// The service's object graph built from its settings: the one wiring the server runs, which the
// in-process tests reuse.
import type { FastifyInstance } from "fastify";
import { buildApp } from "./app.js";
import { CountsCache, createRedisClient } from "./cache.js";
import type { AppMode } from "./config.js";
import { VoteRepository, createPool } from "./db.js";
import type { Logger } from "./logger.js";
import { createMetrics } from "./metrics.js";

export interface WiringOptions {
  readonly logger: Logger;
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly appMode: AppMode;
}

export interface WiredApp {
  readonly app: FastifyInstance;
  /** Set `draining` when shutdown begins: readiness fails from then on. */
  readonly lifecycle: { draining: boolean };
  readonly cache: CountsCache;
  /** Stops listening, lets in-flight requests finish, then closes the pool and the Redis client. */
  readonly close: () => Promise<void>;
}

export function wireApp(options: WiringOptions): WiredApp {
  const { logger } = options;
  const metrics = createMetrics();
  const pool = createPool(options.databaseUrl, logger);
  const cache = new CountsCache(createRedisClient(options.redisUrl, logger), logger, metrics);
  const lifecycle = { draining: false };
  const app = buildApp({ logger, repository: new VoteRepository(pool), cache, metrics, appMode: options.appMode, lifecycle });
  return {
    app,
    lifecycle,
    cache,
    close: async () => {
      await app.close();
      await Promise.allSettled([pool.end(), cache.close()]);
    },
  };
}
