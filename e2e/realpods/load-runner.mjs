// The load process of e2e/realpods/load.ts (started by startLoad, never by hand): autocannon
// against the app, votes and count reads on one or more targets, until its stdin closes. Runs in a
// process of its own so that nothing the test process does (a blocking call, a slow kubectl) can
// pause the requests. Writes its figures as JSON to the file named in its options, then exits.
//
//   node load-runner.mjs '<json options>'
//   options: { base, targets: string[], connections, overallRate, timeoutSeconds, resultFile, kinds: ("vote"|"read")[] }
//
// Counted here, per second since the start and per request kind: 2xx and non-2xx answers (from
// each request's onResponse), connection errors and timeouts (autocannon's reqError; a timeout is
// also an error), and requests lost without an answer when the server closed the connection (see
// setupClient below: autocannon 9.0.0 itself does not count those). Votes are PUT /api/targets/:id/votes/<new uuid> {"value": "up"|"down"}, so every
// 2xx vote is one new vote; their 2xx answers are counted per target and value.
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import autocannon from "autocannon";

const opts = JSON.parse(process.argv[2]);
const started = Date.now();
const second = () => Math.floor((Date.now() - started) / 1000);
const timeline = []; // index: second since start → { ok, non2xx, errors }
const bucket = () => (timeline[second()] ??= { ok: 0, non2xx: 0, errors: 0 });
const kinds = {
  vote: { ok: 0, non2xx: 0, statuses: {} },
  read: { ok: 0, non2xx: 0, statuses: {} },
};
const committed = {}; // target → { up, down }: votes answered 2xx
const failures = []; // the first few, with the time since start
const note = (what) => {
  if (failures.length < 20) failures.push(`${((Date.now() - started) / 1000).toFixed(1)}s ${what}`);
};
const answered = (kind, status, label) => {
  const k = kinds[kind];
  k.statuses[status] = (k.statuses[status] ?? 0) + 1;
  if (status >= 200 && status < 300) {
    k.ok++;
    bucket().ok++;
    return true;
  }
  k.non2xx++;
  bucket().non2xx++;
  note(`HTTP ${status} ${label}`);
  return false;
};

let n = 0;
const requests = [];
for (const target of opts.targets) {
  committed[target] = { up: 0, down: 0 };
  if (opts.kinds.includes("vote")) {
    requests.push({
      method: "PUT",
      headers: { "content-type": "application/json" },
      setupRequest: (req, context) => {
        const value = n++ % 2 === 0 ? "up" : "down";
        context.value = value;
        return { ...req, path: `/api/targets/${target}/votes/${randomUUID()}`, body: JSON.stringify({ value }) };
      },
      onResponse: (status, _body, context) => {
        if (answered("vote", status, "PUT vote")) committed[target][context.value]++;
      },
    });
  }
  if (opts.kinds.includes("read")) {
    requests.push({ method: "GET", path: `/api/targets/${target}/counts`, onResponse: (status) => answered("read", status, "GET counts") });
  }
}

// autocannon 9.0.0 (pinned) reconnects silently when the server ends a connection ('end') with a
// request in flight: that request is neither answered nor counted, and it stays first in the
// client's queue, so every later answer on that client is attributed to the request before it
// (a vote's 201 to a read). The same queue is not cleared after a connection error either. Each
// client's _connect (called for every new connection) is wrapped: a request still queued there
// is lost; it counts as an error unless autocannon already counted one for it (connError); the
// queue is emptied so answers match their requests again.
let lost = 0;
const setupClient = (client) => {
  // Another autocannon version may lack these internals: refuse to count rather than miscount.
  if (typeof client._connect !== "function" || typeof client.pipelinedRequests?.size !== "function" || typeof client.pipelinedRequests?.clear !== "function") {
    process.stderr.write(
      "load-runner: this autocannon version has no client._connect/pipelinedRequests; the lost-request count needs the pinned autocannon 9.0.0\n",
    );
    process.exit(2);
  }
  let errored = false;
  client.on("connError", () => (errored = true));
  const connect = client._connect;
  client._connect = function (...args) {
    const pending = client.pipelinedRequests.size();
    if (pending > 0 && !client.destroyed) {
      if (!errored) {
        lost += pending;
        bucket().errors += pending;
        note(`connection closed by the server with ${pending} request(s) in flight, no answer`);
      }
      client.pipelinedRequests.clear();
    }
    errored = false;
    return connect.apply(this, args);
  };
};

const instance = autocannon({
  setupClient,
  url: opts.base,
  connections: opts.connections,
  overallRate: opts.overallRate,
  timeout: opts.timeoutSeconds,
  duration: 24 * 3600, // until stdin closes
  requests,
});
instance.on("reqError", (error) => {
  bucket().errors++;
  note(`${error.code ?? error.name}: ${error.message}`);
});
instance.on("start", () => process.stdout.write("started\n"));
process.stdin.on("end", () => instance.stop());
process.stdin.resume();
instance.on("done", (result) => {
  const summary = {
    seconds: (Date.now() - started) / 1000,
    requests: result.requests.total,
    sent: result.requests.sent,
    ok: result["2xx"],
    non2xx: result.non2xx,
    errors: result.errors + lost,
    timeouts: result.timeouts,
    lost,
    resets: result.resets,
    reqPerSec: result.requests.average,
    latency: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    kinds,
    committed,
    timeline: Array.from(timeline, (b) => b ?? { ok: 0, non2xx: 0, errors: 0 }),
    failures,
  };
  fs.writeFileSync(opts.resultFile, JSON.stringify(summary));
  process.exit(0);
});
