// e2e/realpods/load.ts: the pure helpers, how it finds vegeta, and the load process (vegeta) against
// local servers on loopback: 503s, a connection destroyed with a vote or a read in flight, answers
// with `Connection: close`, requests never answered, the rate, and the 2xx votes against what the
// server stored. Without vegeta on this machine those are skipped, saying so in their titles.
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { describeLoad, failed, findVegeta, longestSilence, startLoad, type LoadOptions, type LoadResult } from "../e2e/realpods/load";

const tick = (ok: number, non2xx = 0, errors = 0) => ({ ok, non2xx, errors });

describe("longestSilence", () => {
  it("finds the longest run of seconds without an answer, errors included as silence, the cut-short last second ignored", () => {
    expect(longestSilence([tick(5), tick(0), tick(0, 0, 3), tick(0), tick(4), tick(0), tick(0)])).toEqual({ seconds: 3, from: 1 });
    expect(longestSilence([tick(5), tick(1, 2), tick(0)])).toEqual({ seconds: 0, from: 0 });
    expect(longestSilence([])).toEqual({ seconds: 0, from: 0 });
  });
});

describe("failed and describeLoad", () => {
  const result: LoadResult = {
    seconds: 10,
    requests: 1000,
    sent: 1002,
    ok: 997,
    non2xx: 3,
    errors: 2,
    timeouts: 1,
    lost: 0,
    resets: 0,
    reqPerSec: 100,
    latency: { p50: 4, p90: 9, p99: 20, max: 51 },
    kinds: {
      vote: { ok: 497, non2xx: 3, errors: 2, statuses: { "201": 497, "503": 3 } },
      read: { ok: 500, non2xx: 0, errors: 0, statuses: { "200": 500 } },
    },
    committed: { t: { up: 249, down: 248 } },
    timeline: [tick(100)],
    failures: ["1.0s HTTP 503 PUT vote"],
  };
  it("counts non-2xx answers and errors (timeouts are errors) as failed", () => {
    expect(failed(result)).toBe(5);
  });
  it("prints counts, rate and latencies", () => {
    const line = describeLoad(result);
    expect(line).toContain("1002 requests in 10.0 s, 997 2xx, 3 non-2xx, 2 errors (1 timeouts, 0 resets, 0 lost on a closed connection, 1 other), failed 5");
    expect(line).toContain("100.0 req/s, p50 4 ms, p99 20 ms");
    expect(line).toContain("votes 497 2xx/3 non-2xx/2 errors, reads 500 2xx/0 non-2xx;");
    expect(line).toContain("first failures: 1.0s HTTP 503 PUT vote");
  });
});

describe("findVegeta", () => {
  it("takes CLICKVOTE_VEGETA when set, and says so when it is not an executable", () => {
    expect(findVegeta({ CLICKVOTE_VEGETA: process.execPath })).toEqual({ path: process.execPath });
    expect(findVegeta({ CLICKVOTE_VEGETA: "/nonexistent/vegeta" })).toEqual({ reason: "CLICKVOTE_VEGETA=/nonexistent/vegeta is not an executable file" });
  });
  it("without it in the realpods bin directory nor on PATH, names the script that builds it", () => {
    const r = findVegeta({ CLICKVOTE_REALPODS_BIN: os.tmpdir(), PATH: "" });
    expect(r).toEqual({ reason: expect.stringContaining("e2e/realpods/toolchain.sh builds it") });
    expect("reason" in r && r.reason).toContain(path.join(os.tmpdir(), "vegeta"));
  });
  it("startLoad fails, naming the toolchain script, when the binary is missing", async () => {
    await expect(startLoad({ base: "http://127.0.0.1:9", targets: ["t"], vegeta: "/nonexistent/vegeta" })).rejects.toThrow(
      /vegeta is not installed: \/nonexistent\/vegeta is not an executable file; e2e\/realpods\/toolchain\.sh builds it/,
    );
  });
});

// ---- the load process against local servers --------------------------------------------------------
const found = findVegeta();
const missing = "reason" in found ? found.reason : undefined;
const needsVegeta = (title: string) => (missing ? `${title} (SKIPPED: vegeta is not installed here: ${missing})` : title);

interface Seen {
  /** requests the server read in full, by method */
  puts: number;
  gets: number;
  connections: number;
  /** votes answered 2xx: voter → value */
  votes: Map<string, string>;
}
/** Returns true when it dealt with the request (answered it, or will not). */
type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string, seen: Seen) => boolean;
const VOTE = /^\/api\/targets\/([^/]+)\/votes\/([^/]+)$/;
const READ = /^\/api\/targets\/[^/]+\/counts$/;

