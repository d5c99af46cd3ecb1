// Entry point: `node dist/server.js`. Never migrates; run dist/migrate.js first.
import { type AppConfig, ConfigError, loadConfig, redactUrl } from "./config.js";
import { createLogger } from "./logger.js";
import { wireApp } from "./wiring.js";

function readConfigOrExit(): AppConfig {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`clickvote: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const config = readConfigOrExit();
  const logger = createLogger(config.logLevel);
  logger.info(
    {
      database: redactUrl(config.databaseUrl),
      redis: redactUrl(config.redisUrl),
      port: config.port,
      appMode: config.appMode,
      shutdownGraceMs: config.shutdownGraceMs,
    },
    "starting clickvote",
  );
  logger.debug({ logLevel: config.logLevel, nodeVersion: process.version }, "debug logging enabled");

  const { app, lifecycle, close } = wireApp({
    logger,
    databaseUrl: config.databaseUrl,
    redisUrl: config.redisUrl,
    appMode: config.appMode,
  });

  let shuttingDown = false;
  async function shutdown(signal: string): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    // Readiness fails from this instant, before anything else happens.
    lifecycle.draining = true;
    logger.info({ signal, graceMs: config.shutdownGraceMs }, "shutdown started: readiness failing, draining requests");
    const forceExit = setTimeout(() => {
      logger.error({ graceMs: config.shutdownGraceMs }, "grace period exceeded; forcing exit");
      process.exit(1);
    }, config.shutdownGraceMs);
    forceExit.unref();
    try {
      // Keep-alive clients first get "Connection: close" on their next answer (app.ts) and leave
      // by themselves. Closing the server closes every idle connection at once, and a client that
      // is just sending on one then sees a reset: that is the race this pause avoids.
      await new Promise((resolve) => setTimeout(resolve, keepAliveDrainMs(config.shutdownGraceMs)));
      // Stops listening, lets in-flight requests finish, then closes the pool and Redis.
      await close();
      logger.info("shutdown complete");
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, "shutdown failed");
      process.exit(1);
    }
  }
  process.once("SIGTERM", () => {
    void shutdown("SIGTERM");
  });
  process.once("SIGINT", () => {
    void shutdown("SIGINT");
  });

  await app.listen({ host: "0.0.0.0", port: config.port });
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`clickvote: failed to start: ${message}\n`);
  process.exit(1);
});

/**
 * Milliseconds the server keeps serving keep-alive connections, with "Connection: close" on each
 * answer, before it closes: 1000, or half of SHUTDOWN_GRACE_MS when that is shorter, so the
 * in-flight requests keep the rest of the grace period.
 */
function keepAliveDrainMs(shutdownGraceMs: number): number {
  return Math.min(1000, Math.floor(shutdownGraceMs / 2));
}
