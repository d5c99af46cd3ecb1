// Connections that die silently: a relay between the service and PostgreSQL or Redis stops
// forwarding on its open connections but keeps them open (no FIN, no RST; the kernel still
// acknowledges, so TCP keepalive cannot notice), while new connections work. Every client must
// notice through its own timeouts, drop the frozen connections and carry on over new ones.
import { randomUUID } from "node:crypto";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REDIS_TIMING } from "../src/cache.js";
import { POOL_SIZE, POOL_TIMING } from "../src/db.js";
import { CLIENT_GRACE_MS, DEFAULT_MIGRATIONS_DIR, IDLE_IN_TRANSACTION_TIMEOUT_MS } from "../src/migrations.js";
import { createTestApp, type TestApp } from "./support/app.js";
import { startFreezableProxy, withPort } from "./support/proxy.js";
import { PG_PORT, REDIS_PORT, createMigratedDatabase, redisUrl, runNode, waitForOutput } from "./support/services.js";

let database: { url: string; drop: () => Promise<void> };

beforeAll(async () => {
  database = await createMigratedDatabase();
});

afterAll(async () => {
  await database.drop();
});

interface Outcome {
  /** Start and end, in ms since the freeze. */
  readonly start: number;
  readonly end: number;
  readonly status: number;
  readonly retryAfter: string | undefined;
  readonly code: string | undefined;
  readonly cache: string | undefined;
}

async function timedRequest(testApp: TestApp, url: string, since: number): Promise<Outcome> {
  const start = Date.now() - since;
  const response = await testApp.app.inject({ method: "GET", url });
  const retryAfter = response.headers["retry-after"];
  const cache = response.headers["x-cache"];
  return {
    start,
    end: Date.now() - since,
    status: response.statusCode,
    retryAfter: typeof retryAfter === "string" ? retryAfter : undefined,
    code: response.statusCode >= 400 ? response.json<{ error: { code: string } }>().error.code : undefined,
    cache: typeof cache === "string" ? cache : undefined,
  };
}

