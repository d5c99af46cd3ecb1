// scripts/e2e/toolchain.sh --status and the skip reason of scripts/e2e/run.sh: what the e2e
// suite needs, where each binary comes from, and why a machine can't run it.
import { spawnSync, SpawnSyncReturns } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..");
const TOOLCHAIN = path.join(ROOT, "scripts", "e2e", "toolchain.sh");
const FROM_PROXY = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl", "kwok", "pulumi"];
const NOT_ON_PROXY: Record<string, string> = {
  "pulumi-language-nodejs": "github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3@v3.259.0",
  "pulumi-resource-kubernetes": "github.com/pulumi/pulumi-kubernetes/provider/v4@v4.32.0",
  "pulumi-resource-random": "github.com/pulumi/pulumi-random/provider/v4@v4.21.1",
};

const scratch = mkdtempSync(path.join(os.tmpdir(), "clickvote-toolchain-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** PATH without any directory that holds one of the three binaries, so a developer's own Pulumi can't leak in. */
const cleanPath = (process.env.PATH ?? "")
  .split(path.delimiter)
  .filter((dir) => !Object.keys(NOT_ON_PROXY).some((name) => existsSync(path.join(dir, name))))
  .join(path.delimiter);
const hasGo = spawnSync("go", ["version"], { env: { ...process.env, PATH: cleanPath } }).status === 0;

function fakeBinaries(dir: string, names: string[]): string {
  mkdirSync(dir, { recursive: true });
  for (const name of names) {
    writeFileSync(path.join(dir, name), "#!/bin/sh\necho fake\n");
    chmodSync(path.join(dir, name), 0o755);
  }
  return dir;
}

function run(script: string, args: string[], env: Record<string, string>): SpawnSyncReturns<string> {
  // the caller's env decides these, never the environment the tests run in
  const { E2E_PREBUILT_DIR, CI, CLICKVOTE_E2E_BUILD, E2E_UNAVAILABLE, ...inherited } = process.env;
  void [E2E_PREBUILT_DIR, CI, CLICKVOTE_E2E_BUILD, E2E_UNAVAILABLE];
  const childEnv: NodeJS.ProcessEnv = { ...inherited, PATH: cleanPath, E2E_PROXY_PROBE: "0", ...env };
  return spawnSync("bash", [script, ...args], { cwd: ROOT, env: childEnv, encoding: "utf8", timeout: 120_000 });
}

/** --status as a map: binary -> [state, detail]. */
function status(env: Record<string, string>): { code: number | null; rows: Map<string, [string, string]> } {
  const result = run(TOOLCHAIN, ["--status"], env);
  const rows = new Map<string, [string, string]>();
  for (const line of result.stdout.trim().split("\n")) {
    const [name, state, detail] = line.split("\t");
    rows.set(name, [state, detail]);
  }
  return { code: result.status, rows };
}

describe("toolchain.sh --status", () => {
  it("names each binary the proxy does not serve, with its module and version, when no prebuilt copy exists", () => {
    const { code, rows } = status({ CLICKVOTE_E2E_CACHE: path.join(scratch, "empty") });
    expect(code).toBe(1);
    expect([...rows.keys()].sort()).toEqual([...FROM_PROXY, ...Object.keys(NOT_ON_PROXY)].sort());
    for (const [name, moduleAtVersion] of Object.entries(NOT_ON_PROXY)) {
      const [state, detail] = rows.get(name) ?? ["", ""];
      expect(state, name).toBe("missing");
      expect(detail).toContain(moduleAtVersion);
      expect(detail).toContain("E2E_PREBUILT_DIR");
    }
    for (const name of FROM_PROXY) expect(rows.get(name)?.[0], name).toBe(hasGo ? "build" : "missing");
  });

  it("takes the three from E2E_PREBUILT_DIR, and then every binary is obtainable", () => {
    const prebuilt = fakeBinaries(path.join(scratch, "prebuilt"), Object.keys(NOT_ON_PROXY));
    const { code, rows } = status({ CLICKVOTE_E2E_CACHE: path.join(scratch, "empty"), E2E_PREBUILT_DIR: prebuilt });
    for (const name of Object.keys(NOT_ON_PROXY)) expect(rows.get(name)).toEqual(["prebuilt", path.join(prebuilt, name)]);
    expect(code).toBe(hasGo ? 0 : 1);
  });

  it("reports a filled cache as cached, and --check then prints its bin directory", () => {
    const cache = path.join(scratch, "filled");
    const bin = run(TOOLCHAIN, ["--print"], { CLICKVOTE_E2E_CACHE: cache }).stdout.trim();
    expect(bin.startsWith(cache)).toBe(true);
    const missingBefore = run(TOOLCHAIN, ["--check"], { CLICKVOTE_E2E_CACHE: cache });
    expect(missingBefore.status).toBe(1);

    fakeBinaries(bin, [...FROM_PROXY, ...Object.keys(NOT_ON_PROXY)]);
    const { code, rows } = status({ CLICKVOTE_E2E_CACHE: cache });
    expect(code).toBe(0);
    for (const [name, [state, detail]] of rows) expect([name, state, detail]).toEqual([name, "cached", path.join(bin, name)]);
    const check = run(TOOLCHAIN, ["--check"], { CLICKVOTE_E2E_CACHE: cache });
    expect(check.status).toBe(0);
    expect(check.stdout.trim()).toBe(bin);
    expect(readdirSync(bin)).toHaveLength(10);
  });
});

describe("scripts/e2e/run.sh without a complete toolchain", () => {
  it("skips every e2e test and prints which binaries are missing and why, without building", () => {
    const cache = path.join(scratch, "run-empty");
    // one e2e file is enough: the reason is decided before vitest starts
    const result = run(path.join(ROOT, "scripts", "e2e", "run.sh"), ["test-e2e/readme-command.e2e.test.ts"], {
      CLICKVOTE_E2E_CACHE: cache,
      CI: "true",
    });
    const output = result.stdout + result.stderr;
    const reason = output.split("\n").find((line) => line.startsWith("E2E SKIPPED: ")) ?? "";
    expect(reason).toContain("cannot be completed on this machine");
    for (const [name, moduleAtVersion] of Object.entries(NOT_ON_PROXY)) {
      expect(reason).toContain(`${name}: no ${name}`);
      expect(reason).toContain(moduleAtVersion);
    }
    expect(output).not.toMatch(/building the toolchain/);
    expect(output).toMatch(/skipped/i);
    expect(output).not.toMatch(/\b[1-9]\d* passed/);
    expect(result.status).toBe(0);
    // nothing was built into the cache
    expect(existsSync(path.join(cache, "work"))).toBe(false);
  }, 180_000);
});
