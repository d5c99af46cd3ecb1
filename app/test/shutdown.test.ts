// Graceful shutdown and logging of the real compiled server, run as a child process.
import { randomUUID } from "node:crypto";
import http from "node:http";
import { connect, type Socket } from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { PG_PASSWORD, PG_USER, REDIS_PASSWORD, createMigratedDatabase, databaseUrl, redisUrl, startServer } from "./support/services.js";

let database: { url: string; drop: () => Promise<void> };

beforeAll(async () => {
  database = await createMigratedDatabase();
});

afterAll(async () => {
  await database.drop();
});

interface PlainResponse {
  status: number;
  body: string;
}

/** One request on a fresh connection (no keep-alive), so refusals are unambiguous. */
function request(port: number, method: string, path: string, body?: unknown): Promise<PlainResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const outgoing = http.request(
      {
        host: "127.0.0.1",
        port,
        method,
        path,
        agent: false,
        headers: payload === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
      },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          text += chunk;
        });
        response.on("end", () => {
          resolve({ status: response.statusCode ?? 0, body: text });
        });
        response.on("error", reject);
      },
    );
    outgoing.on("error", reject);
    outgoing.end(payload);
  });
}

/** Sends the request line and headers except the final blank line, so the request is started but not finished. */
function startPartialReadinessRequest(port: number): Promise<{ socket: Socket; finish: () => Promise<string> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port }, () => {
      socket.write("GET /readyz HTTP/1.1\r\nHost: localhost\r\n");
      let received = "";
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => {
        received += chunk;
      });
      const finished = new Promise<string>((done) => {
        socket.once("close", () => {
          done(received);
        });
      });
      resolve({
        socket,
        finish: async () => {
          socket.write("Connection: close\r\n\r\n");
          return finished;
        },
      });
    });
    socket.once("error", reject);
  });
}

async function lockVotesTable(): Promise<{ release: () => Promise<void>; waitingWriters: () => Promise<number> }> {
  const locker = new pg.Client({ connectionString: database.url });
  // The database is dropped WITH (FORCE) at the end; ignore the resulting disconnect.
  locker.on("error", () => undefined);
  await locker.connect();
  await locker.query("BEGIN");
  // EXCLUSIVE blocks inserts/updates but still allows the readiness SELECT 1 and count reads.
  await locker.query("LOCK TABLE votes IN EXCLUSIVE MODE");
  let released = false;
  return {
    release: async () => {
      if (released) return;
      released = true;
      await locker.query("COMMIT");
      await locker.end();
    },
    waitingWriters: async () => {
      // Inside a transaction pg_stat_activity is a frozen snapshot unless cleared.
      await locker.query("SELECT pg_stat_clear_snapshot()");
      const rows = await locker.query<{ waiting: string }>(
        "SELECT count(*) AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND application_name = 'clickvote'",
      );
      return Number(rows.rows[0]?.waiting ?? 0);
    },
  };
}

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function serverEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { DATABASE_URL: database.url, REDIS_URL: redisUrl(), LOG_LEVEL: "info", ...extra };
}

