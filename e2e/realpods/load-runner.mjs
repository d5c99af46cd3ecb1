// The load process of e2e/realpods/load.ts (started by startLoad, never by hand): vegeta against
// the app, votes and count reads on one or more targets, until its stdin closes. Runs in a process
// of its own so that nothing the test process does (a blocking call, a slow kubectl) can pause the
// requests. Writes its figures as JSON to the file named in its options, then exits.
//
//   node load-runner.mjs '<json options>'
//   options: { base, targets: string[], connections, overallRate, timeoutSeconds, resultFile,
//              kinds: ("vote"|"read")[], vegeta: path of the vegeta binary (load.ts finds it),
//              maxSeconds?: the attack ends by itself after this long (default 7200) }
//
// The pipeline: this process writes the requests, one JSON target a line, to the stdin of
// `vegeta attack -lazy -format=json` (a vote is PUT /api/targets/<id>/votes/<new uuid> with
// {"value": "up"|"down"}, so every 2xx vote is one new vote; a read is GET
// /api/targets/<id>/counts; in turn over the targets), only as fast as vegeta reads them. vegeta
// starts each on its schedule, at a constant rate whatever the answers, and times it from then (a
// request waiting for its busy connection has the wait in its latency; the app sees at most one
// request per connection at a time), and writes one result per request, gob-encoded, which `vegeta encode --to
// json` turns into JSON lines read back here one by one: nothing accumulates but the counts.
//
// Counted from the results, per second since the start (by the time the request ended) and per
// request kind: answers by status code (2xx and not), and errors (no answer: the client's timeout,
// a refused or reset connection, the server closing the connection before its answer). Every
// request vegeta sent has a result: on the stop (SIGINT) it sends no new request and waits for the
// ones in flight, up to their timeout. The 2xx votes are counted per target and value (the value
// of each vote in flight is kept here by its URL, which holds the voter's uuid).
//
// If this process dies, vegeta's stdin closes, it runs out of targets and stops by itself.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import { createInterface } from "node:readline";

const opts = JSON.parse(process.argv[2]);
const TOOLCHAIN_HINT = "e2e/realpods/toolchain.sh builds it (E2E_RP_PACKAGES=0 E2E_RP_ONLY=vegeta e2e/realpods/toolchain.sh: vegeta alone)";
const fail = (message) => {
  process.stderr.write(`load-runner: ${message}\n`);
  process.exit(2);
};
if (!opts.vegeta) {
  const reason = opts.vegetaReason ?? "no path given";
  // load.ts's reason may name the script that builds it already
  fail(`vegeta is not installed (${reason})${reason.includes(TOOLCHAIN_HINT) ? "" : `; ${TOOLCHAIN_HINT}`}`);
}
try {
  fs.accessSync(opts.vegeta, fs.constants.X_OK);
} catch {
  fail(`vegeta is not installed: ${opts.vegeta} is not an executable file; ${TOOLCHAIN_HINT}`);
}
const rate = Math.round(opts.overallRate);
if (!(rate > 0)) fail(`overallRate must be at least 1 request per second, got ${opts.overallRate}`);
const connections = Math.max(1, Math.round(opts.connections));
const timeoutSeconds = opts.timeoutSeconds;
// The connections. Go's client takes the most recently used idle connection of a host for each
// request, so with one pool the requests at these rates ride on one or two connections whatever
// `connections` says, and kube-proxy, which picks a pod per connection, could send them all to one
// pod. So each connection gets a pool of its own: the targets name `connections` hosts
// (load-conn-<i>), which -connect-to maps to the app's address, with the app's own Host header,
// each limited to one connection; the requests go to them in turn, as autocannon's did to its
// connections. (An IPv6 address cannot be written in -connect-to: one pool then.)
const app = new URL(opts.base);
const appPort = app.port || (app.protocol === "https:" ? "443" : "80");
const basePath = app.pathname.replace(/\/+$/, "");
const pools = connections > 1 && !app.hostname.includes(":") ? connections : 1;
const poolBase = (i) => (pools === 1 ? `${app.protocol}//${app.host}${basePath}` : `${app.protocol}//load-conn-${i}:${appPort}${basePath}`);
const connectTo = pools === 1 ? [] : Array.from({ length: pools }, (_, i) => `-connect-to=load-conn-${i}:${appPort}:${app.hostname}:${appPort}`);

