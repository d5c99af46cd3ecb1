// API behaviour against real PostgreSQL and Redis through fastify's inject.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.js";
import { runMigrations } from "../src/migrations.js";
import { createTestApp, type TestApp } from "./support/app.js";
import { createDatabase, metricValue, redisUrl } from "./support/services.js";

let testApp: TestApp;
let dropDatabase: () => Promise<void>;

beforeAll(async () => {
  const database = await createDatabase();
  dropDatabase = database.drop;
  await runMigrations(database.url, createLogger("silent"));
  testApp = await createTestApp({ databaseUrl: database.url, redisUrl: redisUrl() });
  await testApp.waitForRedis();
});

afterAll(async () => {
  await testApp.close();
  await dropDatabase();
});

interface ErrorResponse {
  error: { code: string; message: string };
}

async function createTarget(name = "Best framework"): Promise<string> {
  const response = await testApp.app.inject({ method: "POST", url: "/api/targets", payload: { name } });
  expect(response.statusCode).toBe(201);
  return response.json<{ id: string }>().id;
}

async function vote(targetId: string, voterId: string, value: string) {
  return testApp.app.inject({ method: "PUT", url: `/api/targets/${targetId}/votes/${voterId}`, payload: { value } });
}

async function metricsText(): Promise<string> {
  return (await testApp.app.inject({ method: "GET", url: "/metrics" })).body;
}

function expectError(response: { statusCode: number; body: string }, status: number, code: string): void {
  expect(response.statusCode).toBe(status);
  const body = JSON.parse(response.body) as ErrorResponse;
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
}

describe("targets and votes", () => {
  it("creates a target and returns it with zero counts", async () => {
    const created = await testApp.app.inject({ method: "POST", url: "/api/targets", payload: { name: "  Tabs  " } });
    expect(created.statusCode).toBe(201);
    const target = created.json<{ id: string; name: string; createdAt: string }>();
    expect(target.name).toBe("Tabs");
    expect(target.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number.isNaN(Date.parse(target.createdAt))).toBe(false);
    expect(created.headers.location).toBe(`/api/targets/${target.id}`);

    const fetched = await testApp.app.inject({ method: "GET", url: `/api/targets/${target.id}` });
    expect(fetched.statusCode).toBe(200);
    expect(fetched.json()).toEqual({ ...target, counts: { up: 0, down: 0, score: 0 } });
  });

  it("counts one vote per voter and lets a voter change their vote", async () => {
    const targetId = await createTarget();
    const alice = randomUUID();
    const bob = randomUUID();
    expect((await vote(targetId, alice, "up")).statusCode).toBe(201);
    expect((await vote(targetId, bob, "up")).statusCode).toBe(201);
    // Repeating the same vote does not double count.
    expect((await vote(targetId, alice, "up")).statusCode).toBe(200);
    let counts = await testApp.app.inject({ method: "GET", url: `/api/targets/${targetId}/counts` });
    expect(counts.json()).toEqual({ up: 2, down: 0, score: 2 });

    const changed = await vote(targetId, bob, "down");
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ targetId, voterId: bob, value: "down" });
    counts = await testApp.app.inject({ method: "GET", url: `/api/targets/${targetId}/counts` });
    expect(counts.json()).toEqual({ up: 1, down: 1, score: 0 });
  });

  it("keeps exactly one vote per voter under concurrent changes", async () => {
    const targetId = await createTarget();
    const voter = randomUUID();
    const values = Array.from({ length: 20 }, (_, index) => (index % 2 === 0 ? "up" : "down"));
    const responses = await Promise.all(values.map((value) => vote(targetId, voter, value)));
    expect(responses.every((response) => response.statusCode === 200 || response.statusCode === 201)).toBe(true);
    const counts = (await testApp.app.inject({ method: "GET", url: `/api/targets/${targetId}/counts` })).json<{ up: number; down: number }>();
    expect(counts.up + counts.down).toBe(1);
  });

  it("deletes a vote and reports 404 for a vote that does not exist", async () => {
    const targetId = await createTarget();
    const voter = randomUUID();
    await vote(targetId, voter, "down");
    const removed = await testApp.app.inject({ method: "DELETE", url: `/api/targets/${targetId}/votes/${voter}` });
    expect(removed.statusCode).toBe(204);
    expectError(await testApp.app.inject({ method: "DELETE", url: `/api/targets/${targetId}/votes/${voter}` }), 404, "vote_not_found");
    const counts = await testApp.app.inject({ method: "GET", url: `/api/targets/${targetId}/counts` });
    expect(counts.json()).toEqual({ up: 0, down: 0, score: 0 });
  });

  it("counts cast votes in /metrics by value", async () => {
    const before = metricValue(await metricsText(), "clickvote_votes_cast_total", { value: "down" });
    await vote(await createTarget(), randomUUID(), "down");
    const after = metricValue(await metricsText(), "clickvote_votes_cast_total", { value: "down" });
    expect(after - before).toBe(1);
  });
});

