// Redis is an optimisation: losing it must not fail reads, writes or readiness.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "./support/app.js";
import { createMigratedDatabase, freePort, metricValue, redisUrl, startOwnRedis, stopProcess } from "./support/services.js";

let database: { url: string; drop: () => Promise<void> };

beforeAll(async () => {
  database = await createMigratedDatabase();
});

afterAll(async () => {
  await database.drop();
});

async function createTarget(testApp: TestApp): Promise<string> {
  const response = await testApp.app.inject({ method: "POST", url: "/api/targets", payload: { name: "outage" } });
  return response.json<{ id: string }>().id;
}

describe("Redis outage", () => {
  it("serves counts from PostgreSQL, keeps accepting votes and stays ready (degraded) when Redis dies", async () => {
    const port = await freePort();
    let redis = await startOwnRedis(port);
    const testApp = await createTestApp({ databaseUrl: database.url, redisUrl: redisUrl(port) });
    try {
      await testApp.waitForRedis();
      const targetId = await createTarget(testApp);
      const url = `/api/targets/${targetId}/counts`;
      await testApp.app.inject({ method: "PUT", url: `/api/targets/${targetId}/votes/${randomUUID()}`, payload: { value: "up" } });
      await testApp.app.inject({ method: "GET", url });
      expect((await testApp.app.inject({ method: "GET", url })).headers["x-cache"]).toBe("hit");

      await stopProcess(redis);

      const vote = await testApp.app.inject({ method: "PUT", url: `/api/targets/${targetId}/votes/${randomUUID()}`, payload: { value: "down" } });
      expect(vote.statusCode).toBe(201);
      const counts = await testApp.app.inject({ method: "GET", url });
      expect(counts.statusCode).toBe(200);
      expect(counts.headers["x-cache"]).toBe("bypass");
      expect(counts.json()).toEqual({ up: 1, down: 1, score: 0 });
      const target = await testApp.app.inject({ method: "GET", url: `/api/targets/${targetId}` });
      expect(target.statusCode).toBe(200);

      const ready = await testApp.app.inject({ method: "GET", url: "/readyz" });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({
        status: "ready",
        postgres: "ok",
        redis: "degraded",
        redisReason: expect.stringMatching(/^not connected/) as unknown,
      });
      const degradedMetrics = (await testApp.app.inject({ method: "GET", url: "/metrics" })).body;
      expect(metricValue(degradedMetrics, "clickvote_cache_state", { state: "unreachable" })).toBe(1);
      expect(metricValue(degradedMetrics, "clickvote_cache_state", { state: "ok" })).toBe(0);

      // Recovery: the client reconnects by itself and caching resumes.
      redis = await startOwnRedis(port);
      await testApp.waitForRedis();
      expect((await testApp.app.inject({ method: "GET", url })).headers["x-cache"]).toBe("miss");
      const cached = await testApp.app.inject({ method: "GET", url });
      expect(cached.headers["x-cache"]).toBe("hit");
      expect(cached.json()).toEqual({ up: 1, down: 1, score: 0 });
      expect((await testApp.app.inject({ method: "GET", url: "/readyz" })).json()).toEqual({ status: "ready", postgres: "ok", redis: "ok" });
      const recoveredMetrics = (await testApp.app.inject({ method: "GET", url: "/metrics" })).body;
      expect(metricValue(recoveredMetrics, "clickvote_cache_state", { state: "ok" })).toBe(1);
      expect(metricValue(recoveredMetrics, "clickvote_cache_state", { state: "unreachable" })).toBe(0);
    } finally {
      await testApp.close();
      await stopProcess(redis);
    }
  });

  it("starts and works with Redis unreachable from the beginning", async () => {
    const deadPort = await freePort();
    const testApp = await createTestApp({ databaseUrl: database.url, redisUrl: redisUrl(deadPort) });
    try {
      const targetId = await createTarget(testApp);
      const vote = await testApp.app.inject({ method: "PUT", url: `/api/targets/${targetId}/votes/${randomUUID()}`, payload: { value: "up" } });
      expect(vote.statusCode).toBe(201);
      const counts = await testApp.app.inject({ method: "GET", url: `/api/targets/${targetId}/counts` });
      expect(counts.headers["x-cache"]).toBe("bypass");
      expect(counts.json()).toEqual({ up: 1, down: 0, score: 1 });
      const ready = await testApp.app.inject({ method: "GET", url: "/readyz" });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toMatchObject({ postgres: "ok", redis: "degraded", redisReason: expect.stringMatching(/^not connected/) as unknown });
      const metrics = (await testApp.app.inject({ method: "GET", url: "/metrics" })).body;
      expect(metricValue(metrics, "clickvote_cache_state", { state: "unreachable" })).toBe(1);
      // Bypassed lookups are neither hits nor misses.
      expect(metricValue(metrics, "clickvote_cache_hits_total")).toBe(0);
      expect(metricValue(metrics, "clickvote_cache_misses_total")).toBe(0);
    } finally {
      await testApp.close();
    }
  });
});

