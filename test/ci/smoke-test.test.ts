import { createServer, Server } from "node:http";
import { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { runCiAsync, stubCommands } from "./helpers";

describe("ci/smoke-test.ts", () => {
  // A stand-in for the service with the API contract of app/src/app.ts.
  let server: Server;
  let baseUrl = "";
  let brokenCounts = false;
  let readyAfter = 0;
  beforeAll(async () => {
    const votes = new Map<string, Map<string, string>>();
    let readyCalls = 0;
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        const send = (code: number, value: unknown) => {
          res.writeHead(code, { "content-type": "application/json" });
          res.end(JSON.stringify(value));
        };
        const url = req.url ?? "";
        let m: RegExpExecArray | null;
        if (req.method === "GET" && url === "/readyz") return readyCalls++ < readyAfter ? send(503, { status: "unready" }) : send(200, { status: "ready" });
        if (req.method === "POST" && url === "/api/targets") {
          const name = (JSON.parse(body) as { name?: string }).name;
          if (!name) return send(400, {});
          const id = `t${votes.size + 1}`;
          votes.set(id, new Map());
          return send(201, { id, name });
        }
        if (req.method === "PUT" && (m = /^\/api\/targets\/([^/]+)\/votes\/([0-9a-f-]{36})$/.exec(url))) {
          const target = votes.get(m[1]);
          const value = (JSON.parse(body) as { value?: string }).value;
          if (!target || (value !== "up" && value !== "down")) return send(404, {});
          const created = !target.has(m[2]);
          target.set(m[2], value);
          return send(created ? 201 : 200, { value });
        }
        if (req.method === "GET" && (m = /^\/api\/targets\/([^/]+)\/counts$/.exec(url))) {
          const target = votes.get(m[1]);
          if (!target) return send(404, {});
          const up = [...target.values()].filter((v) => v === "up").length;
          const down = target.size - up;
          return send(200, brokenCounts ? { up: 0, down: 0, score: 0 } : { up, down, score: up - down });
        }
        send(404, {});
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const smoke = (env: Record<string, string> = {}) => runCiAsync("smoke-test", [], { SMOKE_BASE_URL: baseUrl, ...env });

  it("waits for readiness, then passes a vote round trip", async () => {
    readyAfter = 2;
    const r = await smoke();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain("vote round trip passed: up 1, down 0");
  });

  it("fails when the counts are wrong", async () => {
    readyAfter = 0;
    brokenCounts = true;
    const r = await smoke();
    brokenCounts = false;
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("expected up 1, down 0");
  });

  it("fails when the service never becomes ready", async () => {
    readyAfter = 1_000;
    const r = await smoke({ SMOKE_TIMEOUT: "3" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/readiness: GET \/readyz did not answer 200 within 3s/);
  });

  it("needs an address or a Service to forward to", async () => {
    const r = await runCiAsync("smoke-test", [], { SMOKE_BASE_URL: "" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("give --namespace and --service, or SMOKE_BASE_URL");
  });

  it("forwards a local port to the Service with kubectl, and restarts the forward when it dies", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "smoke-forward-"));
    try {
      const calls = path.join(dir, "calls.log");
      stubCommands(path.join(dir, "bin"), calls, ["kubectl"], { kubectl: 'echo "forward failed: no cluster" >&2; exit 1' });
      const r = await runCiAsync("smoke-test", ["--namespace", "ns1", "--service", "svc1"], {
        PATH: `${path.join(dir, "bin")}:${process.env.PATH}`,
        SMOKE_BASE_URL: "",
        SMOKE_TIMEOUT: "3",
        SMOKE_LOCAL_PORT: "18999",
      });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/readiness: GET \/readyz did not answer 200 within 3s/);
      expect(r.stderr).toContain("forward failed: no cluster");
      const forwards = readFileSync(calls, "utf8").trim().split("\n");
      expect(forwards[0]).toBe("kubectl --namespace ns1 port-forward service/svc1 18999:80");
      expect(forwards.length).toBeGreaterThan(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
