// e2e/realpods/load.ts: the pure helpers, and the load process against a local server (loopback)
// that answers some requests with 503 and drops one connection, to check what it counts.
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeLoad, failed, longestSilence, startLoad, type LoadResult } from "../e2e/realpods/load";

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
    kinds: { vote: { ok: 497, non2xx: 3, statuses: { "201": 497, "503": 3 } }, read: { ok: 500, non2xx: 0, statuses: { "200": 500 } } },
    committed: { t: { up: 249, down: 248 } },
    timeline: [tick(100)],
    failures: ["1.0s HTTP 503 PUT vote"],
  };
  it("counts non-2xx answers and errors (timeouts are errors) as failed", () => {
    expect(failed(result)).toBe(5);
  });
  it("prints counts, rate and latencies", () => {
    const line = describeLoad(result);
    expect(line).toContain("1002 requests in 10.0 s, 997 2xx, 3 non-2xx, 2 errors (1 timeouts, 0 lost on a closed connection), failed 5");
    expect(line).toContain("100.0 req/s, p50 4 ms, p99 20 ms");
    expect(line).toContain("votes 497 2xx/3 non-2xx, reads 500 2xx/0 non-2xx");
    expect(line).toContain("first failures: 1.0s HTTP 503 PUT vote");
  });
});

describe("startLoad against a local server", () => {
  let server: http.Server;
  let base = "";
  const votes = new Map<string, string>();
  let puts = 0;
  let dropped = false;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        const vote = /^\/api\/targets\/([^/]+)\/votes\/([^/]+)$/.exec(req.url ?? "");
        if (req.method === "PUT" && vote) {
          puts++;
          if (puts === 7 && !dropped) {
            dropped = true;
            req.socket.destroy(); // no answer: a connection error for the client
            return;
          }
          if (puts % 10 === 0) {
            res.writeHead(503).end("{}");
            return;
          }
          votes.set(vote[2], (JSON.parse(body) as { value: string }).value);
          res.writeHead(201, { "content-type": "application/json" }).end("{}");
          return;
        }
        if (req.method === "GET" && /^\/api\/targets\/[^/]+\/counts$/.test(req.url ?? "")) {
          res.writeHead(200, { "content-type": "application/json" }).end("{}");
          return;
        }
        res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("sends votes with a new voter id each and reads, counts 2xx votes per target and value, non-2xx and errors", async () => {
    const load = await startLoad({ base, targets: ["t1"], connections: 2, overallRate: 200 });
    await new Promise((r) => setTimeout(r, 2_500));
    const r = await load.stop();
    expect(r.kinds.vote.ok).toBeGreaterThan(50);
    expect(r.kinds.read.ok).toBeGreaterThan(50);
    // every 2xx vote is a distinct voter the server stored, with the value the runner counted; the
    // server may have stored up to one more vote per connection, answered after the stop
    const stored = [...votes.values()];
    const storedUp = stored.filter((v) => v === "up").length;
    expect(r.committed.t1.up + r.committed.t1.down).toBe(r.kinds.vote.ok);
    expect(stored.length - r.kinds.vote.ok).toBeGreaterThanOrEqual(0);
    expect(stored.length - r.kinds.vote.ok).toBeLessThanOrEqual(2);
    expect(storedUp - r.committed.t1.up).toBeGreaterThanOrEqual(0);
    expect(storedUp - r.committed.t1.up).toBeLessThanOrEqual(2);
    expect(r.kinds.vote.statuses["503"]).toBe(r.non2xx);
    expect(r.non2xx).toBeGreaterThan(0);
    // the dropped connection: one vote lost, counted as an error, and the answers after it still
    // matched to their requests (reads never get a vote's 201 or 503)
    expect(r.lost).toBe(1);
    expect(r.errors).toBe(1);
    expect(Object.keys(r.kinds.read.statuses)).toEqual(["200"]);
    expect(failed(r)).toBe(r.non2xx + 1);
    expect(r.ok + r.non2xx).toBe(r.requests);
    expect(r.timeline.length).toBeGreaterThanOrEqual(2);
    expect(longestSilence(r.timeline).seconds).toBe(0);
  });
});