describe("Redis refusing writes (maxmemory reached under noeviction)", () => {
  it("reports the cache as degraded with the reason, stays ready, keeps counts correct and recovers", async () => {
    const port = await freePort();
    const redis = await startOwnRedis(port, ["--maxmemory-policy", "noeviction"]);
    // A second client plays "everything else that fills the cache".
    const filler = new Redis(redisUrl(port));
    const testApp = await createTestApp({ databaseUrl: database.url, redisUrl: redisUrl(port) });
    try {
      await testApp.waitForRedis();
      const targetId = await createTarget(testApp);
      const url = `/api/targets/${targetId}/counts`;
      await testApp.app.inject({ method: "PUT", url: `/api/targets/${targetId}/votes/${randomUUID()}`, payload: { value: "up" } });
      expect((await testApp.app.inject({ method: "GET", url })).headers["x-cache"]).toBe("miss");
      expect((await testApp.app.inject({ method: "GET", url })).headers["x-cache"]).toBe("hit");
      expect((await testApp.app.inject({ method: "GET", url: "/readyz" })).json()).toEqual({ status: "ready", postgres: "ok", redis: "ok" });

      // Other data fills the cache, then maxmemory ends up below what is in use: from now on
      // Redis refuses every write (noeviction) but still answers reads, deletes and PING.
      for (let index = 0; index < 256; index += 1) await filler.set(`filler:${index}`, "x".repeat(4_096));
      const usedMemory = Number(/used_memory:(\d+)/.exec(await filler.info("memory"))?.[1]);
      await filler.config("SET", "maxmemory", String(Math.floor(usedMemory / 2)));
      const refusal: unknown = await filler.set("one-more", "x").then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(await filler.ping()).toBe("PONG");
      expect(refusal).toBeInstanceOf(Error);
      expect((refusal as Error).message).toMatch(/^OOM/);

      const ready = await testApp.app.inject({ method: "GET", url: "/readyz" });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({
        status: "ready",
        postgres: "ok",
        redis: "degraded",
        redisReason: expect.stringMatching(/^writes refused: OOM/) as unknown,
      });
      const degraded = (await testApp.app.inject({ method: "GET", url: "/metrics" })).body;
      expect(metricValue(degraded, "clickvote_cache_state", { state: "writes_refused" })).toBe(1);
      expect(metricValue(degraded, "clickvote_cache_state", { state: "ok" })).toBe(0);
      expect((await testApp.app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);

      // Votes and reads keep working and stay correct: deleting the cached entry is still
      // allowed under noeviction, only storing a new one is refused.
      const setErrorsBefore = metricValue(degraded, "clickvote_cache_errors_total", { operation: "set" });
      const vote = await testApp.app.inject({ method: "PUT", url: `/api/targets/${targetId}/votes/${randomUUID()}`, payload: { value: "down" } });
      expect(vote.statusCode).toBe(201);
      for (let read = 0; read < 2; read += 1) {
        const counts = await testApp.app.inject({ method: "GET", url });
        expect(counts.statusCode).toBe(200);
        expect(counts.json()).toEqual({ up: 1, down: 1, score: 0 });
        expect(counts.headers["x-cache"]).toBe("miss");
      }
      const afterReads = (await testApp.app.inject({ method: "GET", url: "/metrics" })).body;
      expect(metricValue(afterReads, "clickvote_cache_errors_total", { operation: "set" }) - setErrorsBefore).toBe(2);

      // Memory freed (here: limit lifted): the next check reports ok and caching resumes.
      await filler.config("SET", "maxmemory", "0");
      expect((await testApp.app.inject({ method: "GET", url: "/readyz" })).json()).toEqual({ status: "ready", postgres: "ok", redis: "ok" });
      const recovered = (await testApp.app.inject({ method: "GET", url: "/metrics" })).body;
      expect(metricValue(recovered, "clickvote_cache_state", { state: "ok" })).toBe(1);
      expect(metricValue(recovered, "clickvote_cache_state", { state: "writes_refused" })).toBe(0);
      expect((await testApp.app.inject({ method: "GET", url })).headers["x-cache"]).toBe("miss");
      expect((await testApp.app.inject({ method: "GET", url })).headers["x-cache"]).toBe("hit");
    } finally {
      filler.disconnect();
      await testApp.close();
      await stopProcess(redis);
    }
  });
});

describe("PostgreSQL outage", () => {
  it("fails readiness and answers API calls with 503 JSON when PostgreSQL is unreachable", async () => {
    const deadPort = await freePort();
    const testApp = await createTestApp({
      databaseUrl: `postgres://clickvote:pw@127.0.0.1:${deadPort}/none`,
      redisUrl: redisUrl(),
    });
    try {
      const ready = await testApp.app.inject({ method: "GET", url: "/readyz" });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({ status: "unready", postgres: "unreachable" });
      expect((await testApp.app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
      const create = await testApp.app.inject({ method: "POST", url: "/api/targets", payload: { name: "x" } });
      expect(create.statusCode).toBe(503);
      expect(create.json()).toEqual({ error: { code: "database_unavailable", message: "the database is unavailable, retry later" } });
      expect(create.headers["retry-after"]).toBe("5");
    } finally {
      await testApp.close();
    }
  });
});
