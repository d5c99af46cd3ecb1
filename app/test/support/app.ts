// Wires the real app (real PostgreSQL pool, real Redis client) in-process for
// tests that use fastify's inject instead of a socket.
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { CountsCache, createRedisClient } from '../../src/cache.js';
import type { AppMode } from '../../src/config.js';
import { VoteRepository, createPool } from '../../src/db.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';

export interface TestApp {
  readonly app: FastifyInstance;
  readonly lifecycle: { draining: boolean };
  readonly close: () => Promise<void>;
  readonly waitForRedis: () => Promise<void>;
}

export async function createTestApp(options: { databaseUrl: string; redisUrl: string; appMode?: AppMode }): Promise<TestApp> {
  const logger = createLogger('silent');
  const metrics = createMetrics();
  const pool = createPool(options.databaseUrl, logger);
  const redis = createRedisClient(options.redisUrl, logger);
  const cache = new CountsCache(redis, logger, metrics);
  const lifecycle = { draining: false };
  const app = buildApp({
    logger, repository: new VoteRepository(pool), cache, metrics, appMode: options.appMode ?? 'production', lifecycle,
  });
  await app.ready();
  return {
    app,
    lifecycle,
    waitForRedis: async () => {
      const deadline = Date.now() + 10_000;
      while (!cache.isConnected) {
        if (Date.now() > deadline) throw new Error('Redis did not connect');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: async () => {
      await app.close();
      await Promise.allSettled([pool.end(), cache.close()]);
    },
  };
}
