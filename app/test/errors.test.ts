// Which failures a client may retry: SQLSTATEs and driver errors → status, code, Retry-After.
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POOL_TIMING } from "../src/db.js";
import { classifyError } from "../src/errors.js";
import { createTestApp, type TestApp } from "./support/app.js";
import { createMigratedDatabase, redisUrl } from "./support/services.js";

function databaseError(code: string): pg.DatabaseError {
  const error = new pg.DatabaseError(`server said ${code}`, 0, "error");
  error.code = code;
  return error;
}

function networkError(code: string): Error {
  return Object.assign(new Error(`socket said ${code}`), { code });
}

const BUSY = { status: 503, code: "database_busy", retryAfter: 1 };
const UNAVAILABLE = { status: 503, code: "database_unavailable", retryAfter: 5 };
const BUG = { status: 500, code: "internal_error", retryAfter: undefined };

describe("classifyError: database failures", () => {
  it.each([
    ["40001 serialization_failure", databaseError("40001"), BUSY],
    ["40P01 deadlock_detected", databaseError("40P01"), BUSY],
    ["55P03 lock_not_available", databaseError("55P03"), BUSY],
    ["57014 query_canceled (statement_timeout)", databaseError("57014"), BUSY],
    ["client-side query_timeout", new Error("Query read timeout"), BUSY],
    ["57P01 admin_shutdown", databaseError("57P01"), UNAVAILABLE],
    ["57P02 crash_shutdown", databaseError("57P02"), UNAVAILABLE],
    ["57P03 cannot_connect_now", databaseError("57P03"), UNAVAILABLE],
    ["57P05 idle_session_timeout", databaseError("57P05"), UNAVAILABLE],
    ["25P03 idle_in_transaction_session_timeout", databaseError("25P03"), UNAVAILABLE],
    ["08000 connection_exception", databaseError("08000"), UNAVAILABLE],
    ["08003 connection_does_not_exist", databaseError("08003"), UNAVAILABLE],
    ["08006 connection_failure", databaseError("08006"), UNAVAILABLE],
    ["08P01 protocol_violation", databaseError("08P01"), UNAVAILABLE],
    ["53000 insufficient_resources", databaseError("53000"), UNAVAILABLE],
    ["53100 disk_full", databaseError("53100"), UNAVAILABLE],
    ["53200 out_of_memory", databaseError("53200"), UNAVAILABLE],
    ["53300 too_many_connections", databaseError("53300"), UNAVAILABLE],
    ["53400 configuration_limit_exceeded", databaseError("53400"), UNAVAILABLE],
    ["28P01 invalid_password", databaseError("28P01"), UNAVAILABLE],
    ["ECONNREFUSED", networkError("ECONNREFUSED"), UNAVAILABLE],
    ["ECONNRESET", networkError("ECONNRESET"), UNAVAILABLE],
    ["ETIMEDOUT", networkError("ETIMEDOUT"), UNAVAILABLE],
    ["EHOSTUNREACH", networkError("EHOSTUNREACH"), UNAVAILABLE],
    ["ENOTFOUND", networkError("ENOTFOUND"), UNAVAILABLE],
    ["EAI_AGAIN", networkError("EAI_AGAIN"), UNAVAILABLE],
    ["pool checkout timeout", new Error("timeout exceeded when trying to connect"), UNAVAILABLE],
    ["connection timeout", new Error("Connection terminated due to connection timeout"), UNAVAILABLE],
    ["connection lost", new Error("Connection terminated unexpectedly"), UNAVAILABLE],
    ["broken client", new Error("Client has encountered a connection error and is not queryable"), UNAVAILABLE],
    ["42P01 undefined_table (schema not migrated)", databaseError("42P01"), BUG],
    ["42703 undefined_column", databaseError("42703"), BUG],
    ["23505 unique_violation", databaseError("23505"), BUG],
    ["22P02 invalid_text_representation", databaseError("22P02"), BUG],
    ["40002 integrity_constraint_violation at commit", databaseError("40002"), BUG],
    ["57P04 database_dropped", databaseError("57P04"), BUG],
    ["XX000 internal_error", databaseError("XX000"), BUG],
    ["a plain bug", new TypeError("cannot read properties of undefined"), BUG],
    ["a message merely mentioning a timeout", new Error("Query read timeout while parsing"), BUG],
  ])("%s", (_name, error, expected) => {
    const classified = classifyError(error, false);
    expect(classified.statusCode).toBe(expected.status);
    expect(classified.body.error.code).toBe(expected.code);
    expect(classified.retryAfterSeconds).toBe(expected.retryAfter);
    expect(classified.body.error).not.toHaveProperty("detail");
  });

  it("adds the underlying message as detail only when asked to (development mode)", () => {
    expect(classifyError(databaseError("57014"), true).body.error.detail).toBe("server said 57014");
  });
});

describe("a real statement timeout through the API", () => {
  let database: { url: string; drop: () => Promise<void> };
  let testApp: TestApp;

  beforeAll(async () => {
    database = await createMigratedDatabase();
    testApp = await createTestApp({ databaseUrl: database.url, redisUrl: redisUrl(), appMode: "development" });
  });

  afterAll(async () => {
    await testApp.close();
    await database.drop();
  });

  it("answers 503 database_busy with Retry-After: 1 instead of 500, and works again once the lock is gone", async () => {
    const created = await testApp.app.inject({ method: "POST", url: "/api/targets", payload: { name: "locked" } });
    const targetId = created.json<{ id: string }>().id;
    const blocker = new pg.Client({ connectionString: database.url });
    await blocker.connect();
    try {
      await blocker.query("BEGIN");
      await blocker.query("LOCK TABLE votes IN ACCESS EXCLUSIVE MODE");
      const started = Date.now();
      const read = await testApp.app.inject({ method: "GET", url: `/api/targets/${targetId}/counts?cache=bypass` });
      const elapsed = Date.now() - started;
      expect(read.statusCode).toBe(503);
      expect(read.headers["retry-after"]).toBe("1");
      expect(read.json<{ error: { code: string; detail: string } }>().error).toMatchObject({
        code: "database_busy",
        detail: expect.stringMatching(/statement timeout/) as unknown,
      });
      expect(elapsed).toBeGreaterThanOrEqual(POOL_TIMING.statementTimeoutMs - 100);
      expect(elapsed).toBeLessThan(POOL_TIMING.queryTimeoutMs);
      const vote = await testApp.app.inject({ method: "PUT", url: `/api/targets/${targetId}/votes/${randomUUID()}`, payload: { value: "up" } });
      expect(vote.statusCode).toBe(503);
      expect(vote.headers["retry-after"]).toBe("1");
    } finally {
      await blocker.query("ROLLBACK");
      await blocker.end();
    }
    const again = await testApp.app.inject({ method: "GET", url: `/api/targets/${targetId}/counts?cache=bypass` });
    expect(again.statusCode).toBe(200);
  }, 30_000);
});
