// redisConf() against a real redis-server: a restart with a new password (the pod restart the
// config checksum causes) takes the new password, refuses the old one, and keeps the data
// (appendonly on the volume), so a rotation does not lose the cache. Loopback only; the test's
// command line moves the port and bind address and its copy the data dir; everything else is the generated file.
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisConf } from "../components/redis";

const SERVER = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" }).stdout.trim();
const SKIP_REASON = SERVER ? undefined : "redis-server is not installed (apt-get install redis-server)";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

let dir: string;
let port: number;
let server: ChildProcess | undefined;

async function start(password: string, maxMemory = "16mb"): Promise<void> {
  // Redis changes into `dir` while it reads the file, so the test points that line at its own directory.
  const conf = redisConf(password, maxMemory);
  expect(conf).toMatch(/^dir \/data$/m);
  fs.writeFileSync(path.join(dir, "redis.conf"), conf.replace(/^dir \/data$/m, `dir ${dir}`));
  server = spawn(SERVER, [path.join(dir, "redis.conf"), "--port", String(port), "--bind", "127.0.0.1"], { stdio: "ignore" });
  for (let i = 0; i < 100; i++) {
    if (cli(password, "PING").stdout.trim() === "PONG") return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("redis-server did not start");
}

async function stop(): Promise<void> {
  if (!server) return;
  const exited = new Promise((r) => server?.once("exit", r));
  server.kill("SIGTERM");
  await exited;
  server = undefined;
}

function cli(password: string, ...command: string[]) {
  return spawnSync("redis-cli", ["-h", "127.0.0.1", "-p", String(port), "--no-auth-warning", "-a", password, ...command], { encoding: "utf8" });
}

describe.skipIf(SKIP_REASON !== undefined)(`redis.conf on a real redis-server${SKIP_REASON ? ` (SKIPPED: ${SKIP_REASON})` : ""}`, () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "clickvote-redis-"));
    port = await freePort();
  });
  afterAll(async () => {
    await stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("serves with the generated password and the noeviction policy", async () => {
    await start("firstpassword1");
    expect(cli("firstpassword1", "SET", "counts:t1", "42").stdout.trim()).toBe("OK");
    expect(cli("wrong", "GET", "counts:t1").stdout).toMatch(/WRONGPASS|NOAUTH/);
    expect(cli("firstpassword1", "CONFIG", "GET", "maxmemory-policy").stdout).toContain("noeviction");
  });

  it("after a restart with a rotated password: new one in, old one out, data kept", async () => {
    await stop();
    await start("secondpassword2");
    expect(cli("secondpassword2", "GET", "counts:t1").stdout.trim()).toBe("42");
    expect(cli("firstpassword1", "GET", "counts:t1").stdout).toMatch(/WRONGPASS|NOAUTH/);
  });

  it("after a restart with a new maxmemory: the server runs with it", async () => {
    await stop();
    await start("secondpassword2", "32mb");
    expect(cli("secondpassword2", "CONFIG", "GET", "maxmemory").stdout).toContain(String(32 * 2 ** 20));
    expect(cli("secondpassword2", "GET", "counts:t1").stdout.trim()).toBe("42");
  });
});