describe("counts cache", () => {
  it("misses first, hits next, and is invalidated by a vote", async () => {
    const targetId = await createTarget();
    const url = `/api/targets/${targetId}/counts`;
    const hitsBefore = metricValue(await metricsText(), "clickvote_cache_hits_total");
    const missesBefore = metricValue(await metricsText(), "clickvote_cache_misses_total");

    const first = await testApp.app.inject({ method: "GET", url });
    expect(first.headers["x-cache"]).toBe("miss");
    const second = await testApp.app.inject({ method: "GET", url });
    expect(second.headers["x-cache"]).toBe("hit");
    expect(second.json()).toEqual({ up: 0, down: 0, score: 0 });

    await vote(targetId, randomUUID(), "up");
    const afterVote = await testApp.app.inject({ method: "GET", url });
    expect(afterVote.headers["x-cache"]).toBe("miss");
    expect(afterVote.json()).toEqual({ up: 1, down: 0, score: 1 });
    const cachedAgain = await testApp.app.inject({ method: "GET", url });
    expect(cachedAgain.headers["x-cache"]).toBe("hit");
    expect(cachedAgain.json()).toEqual({ up: 1, down: 0, score: 1 });

    const text = await metricsText();
    expect(metricValue(text, "clickvote_cache_hits_total") - hitsBefore).toBe(2);
    expect(metricValue(text, "clickvote_cache_misses_total") - missesBefore).toBe(2);
  });

  it("ignores the cache=bypass parameter in production mode", async () => {
    const targetId = await createTarget();
    await testApp.app.inject({ method: "GET", url: `/api/targets/${targetId}/counts` });
    const response = await testApp.app.inject({ method: "GET", url: `/api/targets/${targetId}/counts?cache=bypass` });
    expect(response.headers["x-cache"]).toBe("hit");
  });
});

describe("health and metrics endpoints", () => {
  it("reports liveness and readiness with dependency status", async () => {
    const live = await testApp.app.inject({ method: "GET", url: "/healthz" });
    expect(live.statusCode).toBe(200);
    const ready = await testApp.app.inject({ method: "GET", url: "/readyz" });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: "ready", postgres: "ok", redis: "ok" });
  });

  it("fails readiness while draining even though dependencies are fine", async () => {
    testApp.lifecycle.draining = true;
    try {
      const ready = await testApp.app.inject({ method: "GET", url: "/readyz" });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({ status: "draining", postgres: "ok" });
      expect((await testApp.app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
    } finally {
      testApp.lifecycle.draining = false;
    }
  });

  it("exposes Prometheus text with request metrics by route template and default process metrics", async () => {
    const targetId = await createTarget();
    await testApp.app.inject({ method: "GET", url: `/api/targets/${targetId}/counts` });
    const response = await testApp.app.inject({ method: "GET", url: "/metrics" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toContain("text/plain");
    const text = response.body;
    expect(metricValue(text, "http_requests_total", { route: "/api/targets/:targetId/counts", status_code: "200", method: "GET" })).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, "http_request_duration_seconds_count", { route: "/api/targets", status_code: "201" })).toBeGreaterThanOrEqual(1);
    expect(text).toContain("process_cpu_user_seconds_total");
    expect(text).toContain("nodejs_eventloop_lag_seconds");
    // Raw ids must not become label values (unbounded cardinality).
    expect(text).not.toContain(targetId);
  });
});