// ---- the counts ----------------------------------------------------------------------------------
const started = Date.now();
const timeline = []; // index: second since start → { ok, non2xx, errors }
const bucket = (at) => (timeline[Math.max(0, Math.floor((at - started) / 1000))] ??= { ok: 0, non2xx: 0, errors: 0 });
const kinds = {
  vote: { ok: 0, non2xx: 0, errors: 0, statuses: {} },
  read: { ok: 0, non2xx: 0, errors: 0, statuses: {} },
};
const committed = {}; // target → { up, down }: votes answered 2xx
for (const target of opts.targets) committed[target] = { up: 0, down: 0 };
const failures = []; // the first few, with the time since start
const note = (at, what) => {
  if (failures.length < 20) failures.push(`${((at - started) / 1000).toFixed(1)}s ${what}`);
};
const totals = { sent: 0, answered: 0, ok: 0, non2xx: 0, errors: 0, timeouts: 0, lost: 0, resets: 0 };
// Latencies of the answered requests, 0.1 ms a bucket up to the timeout plus 1 s (the last bucket
// holds anything longer): percentiles in bounded memory however long the load runs.
const STEP_MS = 0.1;
const latencies = new Float64Array(Math.ceil(((timeoutSeconds + 1) * 1000) / STEP_MS) + 1);
let maxLatency = 0;
const percentile = (p) => {
  if (totals.answered === 0) return 0;
  const rank = Math.ceil(p * totals.answered);
  let seen = 0;
  for (let i = 0; i < latencies.length; i++) {
    seen += latencies[i];
    if (seen >= rank) return Math.min(Math.round(i * STEP_MS * 10) / 10, Math.round(maxLatency * 10) / 10);
  }
  return Math.round(maxLatency * 10) / 10;
};

// Go's net/http error texts, as vegeta reports them (`<Method> "<url>": <cause>`).
const TIMEOUT = /Client\.Timeout exceeded|context deadline exceeded|i\/o timeout/;
const RESET = /connection reset by peer/;
// the server closed the connection before (the whole of) its answer: EOF while waiting for the
// status line, a server that closed a kept-alive connection as the request went out on it
// (errServerClosedIdle; a GET is retried by Go then, a PUT is not), or a body cut short
const CLOSED = /: EOF$|server closed idle connection|unexpected EOF/;

const VOTE = /\/api\/targets\/([^/]+)\/votes\/[^/?]+$/;
const READ = /\/api\/targets\/([^/]+)\/counts$/;
const voteValues = new Map(); // URL of a vote written to vegeta → its value, until its result
let lastEnd = started;

function count(r) {
  const end = Date.parse(r.timestamp) + r.latency / 1e6;
  if (end > lastEnd) lastEnd = end;
  const kind = r.method === "PUT" && VOTE.test(r.url) ? "vote" : r.method === "GET" && READ.test(r.url) ? "read" : undefined;
  const value = kind === "vote" ? voteValues.get(r.url) : undefined;
  if (kind === "vote") voteValues.delete(r.url);
  totals.sent++;
  const label = kind === "vote" ? "PUT vote" : kind === "read" ? "GET counts" : `${r.method || "?"} ${r.url || "(no target)"}`;
  if (r.code > 0) {
    totals.answered++;
    const ms = r.latency / 1e6;
    latencies[Math.min(Math.floor(ms / STEP_MS), latencies.length - 1)]++;
    if (ms > maxLatency) maxLatency = ms;
    const k = kind && kinds[kind];
    if (k) k.statuses[r.code] = (k.statuses[r.code] ?? 0) + 1;
    if (r.code >= 200 && r.code < 300) {
      totals.ok++;
      if (k) k.ok++;
      bucket(end).ok++;
      if (kind === "vote" && value) committed[VOTE.exec(r.url)[1]][value]++;
    } else {
      totals.non2xx++;
      if (k) k.non2xx++;
      bucket(end).non2xx++;
      note(end, `HTTP ${r.code} ${label}`);
    }
    return;
  }
  totals.errors++;
  if (kind) kinds[kind].errors++;
  bucket(end).errors++;
  const error = r.error || "no answer";
  if (TIMEOUT.test(error)) totals.timeouts++;
  else if (RESET.test(error)) totals.resets++;
  else if (CLOSED.test(error)) totals.lost++;
  // the cause without the method and URL vegeta's error repeats
  note(end, `${label}: ${error.replace(/^\w+ "[^"]*": /, "")}`);
}

// ---- the requests ------------------------------------------------------------------------------
const HOST = pools === 1 ? {} : { Host: [app.host] };
const JSON_HEADER = { ...HOST, "Content-Type": ["application/json"] };
const plan = []; // one turn: for each target, a vote and/or a read
for (const target of opts.targets) {
  if (opts.kinds.includes("vote")) plan.push({ kind: "vote", target });
  if (opts.kinds.includes("read")) plan.push({ kind: "read", target });
}
if (plan.length === 0) fail("no request kind to send (kinds is empty)");
let turn = 0;
const votes = {}; // target → votes written: up and down in turn on each target
function nextTarget() {
  const { kind, target } = plan[turn % plan.length];
  // each connection once in every `pools` requests, shifted by one each round so that a connection
  // does not always get the same kind of request
  const base = poolBase((turn + Math.floor(turn / pools)) % pools);
  turn++;
  if (kind === "read") return JSON.stringify({ method: "GET", url: `${base}/api/targets/${target}/counts`, header: HOST });
  votes[target] = (votes[target] ?? 0) + 1;
  const value = votes[target] % 2 === 1 ? "up" : "down";
  const url = `${base}/api/targets/${target}/votes/${randomUUID()}`;
  voteValues.set(url, value);
  const body = Buffer.from(JSON.stringify({ value })).toString("base64");
  return JSON.stringify({ method: "PUT", url, body, header: JSON_HEADER });
}

