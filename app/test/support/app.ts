// The server's own wiring (real PostgreSQL pool, real Redis client) in-process, for tests that
// use fastify's inject instead of a socket.
import type { FastifyInstance } from "fastify";
import type { AppMode } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import { wireApp } from "../../src/wiring.js";

export interface TestApp {
  readonly app: FastifyInstance;
  readonly lifecycle: { draining: boolean };
  readonly close: () => Promise<void>;
  readonly waitForRedis: () => Promise<void>;
}

export async function createTestApp(options: { databaseUrl: string; redisUrl: string; appMode?: AppMode }): Promise<TestApp> {
  const { app, lifecycle, cache, close } = wireApp({
    logger: createLogger("silent"),
    databaseUrl: options.databaseUrl,
    redisUrl: options.redisUrl,
    appMode: options.appMode ?? "production",
  });
  await app.ready();
  return {
    app,
    lifecycle,
    waitForRedis: async () => {
      const deadline = Date.now() + 10_000;
      while (!cache.isConnected) {
        if (Date.now() > deadline) throw new Error("Redis did not connect");
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close,
  };
}
