// Smoke test of a deployed Clickvote through its Service:
//   npx tsx ci/smoke-test.ts --namespace <ns> --service <svc>   port-forward to the Service
//   SMOKE_BASE_URL=http://host:port npx tsx ci/smoke-test.ts    an address that is reachable already
//
// Waits until GET /readyz answers 200 (SMOKE_TIMEOUT seconds, default 180), then makes one
// vote round trip: POST /api/targets {"name"} -> 201 {id}; PUT /api/targets/<id>/votes/<uuid>
// {"value":"up"} -> 200/201; GET /api/targets/<id>/counts -> up 1, down 0. Fails naming the
// first step that failed.
import { ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { parseCommand } from "../tools/cli";
import { die, log, runMain } from "./lib";

const USAGE = "usage: ci/smoke-test.ts --namespace <ns> --service <svc> (or SMOKE_BASE_URL)";

interface Reply {
  status: number;
  body: Record<string, unknown> | undefined;
}

/** One request; status 0 when nothing answered. */
async function request(base: string, method: string, path: string, json?: unknown): Promise<Reply> {
  try {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: json === undefined ? undefined : { "content-type": "application/json" },
      body: json === undefined ? undefined : JSON.stringify(json),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    let body: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
    } catch {
      body = undefined;
    }
    return { status: res.status, body };
  } catch {
    return { status: 0, body: undefined };
  }
}

/** A top-level field of a JSON object body, as text; undefined when missing. */
function field(reply: Reply, name: string): string | undefined {
  const value = reply.body?.[name];
  return value === undefined || value === null ? undefined : String(value);
}

/** kubectl port-forward to the Service, restarted when it exits; its output is kept for errors. */
class PortForward {
  private child?: ChildProcess;
  private output = "";
  constructor(
    private readonly namespace: string,
    private readonly service: string,
    readonly port: number,
  ) {}

  start(): void {
    this.child = spawn("kubectl", ["--namespace", this.namespace, "port-forward", `service/${this.service}`, `${this.port}:80`], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const keep = (d: Buffer) => (this.output = (this.output + d.toString()).slice(-4000));
    this.child.stdout?.on("data", keep);
    this.child.stderr?.on("data", keep);
    this.child.on("error", (err) => keep(Buffer.from(`${err.message}\n`)));
  }

  restartIfExited(): void {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) return;
    this.start();
  }

  tail(lines = 5): string {
    return this.output.trim().split("\n").slice(-lines).join("\n");
  }

  stop(): void {
    this.child?.kill();
  }
}

export async function smokeTest(options: { namespace?: string; service?: string; baseUrl?: string; timeoutSeconds?: number }): Promise<void> {
  const timeout = options.timeoutSeconds ?? 180;
  let forward: PortForward | undefined;
  let base = options.baseUrl?.replace(/\/$/, "");
  if (!base) {
    if (!options.namespace || !options.service) die(`give --namespace and --service, or SMOKE_BASE_URL\n${USAGE}`);
    const pf = new PortForward(options.namespace, options.service, Number(process.env.SMOKE_LOCAL_PORT ?? 18080));
    // die() exits at once: the port-forward must not outlive the command
    process.on("exit", () => pf.stop());
    pf.start();
    forward = pf;
    base = `http://127.0.0.1:${forward.port}`;
  }
  try {
    const deadline = Date.now() + timeout * 1000;
    while ((await request(base, "GET", "/readyz")).status !== 200) {
      if (Date.now() >= deadline) {
        if (forward) process.stderr.write(`${forward.tail()}\n`);
        die(`readiness: GET /readyz did not answer 200 within ${timeout}s`);
      }
      forward?.restartIfExited();
      await new Promise((r) => setTimeout(r, 2000));
    }
    log("ready: GET /readyz answered 200");

    const created = await request(base, "POST", "/api/targets", { name: `smoke-${Date.now()}-${Math.floor(Math.random() * 32768)}` });
    if (created.status !== 201) die(`create target: POST /api/targets answered ${created.status}, expected 201`);
    const id = field(created, "id") ?? die("create target: the response has no id");
    log(`created target ${id}`);

    const voter = randomUUID();
    const vote = await request(base, "PUT", `/api/targets/${id}/votes/${voter}`, { value: "up" });
    if (vote.status !== 200 && vote.status !== 201) die(`vote: PUT /api/targets/${id}/votes/${voter} answered ${vote.status}, expected 200 or 201`);

    const counts = await request(base, "GET", `/api/targets/${id}/counts`);
    if (counts.status !== 200) die(`counts: GET /api/targets/${id}/counts answered ${counts.status}, expected 200`);
    const [up, down] = [field(counts, "up"), field(counts, "down")];
    if (up === undefined || down === undefined) die("counts: the response has no up and down counts");
    if (`${up}/${down}` !== "1/0") die(`counts: expected up 1, down 0 after one up vote, got up/down ${up}/${down}`);
    log("vote round trip passed: up 1, down 0");
  } finally {
    forward?.stop();
  }
}

if (require.main === module) {
  runMain(async () => {
    const { values } = parseCommand({ args: process.argv.slice(2), options: { namespace: { type: "string" }, service: { type: "string" } } }, USAGE);
    await smokeTest({
      namespace: values.namespace,
      service: values.service,
      baseUrl: process.env.SMOKE_BASE_URL || undefined,
      timeoutSeconds: process.env.SMOKE_TIMEOUT ? Number(process.env.SMOKE_TIMEOUT) : undefined,
    });
  });
}