// ---- vegeta --------------------------------------------------------------------------------------
const maxSeconds = opts.maxSeconds ?? 7200;
const attackArgs = [
  "attack",
  "-lazy",
  "-format=json",
  `-rate=${rate}/1s`,
  `-duration=${maxSeconds}s`,
  `-timeout=${timeoutSeconds}s`,
  "-keepalive=true",
  "-http2=false",
  // `connections` connections, kept alive between requests (one a pool, see above); a request
  // finding its connection busy waits for it, and that wait is part of its latency and timeout
  `-connections=${connections / pools}`,
  `-max-connections=${connections / pools}`,
  ...connectTo,
  // one goroutine a request in flight: enough never to hold back a request at this rate, since
  // none is in flight longer than its timeout
  `-workers=${connections}`,
  `-max-workers=${connections + Math.ceil(rate * timeoutSeconds)}`,
  "-redirects=-1", // a redirect is an answer (non-2xx), not followed
  "-max-body=0", // the results need no response body
  "-dns-ttl=-1", // the standard dialer, no DNS cache of vegeta's
];
const stderrTail = { attack: "", encode: "" };
const keepTail = (which) => (d) => (stderrTail[which] = (stderrTail[which] + d.toString()).slice(-4000));
// no proxy from the environment: the requests go to the app's address itself
const env = { ...process.env, NO_PROXY: "*", no_proxy: "*" };
for (const k of ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"]) delete env[k];
const attack = spawn(opts.vegeta, attackArgs, { stdio: ["pipe", "pipe", "pipe"], env });
const encode = spawn(opts.vegeta, ["encode", "--to", "json"], { stdio: ["pipe", "pipe", "pipe"] });
attack.stderr.on("data", keepTail("attack"));
encode.stderr.on("data", keepTail("encode"));
attack.stdout.pipe(encode.stdin);
const attackExit = new Promise((resolve) => attack.on("close", (code, signal) => resolve({ code, signal })));
const encodeExit = new Promise((resolve) => encode.on("close", (code, signal) => resolve({ code, signal })));
attack.on("error", (e) => fail(`could not run ${opts.vegeta}: ${e.message}`));

// Targets: as many as the pipe takes, then more as vegeta reads them (backpressure).
let attackDone = false;
attack.stdin.on("error", () => undefined); // EPIPE once vegeta has exited
const feed = () => {
  while (!attackDone && attack.stdin.write(`${nextTarget()}\n`));
};
attack.stdin.on("drain", feed);
feed();
void attackExit.then(() => {
  attackDone = true;
  attack.stdin.destroy();
});

let announced = false;
const lines = createInterface({ input: encode.stdout, crlfDelay: Infinity });
lines.on("line", (line) => {
  if (!line) return;
  count(JSON.parse(line));
  if (!announced) {
    announced = true;
    process.stdout.write("started\n");
  }
});
const linesDone = new Promise((resolve) => lines.on("close", resolve));

// The stop: SIGINT makes vegeta send nothing more, wait for the requests in flight and exit.
let stopAt;
const stop = () => {
  if (stopAt !== undefined) return;
  stopAt = Date.now();
  if (!attackDone) attack.kill("SIGINT");
  // a second SIGINT would make vegeta exit without waiting: a kill is the last resort
  setTimeout(
    () => {
      if (!attackDone) attack.kill("SIGKILL");
    },
    (timeoutSeconds + 15) * 1000,
  ).unref();
};
process.stdin.on("end", stop);
process.stdin.on("error", stop);
process.stdin.resume();

const [a, e] = await Promise.all([attackExit, encodeExit, linesDone]);
if (a.code !== 0) {
  process.stderr.write(`load-runner: vegeta attack ended with ${a.code ?? a.signal}: ${stderrTail.attack}\n`);
  process.exit(1);
}
// `vegeta encode` cannot detect the encoding of an empty stream: no request ended, nothing to count
if (e.code !== 0 && !(totals.sent === 0 && /can't detect encoding/.test(stderrTail.encode))) {
  process.stderr.write(`load-runner: vegeta encode ended with ${e.code ?? e.signal}: ${stderrTail.encode}\n`);
  process.exit(1);
}
if (stopAt === undefined) note(Date.now(), `the load ended by itself after its limit of ${maxSeconds} s, before the stop`);
const seconds = (Math.max(stopAt ?? Date.now(), lastEnd) - started) / 1000;
const round1 = (ms) => Math.round(ms * 10) / 10;
const summary = {
  seconds,
  requests: totals.answered,
  sent: totals.sent,
  ok: totals.ok,
  non2xx: totals.non2xx,
  errors: totals.errors,
  timeouts: totals.timeouts,
  lost: totals.lost,
  resets: totals.resets,
  reqPerSec: seconds > 0 ? totals.answered / seconds : 0,
  latency: { p50: percentile(0.5), p90: percentile(0.9), p99: percentile(0.99), max: round1(maxLatency) },
  kinds,
  committed,
  timeline: Array.from(timeline, (b) => b ?? { ok: 0, non2xx: 0, errors: 0 }),
  failures,
};
fs.writeFileSync(opts.resultFile, JSON.stringify(summary));
process.exit(0);