describe("graceful shutdown", () => {
  it("on SIGTERM fails readiness first, finishes in-flight requests under load, then exits 0", async () => {
    const server = await startServer(serverEnv({ SHUTDOWN_GRACE_MS: "15000" }));
    const created = await request(server.port, "POST", "/api/targets", { name: "shutdown" });
    const targetId = (JSON.parse(created.body) as { id: string }).id;

    // Hold the votes table so these writes are genuinely in flight when SIGTERM arrives.
    const lock = await lockVotesTable();
    onTestFinished(async () => {
      await lock.release();
      if (server.child.exitCode === null) server.child.kill("SIGKILL");
    });
    const voteCount = 8;
    const votes = Array.from({ length: voteCount }, () => request(server.port, "PUT", `/api/targets/${targetId}/votes/${randomUUID()}`, { value: "up" }));
    await until(async () => (await lock.waitingWriters()) === voteCount, 10_000);
    const readiness = await startPartialReadinessRequest(server.port);

    // Background load: a client that keeps reading counts through SIGTERM until the server is gone.
    let loadRunning = true;
    const loadResults: { status?: number; error?: string }[] = [];
    const load = (async () => {
      while (loadRunning) {
        try {
          const response = await request(server.port, "GET", `/api/targets/${targetId}/counts`);
          loadResults.push({ status: response.status });
        } catch (error) {
          loadResults.push({ error: (error as NodeJS.ErrnoException).code ?? String(error) });
          if ((error as NodeJS.ErrnoException).code === "ECONNREFUSED") loadRunning = false;
        }
      }
    })();

    // Let the load get going so SIGTERM lands in the middle of it.
    await until(async () => Promise.resolve(loadResults.filter((result) => result.status === 200).length >= 10), 10_000);
    server.child.kill("SIGTERM");
    await until(async () => Promise.resolve(server.stdout().includes("shutdown started")), 5_000);

    // New connections are refused while the old ones are still being served.
    await until(
      () =>
        request(server.port, "GET", "/healthz").then(
          () => false,
          (error: unknown) => (error as NodeJS.ErrnoException).code === "ECONNREFUSED",
        ),
      5_000,
    );
    const readinessReply = await readiness.finish();
    expect(readinessReply).toMatch(/^HTTP\/1\.1 503/);
    expect(readinessReply).toContain('"status":"draining"');
    expect(server.child.exitCode).toBeNull();

    await lock.release();
    const voteResponses = await Promise.all(votes);
    expect(voteResponses.map((response) => response.status)).toEqual(Array.from({ length: voteCount }, () => 201));
    expect(await server.exited).toBe(0);
    loadRunning = false;
    await load;

    // No request that reached the server failed; after SIGTERM new connections were refused.
    expect(loadResults.filter((result) => result.status !== undefined && result.status !== 200)).toEqual([]);
    expect(loadResults.filter((result) => result.status === 200).length).toBeGreaterThanOrEqual(10);
    // Failures may only be connection-level refusals of requests started after the listener closed.
    for (const result of loadResults.filter((entry) => entry.error !== undefined)) {
      expect(["ECONNREFUSED", "ECONNRESET"]).toContain(result.error);
    }

    const counts = new pg.Client({ connectionString: database.url });
    await counts.connect();
    const stored = await counts.query<{ n: string }>("SELECT count(*) AS n FROM votes WHERE target_id = $1", [targetId]);
    await counts.end();
    expect(Number(stored.rows[0]?.n)).toBe(voteCount);

    const log = server.stdout();
    expect(log.indexOf("shutdown started")).toBeLessThan(log.indexOf("shutdown complete"));
  });

  it("on SIGTERM, keep-alive clients get 'Connection: close' and leave before the server closes: no request on an open connection is reset", async () => {
    const server = await startServer(serverEnv({ SHUTDOWN_GRACE_MS: "15000" }));
    const created = await request(server.port, "POST", "/api/targets", { name: "keep-alive" });
    const targetId = (JSON.parse(created.body) as { id: string }).id;
    onTestFinished(() => {
      if (server.child.exitCode === null) server.child.kill("SIGKILL");
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    onTestFinished(() => {
      agent.destroy();
    });
    const get = (): Promise<{ status: number; connection: string; reused: boolean }> =>
      new Promise((resolve, reject) => {
        const outgoing = http.get({ host: "127.0.0.1", port: server.port, path: `/api/targets/${targetId}/counts`, agent }, (response) => {
          response.resume();
          response.on("end", () => {
            resolve({ status: response.statusCode ?? 0, connection: response.headers.connection ?? "", reused: outgoing.reusedSocket });
          });
          response.on("error", reject);
        });
        outgoing.on("error", (error: NodeJS.ErrnoException) => {
          reject(Object.assign(error, { reused: outgoing.reusedSocket }));
        });
      });
    // Four clients in a loop on the agent's four keep-alive connections, until a new connection is refused.
    const answers: { status: number; connection: string; reused: boolean }[] = [];
    const errors: { code: string; reused: boolean }[] = [];
    let stop = false;
    const loops = Array.from({ length: 4 }, async () => {
      while (!stop) {
        try {
          answers.push(await get());
        } catch (error) {
          const e = error as NodeJS.ErrnoException & { reused?: boolean };
          errors.push({ code: e.code ?? String(error), reused: e.reused === true });
          if (e.code === "ECONNREFUSED") return;
        }
      }
    });
    await until(async () => Promise.resolve(answers.filter((a) => a.reused).length >= 40), 10_000);
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    stop = true;
    await Promise.all(loops);

    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    // The draining server asked the clients to close their connections.
    expect(answers.some((a) => a.connection === "close")).toBe(true);
    // A request sent on an open keep-alive connection is answered, never reset. Only new
    // connections may fail (refused, or reset when the server closes): in Kubernetes none reach a
    // terminating pod, whose endpoint is gone before SIGTERM.
    expect(errors.filter((e) => e.reused)).toEqual([]);
    expect(errors.filter((e) => !["ECONNREFUSED", "ECONNRESET"].includes(e.code))).toEqual([]);
  });

  it("forces a non-zero exit when in-flight work outlasts SHUTDOWN_GRACE_MS", async () => {
    const server = await startServer(serverEnv({ SHUTDOWN_GRACE_MS: "1000" }));
    const created = await request(server.port, "POST", "/api/targets", { name: "stuck" });
    const targetId = (JSON.parse(created.body) as { id: string }).id;
    const lock = await lockVotesTable();
    try {
      const stuckVote = request(server.port, "PUT", `/api/targets/${targetId}/votes/${randomUUID()}`, { value: "down" }).catch(() => undefined);
      await until(async () => (await lock.waitingWriters()) === 1, 10_000);
      const signalledAt = Date.now();
      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(1);
      const elapsed = Date.now() - signalledAt;
      expect(elapsed).toBeGreaterThanOrEqual(900);
      expect(elapsed).toBeLessThan(5_000);
      expect(server.stdout()).toContain("grace period exceeded");
      await stuckVote;
    } finally {
      await lock.release();
    }
  });
});

describe("logs", () => {
  it("are JSON lines and never contain the database or Redis password, even on errors in development mode", async () => {
    const wrongPassword = "wrong-pw-5b7e1d-secret";
    const badDatabaseUrl = database.url.replace(encodeURIComponent(PG_PASSWORD), wrongPassword);
    expect(badDatabaseUrl).toContain(wrongPassword);
    const server = await startServer({
      DATABASE_URL: badDatabaseUrl,
      REDIS_URL: redisUrl(),
      APP_MODE: "development",
    });
    try {
      const ready = await request(server.port, "GET", "/readyz");
      expect(ready.status).toBe(503);
      const create = await request(server.port, "POST", "/api/targets", { name: "x" });
      expect(create.status).toBe(503);
      const body = JSON.parse(create.body) as { error: { code: string; detail?: string } };
      expect(body.error.code).toBe("database_unavailable");
      // Development mode adds the underlying reason.
      expect(body.error.detail).toContain("password authentication failed");
      expect(create.body).not.toContain(wrongPassword);
    } finally {
      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
    }
    const output = server.stdout() + server.stderr();
    expect(output).toContain('"level":"debug"');
    expect(output).toContain("REDACTED");
    for (const secret of [wrongPassword, PG_PASSWORD, REDIS_PASSWORD]) expect(output).not.toContain(secret);
    for (const line of server.stdout().trim().split("\n")) expect(() => JSON.parse(line) as unknown).not.toThrow();
    // Sanity check that the secrets would be visible if logged: the URL really carried them.
    expect(databaseUrl("x")).toContain(PG_USER);
  });
});