describe("bad input gets a JSON 4xx", () => {
  it("rejects malformed JSON with 400", async () => {
    const response = await testApp.app.inject({
      method: "POST",
      url: "/api/targets",
      headers: { "content-type": "application/json" },
      payload: '{"name": "x"',
    });
    expectError(response, 400, "invalid_json");
  });

  it("rejects an empty JSON body with 400", async () => {
    const response = await testApp.app.inject({
      method: "POST",
      url: "/api/targets",
      headers: { "content-type": "application/json" },
      payload: "",
    });
    expectError(response, 400, "empty_body");
  });

  it("rejects bodies over 16 KiB with 413", async () => {
    const response = await testApp.app.inject({
      method: "POST",
      url: "/api/targets",
      headers: { "content-type": "application/json" },
      payload: JSON.stringify({ name: "x".repeat(20_000) }),
    });
    expectError(response, 413, "payload_too_large");
  });

  it("rejects non-JSON content types with 415", async () => {
    for (const contentType of ["text/plain", "application/x-www-form-urlencoded", "application/xml"]) {
      const response = await testApp.app.inject({
        method: "POST",
        url: "/api/targets",
        headers: { "content-type": contentType },
        payload: "name=x",
      });
      expectError(response, 415, "unsupported_media_type");
    }
  });

  it("rejects a body sent without any content type with 415", async () => {
    const response = await testApp.app.inject({ method: "POST", url: "/api/targets", payload: Buffer.from('{"name":"x"}') });
    expectError(response, 415, "unsupported_media_type");
  });

  it("rejects missing, blank, too long, wrongly typed and unknown fields with 400", async () => {
    const payloads: unknown[] = [{}, { name: "" }, { name: "   " }, { name: "x".repeat(201) }, { name: 42 }, { name: "ok", extra: true }, [], "text", null];
    for (const payload of payloads) {
      const response = await testApp.app.inject({
        method: "POST",
        url: "/api/targets",
        headers: { "content-type": "application/json" },
        payload: JSON.stringify(payload),
      });
      expectError(response, 400, "validation_failed");
    }
  });

  it("rejects invalid vote values and missing vote bodies with 400, writing nothing", async () => {
    const targetId = await createTarget();
    const voter = randomUUID();
    for (const value of ["sideways", "", "UP", 1, null, true]) {
      expectError(await vote(targetId, voter, value as string), 400, "validation_failed");
    }
    const noBody = await testApp.app.inject({ method: "PUT", url: `/api/targets/${targetId}/votes/${voter}` });
    expectError(noBody, 400, "validation_failed");
    const counts = await testApp.app.inject({ method: "GET", url: `/api/targets/${targetId}/counts` });
    expect(counts.json()).toEqual({ up: 0, down: 0, score: 0 });
  });

  it("rejects ids that are not UUIDs with 400", async () => {
    expectError(await testApp.app.inject({ method: "GET", url: "/api/targets/not-a-uuid" }), 400, "validation_failed");
    expectError(await testApp.app.inject({ method: "GET", url: "/api/targets/123/counts" }), 400, "validation_failed");
    const targetId = await createTarget();
    expectError(await vote(targetId, "voter-1", "up"), 400, "validation_failed");
    expectError(await vote("1' OR '1'='1", randomUUID(), "up"), 400, "validation_failed");
  });

  it("answers 404 for unknown targets on every route", async () => {
    const unknown = randomUUID();
    expectError(await testApp.app.inject({ method: "GET", url: `/api/targets/${unknown}` }), 404, "target_not_found");
    expectError(await testApp.app.inject({ method: "GET", url: `/api/targets/${unknown}/counts` }), 404, "target_not_found");
    expectError(await vote(unknown, randomUUID(), "up"), 404, "target_not_found");
  });

  it("answers 404 with a JSON body for unknown routes", async () => {
    expectError(await testApp.app.inject({ method: "GET", url: "/nope" }), 404, "not_found");
    expectError(await testApp.app.inject({ method: "PATCH", url: "/api/targets" }), 404, "not_found");
  });

  it("rejects prototype poisoning attempts with 400", async () => {
    const response = await testApp.app.inject({
      method: "POST",
      url: "/api/targets",
      headers: { "content-type": "application/json" },
      payload: '{"name":"x","__proto__":{"admin":true}}',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json<ErrorResponse>().error.code).toBeTypeOf("string");
  });
});