/** A loopback server: `handle` gets every request in full; what it does not answer falls to the app's two routes. */
async function withServer(handle: Handler | undefined, fn: (base: string, seen: Seen) => Promise<void>): Promise<void> {
  const seen: Seen = { puts: 0, gets: 0, connections: 0, votes: new Map() };
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      if (req.method === "PUT") seen.puts++;
      if (req.method === "GET") seen.gets++;
      if (handle?.(req, res, body, seen)) return;
      const vote = VOTE.exec(req.url ?? "");
      if (req.method === "PUT" && vote) {
        seen.votes.set(vote[2], (JSON.parse(body) as { value: string }).value);
        res.writeHead(201, { "content-type": "application/json" }).end("{}");
      } else if (req.method === "GET" && READ.test(req.url ?? "")) {
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      } else res.writeHead(404).end();
    });
  });
  server.on("connection", () => seen.connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
async function loadFor(ms: number, options: LoadOptions): Promise<LoadResult> {
  const load = await startLoad(options);
  await new Promise((r) => setTimeout(r, ms));
  return load.stop();
}
/** The 2xx votes the runner counted are exactly the votes the server stored, per value. */
function expectCommittedAsStored(r: LoadResult, target: string, seen: Seen) {
  const stored = [...seen.votes.values()];
  expect(r.committed[target].up + r.committed[target].down).toBe(r.kinds.vote.ok);
  expect(r.committed[target]).toEqual({ up: stored.filter((v) => v === "up").length, down: stored.filter((v) => v === "down").length });
}

describe("startLoad against a local server (vegeta)", () => {
  it.skipIf(missing)(
    needsVegeta(
      "sends votes with a new voter id each and reads, counts 2xx votes per target and value as the server stored them, non-2xx answers, and a vote whose connection was destroyed unanswered as an error",
    ),
    async () => {
      let dropped = false;
      await withServer(
        (req, res, _body, seen) => {
          if (req.method !== "PUT") return false;
          if (seen.puts === 7 && !dropped) {
            dropped = true;
            req.socket.destroy(); // no answer: the vote is lost for the client
            return true;
          }
          if (seen.puts % 10 !== 0) return false;
          res.writeHead(503).end("{}");
          return true;
        },
        async (base, seen) => {
          const r = await loadFor(2_500, { base, targets: ["t1"], connections: 2, overallRate: 200 });
          expect(r.kinds.vote.ok).toBeGreaterThan(50);
          expect(r.kinds.read.ok).toBeGreaterThan(50);
          // every request the server read has a result: vegeta waits for the ones in flight at the stop
          expect(r.sent).toBe(seen.puts + seen.gets);
          expectCommittedAsStored(r, "t1", seen);
          expect(r.kinds.vote.statuses["503"]).toBe(r.non2xx);
          expect(r.non2xx).toBeGreaterThan(0);
          // the destroyed connection: one vote without an answer, an error (not retried: a PUT)
          expect(r.errors).toBe(1);
          expect(r.lost).toBe(1);
          expect(r.kinds.vote.errors).toBe(1);
          expect(r.failures.filter((f) => f.includes("PUT vote: EOF"))).toHaveLength(1);
          expect(Object.keys(r.kinds.read.statuses)).toEqual(["200"]);
          expect(failed(r)).toBe(r.non2xx + 1);
          expect(r.ok + r.non2xx).toBe(r.requests);
          expect(r.requests + r.errors).toBe(r.sent);
          expect(r.timeline.length).toBeGreaterThanOrEqual(2);
          expect(longestSilence(r.timeline).seconds).toBe(0);
        },
      );
    },
  );

  it.skipIf(missing)(
    needsVegeta("answers with Connection: close and the socket closed after each: no request fails, and each one has a connection of its own"),
    async () => {
      await withServer(
        (_req, res) => {
          res.setHeader("connection", "close"); // Node.js closes the socket once the answer is written
          return false;
        },
        async (base, seen) => {
          const r = await loadFor(2_500, { base, targets: ["t1"], connections: 4, overallRate: 150 });
          expect(r.sent).toBeGreaterThan(300);
          expect(failed(r)).toBe(0);
          expect(r.failures).toEqual([]);
          expect(r.ok).toBe(r.sent);
          // the client honoured the header: no second request on any connection
          expect(seen.connections).toBe(r.sent);
          expectCommittedAsStored(r, "t1", seen);
        },
      );
    },
  );

  it.skipIf(missing)(
    needsVegeta(
      "a connection the server destroys unanswered: Go's client sends a GET again on another connection when the destroyed one had been reused, not when it was new, and never a PUT",
    ),
    async () => {
      await withServer(
        (req, _res, _body, seen) => {
          // one connection at a time: the 10th vote's had carried many requests; the 10th read,
          // right after it, is the first request on a new one; the 20th read's has been reused
          const destroy = (req.method === "PUT" && seen.puts === 10) || (req.method === "GET" && (seen.gets === 10 || seen.gets === 20));
          if (destroy) req.socket.destroy();
          return destroy;
        },
        async (base, seen) => {
          const r = await loadFor(1_500, { base, targets: ["t1"], connections: 1, overallRate: 100 });
          expect(r.failures).toEqual([expect.stringMatching(/s PUT vote: EOF$/), expect.stringMatching(/s GET counts: EOF$/)]);
          expect(r.errors).toBe(2);
          expect(r.lost).toBe(2);
          expect(r.kinds.vote.errors).toBe(1);
          expect(r.kinds.read.errors).toBe(1);
          // the server read two GETs more than the client counted answered: the 10th, an error, and
          // the 20th, sent again and answered
          expect(seen.gets).toBe(r.kinds.read.ok + 2);
          expect(seen.puts).toBe(r.kinds.vote.ok + 1);
          expect(r.sent).toBe(seen.puts + seen.gets - 1);
          expectCommittedAsStored(r, "t1", seen);
        },
      );
    },
  );

  it.skipIf(missing)(needsVegeta("counts a request never answered as a timeout, and waits for it at the stop"), async () => {
    await withServer(
      (req, _res, _body, seen) => {
        return req.method === "GET" && seen.gets % 10 === 0; // never answered
      },
      async (base, seen) => {
        // A request never answered holds its connection for the 1 s timeout, and the next request
        // on that connection waits for it: 8 connections at 20 req/s send on each every 400 ms,
        // so that one still has 600 ms for its answer, and only the unanswered ones time out.
        const r = await loadFor(3_000, { base, targets: ["t1"], connections: 8, overallRate: 20, timeoutSeconds: 1 });
        expect(r.timeouts).toBeGreaterThan(0);
        expect(r.errors).toBe(r.timeouts);
        expect(r.kinds.read.errors).toBe(r.timeouts);
        expect(r.timeouts).toBe(Math.floor(seen.gets / 10));
        expect(r.failures[0]).toMatch(/GET counts: .*Client\.Timeout exceeded/);
        expect(r.sent).toBe(seen.puts + seen.gets);
      },
    );
  });

  it.skipIf(missing)(
    needsVegeta("spreads the requests evenly over `connections` kept-alive connections, each request with the app's Host header"),
    async () => {
      const perSocket = new Map<unknown, { votes: number; reads: number }>();
      const hosts = new Set<string>();
      await withServer(
        (req) => {
          const n = perSocket.get(req.socket) ?? { votes: 0, reads: 0 };
          if (req.method === "PUT") n.votes++;
          else n.reads++;
          perSocket.set(req.socket, n);
          hosts.add(req.headers.host ?? "");
          return false;
        },
        async (base, seen) => {
          const r = await loadFor(2_000, { base, targets: ["t1"], connections: 4, overallRate: 100 });
          expect(failed(r)).toBe(0);
          expect(seen.connections).toBe(4);
          const counts = [...perSocket.values()];
          expect(counts).toHaveLength(4);
          // in turn: no connection more than one request ahead of another, and both kinds on each
          const totals = counts.map((c) => c.votes + c.reads);
          expect(Math.max(...totals) - Math.min(...totals)).toBeLessThanOrEqual(1);
          for (const c of counts) expect(Math.min(c.votes, c.reads)).toBeGreaterThan(10);
          expect([...hosts]).toEqual([new URL(base).host]);
        },
      );
    },
  );

  it.skipIf(missing)(needsVegeta("sends at the rate asked for, second by second"), async () => {
    await withServer(undefined, async (base, seen) => {
      const r = await loadFor(3_000, { base, targets: ["t1", "t2"], connections: 2, overallRate: 100 });
      expect(r.sent).toBe(seen.puts + seen.gets);
      expect(r.sent).toBeGreaterThanOrEqual(270);
      expect(r.sent).toBeLessThanOrEqual(330);
      expect(r.reqPerSec).toBeGreaterThan(90);
      expect(r.reqPerSec).toBeLessThan(110);
      // the full seconds (the last one is cut short by the stop), with room for a busy machine
      for (const second of r.timeline.slice(0, -1)) {
        expect(second.ok).toBeGreaterThanOrEqual(75);
        expect(second.ok).toBeLessThanOrEqual(125);
      }
      // both targets get votes, up and down in turn on each
      for (const t of ["t1", "t2"]) expect(Math.abs(r.committed[t].up - r.committed[t].down)).toBeLessThanOrEqual(1);
      expect(r.committed.t1.up + r.committed.t1.down + r.committed.t2.up + r.committed.t2.down).toBe(seen.votes.size);
    });
  });
});