describe("PostgreSQL pool connections that freeze", () => {
  // Documented bound (README, "Failure behaviour"): idle frozen connections are evicted after
  // idleTimeoutMs, one handed out before that fails after queryTimeoutMs and is destroyed.
  const RECOVERY_BOUND_MS = POOL_TIMING.idleTimeoutMs + POOL_TIMING.queryTimeoutMs;

  it(`are detected and replaced: every request answers 200 or 503 + Retry-After, and all succeed again within ${RECOVERY_BOUND_MS} ms`, async () => {
    const proxy = await startFreezableProxy(PG_PORT);
    const testApp = await createTestApp({ databaseUrl: withPort(database.url, proxy.port), redisUrl: redisUrl() });
    try {
      await testApp.waitForRedis();
      const targetId = (await testApp.app.inject({ method: "POST", url: "/api/targets", payload: { name: "frozen pg" } })).json<{ id: string }>().id;
      // The target read always queries PostgreSQL; its counts come from the (healthy) cache.
      const url = `/api/targets/${targetId}`;
      // Warm the pool: concurrent requests open several connections, which then sit idle.
      await Promise.all(Array.from({ length: 3 * POOL_SIZE }, () => testApp.app.inject({ method: "GET", url })));
      const frozen = proxy.freeze();
      expect(frozen).toBeGreaterThanOrEqual(3);
      const frozenAt = Date.now();

      // Two clients issuing one request after another until well past the bound.
      const outcomes: Outcome[] = [];
      const stopAt = RECOVERY_BOUND_MS + 3_000;
      await Promise.all(
        [0, 1].map(async () => {
          while (Date.now() - frozenAt < stopAt) outcomes.push(await timedRequest(testApp, url, frozenAt));
        }),
      );
      outcomes.sort((a, b) => a.start - b.start);

      // The freeze bit: the first requests got frozen connections and failed at the query timeout ...
      const first = outcomes[0];
      expect(first?.status).toBe(503);
      expect(first?.code).toBe("database_busy");
      expect(first?.retryAfter).toBe("1");
      expect((first?.end ?? 0) - (first?.start ?? 0)).toBeGreaterThanOrEqual(POOL_TIMING.queryTimeoutMs - 100);
      // ... no request hung or failed as a bug: 200, or 503 with Retry-After within the query timeout.
      for (const outcome of outcomes) {
        expect([200, 503]).toContain(outcome.status);
        if (outcome.status === 503) expect(outcome.retryAfter).toBeDefined();
        expect(outcome.end - outcome.start).toBeLessThan(POOL_TIMING.queryTimeoutMs + 1_000);
      }
      // Recovery: from some point on every request succeeded, and that point is within the bound.
      const lastFailure = outcomes.findLastIndex((outcome) => outcome.status !== 200);
      const recovered = outcomes[lastFailure + 1];
      expect(recovered).toBeDefined();
      expect(recovered?.start).toBeLessThanOrEqual(RECOVERY_BOUND_MS);
      expect(outcomes.length - lastFailure - 1).toBeGreaterThanOrEqual(10);
      // New connections went through the proxy, and readiness agrees.
      expect(proxy.liveConnections).toBeGreaterThanOrEqual(1);
      expect((await testApp.app.inject({ method: "GET", url: "/readyz" })).json()).toMatchObject({ status: "ready", postgres: "ok" });
      const firstOk = outcomes.find((outcome) => outcome.status === 200);
      console.info(
        `pg freeze: ${frozen} connections frozen; ${lastFailure + 1} failed requests; first 200 at ${firstOk?.end ?? NaN} ms, all 200 from ${recovered?.start ?? NaN} ms (bound ${RECOVERY_BOUND_MS} ms)`,
      );
    } finally {
      await testApp.close();
      await proxy.close();
    }
  }, 60_000);

  it("readiness probes evict frozen connections too, and /readyz turns green again within the bound", async () => {
    const proxy = await startFreezableProxy(PG_PORT);
    const testApp = await createTestApp({ databaseUrl: withPort(database.url, proxy.port), redisUrl: redisUrl() });
    try {
      await Promise.all(Array.from({ length: 2 * POOL_SIZE }, () => testApp.app.inject({ method: "GET", url: "/readyz" })));
      expect(proxy.freeze()).toBeGreaterThanOrEqual(2);
      const frozenAt = Date.now();
      const unready = await testApp.app.inject({ method: "GET", url: "/readyz" });
      expect(unready.statusCode).toBe(503);
      expect(unready.json()).toMatchObject({ postgres: "unreachable" });
      let readyAt: number | undefined;
      while (readyAt === undefined && Date.now() - frozenAt < RECOVERY_BOUND_MS + 3_000) {
        // A kubelet-like probe every second.
        const probe = await testApp.app.inject({ method: "GET", url: "/readyz" });
        if (probe.statusCode === 200) readyAt = Date.now() - frozenAt;
        else await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
      expect(readyAt).toBeDefined();
      expect(readyAt).toBeLessThanOrEqual(RECOVERY_BOUND_MS);
      console.info(`pg freeze: /readyz 200 again after ${readyAt ?? NaN} ms`);
    } finally {
      await testApp.close();
      await proxy.close();
    }
  }, 60_000);
});

describe("a Redis connection that freezes", () => {
  // Documented bound: the socket is destroyed socketTimeoutMs after the first unanswered
  // command; the reconnect waits at most maxReconnectDelayMs; connecting is quick on loopback.
  const RECOVERY_BOUND_MS = REDIS_TIMING.socketTimeoutMs + REDIS_TIMING.maxReconnectDelayMs;

  it(`never fails a request, costs each at most the command timeout, and caching resumes within ${RECOVERY_BOUND_MS} ms`, async () => {
    const proxy = await startFreezableProxy(REDIS_PORT);
    const testApp = await createTestApp({ databaseUrl: database.url, redisUrl: redisUrl(proxy.port) });
    try {
      await testApp.waitForRedis();
      const targetId = (await testApp.app.inject({ method: "POST", url: "/api/targets", payload: { name: "frozen redis" } })).json<{ id: string }>().id;
      await testApp.app.inject({ method: "PUT", url: `/api/targets/${targetId}/votes/${randomUUID()}`, payload: { value: "up" } });
      const url = `/api/targets/${targetId}/counts`;
      expect((await testApp.app.inject({ method: "GET", url })).headers["x-cache"]).toBe("miss");
      expect((await testApp.app.inject({ method: "GET", url })).headers["x-cache"]).toBe("hit");
      expect(proxy.freeze()).toBe(1);
      const frozenAt = Date.now();
      // Readiness tells the truth (degraded, with the reason) but keeps the pod in rotation.
      const ready = await testApp.app.inject({ method: "GET", url: "/readyz" });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({ status: "ready", postgres: "ok", redis: "degraded", redisReason: "Command timed out" });

      const outcomes: Outcome[] = [];
      while (Date.now() - frozenAt < RECOVERY_BOUND_MS + 5_000) {
        const outcome = await timedRequest(testApp, url, frozenAt);
        outcomes.push(outcome);
        if (outcome.cache === "hit") break;
      }
      // Served from PostgreSQL while the cache was frozen, never failing, never slower than the command timeout allows.
      expect(outcomes[0]?.cache).toBe("bypass");
      for (const outcome of outcomes) {
        expect(outcome.status).toBe(200);
        expect(outcome.end - outcome.start).toBeLessThan(REDIS_TIMING.commandTimeoutMs + 500);
      }
      // Caching resumed over a new connection within the bound.
      const resumed = outcomes.find((outcome) => outcome.cache === "miss" || outcome.cache === "hit");
      expect(resumed).toBeDefined();
      expect(resumed?.end).toBeLessThanOrEqual(RECOVERY_BOUND_MS);
      expect(outcomes.at(-1)?.cache).toBe("hit");
      expect(proxy.liveConnections).toBe(1);
      expect((await testApp.app.inject({ method: "GET", url })).json()).toEqual({ up: 1, down: 0, score: 1 });
      expect((await testApp.app.inject({ method: "GET", url: "/readyz" })).json()).toEqual({ status: "ready", postgres: "ok", redis: "ok" });
      console.info(
        `redis freeze: ${outcomes.filter((outcome) => outcome.cache === "bypass").length} bypassed reads; caching again after ${resumed?.end ?? NaN} ms (bound ${RECOVERY_BOUND_MS} ms)`,
      );
    } finally {
      await testApp.close();
      await proxy.close();
    }
  }, 60_000);
});

describe("the migrate entry point on a connection that freezes", () => {
  it("fails at its deadline instead of hanging, the server drops the frozen session, and a re-run succeeds", async () => {
    const scratchDir = await mkdtemp(path.join(tmpdir(), "clickvote-frozen-migrate-"));
    const proxy = await startFreezableProxy(PG_PORT);
    const blocker = new pg.Client({ connectionString: database.url });
    await blocker.connect();
    try {
      await cp(DEFAULT_MIGRATIONS_DIR, scratchDir, { recursive: true });
      await writeFile(path.join(scratchDir, "002_add_vote_note.sql"), "ALTER TABLE votes ADD COLUMN note text;\n");
      // Keep the migration busy retrying its lock, then freeze its connection mid-run.
      await blocker.query("BEGIN");
      await blocker.query("SELECT 1 FROM votes LIMIT 1");
      const deadlineMs = 10_000;
      const migrate = runNode("migrate.js", {
        DATABASE_URL: withPort(database.url, proxy.port),
        MIGRATIONS_DIR: scratchDir,
        MIGRATE_DEADLINE_MS: String(deadlineMs),
      });
      // The deadline counts from the start of the run, not from process start-up.
      const started = await waitForOutput(migrate, '"msg":"running migrations"', 20_000);
      await waitForOutput(migrate, "rolled back, retrying", deadlineMs / 2);
      expect(proxy.freeze()).toBe(1);
      await blocker.query("COMMIT");
      // If the frozen session got its lock after all, it sits idle in its transaction holding it:
      // the server ends it after IDLE_IN_TRANSACTION_TIMEOUT_MS, so a read of votes waits at most that.
      const readStarted = Date.now();
      await blocker.query("SELECT count(*) FROM votes");
      expect(Date.now() - readStarted).toBeLessThan(IDLE_IN_TRANSACTION_TIMEOUT_MS + 1_000);

      const code = await migrate.exited;
      const elapsed = Date.now() - started;
      expect(code).toBe(1);
      expect(elapsed).toBeLessThan(deadlineMs + CLIENT_GRACE_MS + 1_500);
      expect(migrate.stderr()).toMatch(/no answer from PostgreSQL within the deadline \(MIGRATE_DEADLINE_MS=10000 ms\); the connection is dead or frozen/);

      // Whatever the frozen session held is released by the server (idle_in_transaction_session_timeout),
      // so traffic is not blocked and the Job's next attempt (here: a direct re-run) succeeds.
      const rerun = runNode("migrate.js", {
        DATABASE_URL: database.url,
        MIGRATIONS_DIR: scratchDir,
        MIGRATE_DEADLINE_MS: String(IDLE_IN_TRANSACTION_TIMEOUT_MS + 10_000),
      });
      expect(await rerun.exited, rerun.stderr()).toBe(0);
      const versions = await blocker.query<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version");
      expect(versions.rows.map((row) => row.version)).toEqual([1, 2]);
      console.info(`migrate freeze: exited 1 after ${elapsed} ms (deadline ${deadlineMs} ms + grace ${CLIENT_GRACE_MS} ms)`);
    } finally {
      await blocker.end();
      await proxy.close();
      await rm(scratchDir, { recursive: true, force: true });
    }
  }, 60_000);
});
