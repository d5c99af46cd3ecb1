// e2e/toolchain.sh --status and the skip reason of e2e/run.sh: what the e2e
// suite needs, where each binary comes from, and why a machine can't run it.
import { spawnSync, SpawnSyncReturns } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..", "..");
const TOOLCHAIN = path.join(ROOT, "e2e", "toolchain.sh");
const FROM_PROXY = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl", "kwok", "pulumi"];
// binary -> the module at its release commit, and the release (upstream tag)
const NOT_ON_PROXY: Record<string, string> = {
  "pulumi-language-nodejs": "github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3@0ac56e876614aedf12771d73ef7e80959b8a6fd4 (release v3.259.0)",
  "pulumi-resource-kubernetes": "github.com/pulumi/pulumi-kubernetes/provider/v4@a03ff6ba58d2f1ea68319dda4b2c982119489c71 (release v4.32.0)",
  "pulumi-resource-random": "github.com/pulumi/pulumi-random/provider/v4@f2d8b029d0f708bd14bad9479e016560de9c0b6d (release v4.21.1)",
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
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  // the caller's env decides these, never the environment the tests run in
  for (const key of ["E2E_PREBUILT_DIR", "CI", "CLICKVOTE_E2E_BUILD", "E2E_UNAVAILABLE"]) delete childEnv[key];
  Object.assign(childEnv, { PATH: cleanPath, E2E_PROXY_PROBE: "0" }, env);
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

describe("e2e/run.sh without a complete toolchain", () => {
  it("skips every e2e test and prints which binaries are missing and why, without building", () => {
    const cache = path.join(scratch, "run-empty");
    // one e2e file is enough: the reason is decided before vitest starts
    const result = run(path.join(ROOT, "e2e", "run.sh"), ["e2e/readme-command.e2e.test.ts"], {
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

// A stand-in for the kubernetes provider's module, served by a file-based GOPROXY: the recipe in
// toolchain.sh must resolve the release commit, copy the module out of the read-only module
// cache, point the relative `../sdk` replace (absent from a module zip) at the sibling module of
// the same release, run go:generate with VERSION set, and stamp the version variable.
const hasPython = spawnSync("python3", ["--version"]).status === 0;
const FAKE_COMMIT = "0123456789abcdef0123456789abcdef01234567";
const FAKE_PSEUDO = "v4.0.0-20260101000000-0123456789ab";

function writeTree(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
}

/** Writes module@version into a GOPROXY directory tree (zip via python3: Node has no zip writer). */
function publish(proxy: string, modulePath: string, version: string, files: Record<string, string>, alias?: string): void {
  const dir = path.join(proxy, modulePath, "@v");
  mkdirSync(dir, { recursive: true });
  const src = mkdtempSync(path.join(scratch, "src-"));
  writeTree(src, files);
  const zip = spawnSync("python3", ["-c", [
    "import os, sys, zipfile",
    "src, out, prefix = sys.argv[1:4]",
    "with zipfile.ZipFile(out, 'w') as z:",
    "    for root, _, names in os.walk(src):",
    "        for n in names:",
    "            full = os.path.join(root, n)",
    "            z.write(full, prefix + '/' + os.path.relpath(full, src))",
  ].join("\n"), src, path.join(dir, `${version}.zip`), `${modulePath}@${version}`], { encoding: "utf8" });
  expect(zip.status, zip.stderr).toBe(0);
  writeFileSync(path.join(dir, `${version}.mod`), files["go.mod"]);
  const info = JSON.stringify({ Version: version, Time: "2026-01-01T00:00:00Z" });
  writeFileSync(path.join(dir, `${version}.info`), info);
  if (alias) writeFileSync(path.join(dir, `${alias}.info`), info);
}

describe.skipIf(!hasGo || !hasPython)(`toolchain.sh builds a provider from its module${hasGo && hasPython ? "" : " (SKIPPED: needs go and python3)"}`, () => {
  const proxy = path.join(scratch, "proxy");
  const modcache = path.join(scratch, "modcache");
  const cache = path.join(scratch, "from-module");
  const env = {
    CLICKVOTE_E2E_CACHE: cache,
    E2E_PROXY_PROBE: "1",
    E2E_PULUMI_K8S_PROVIDER_COMMIT: FAKE_COMMIT,
    GOPROXY: `file://${proxy},off`,
    GOSUMDB: "off",
    GOMODCACHE: modcache, // fake pulumi modules must not land in the developer's module cache
    GOFLAGS: "-buildvcs=false",
  };
  afterAll(() => {
    spawnSync("go", ["clean", "-modcache"], { env: { ...process.env, PATH: cleanPath, GOMODCACHE: modcache } });
  });

  publish(proxy, "github.com/pulumi/pulumi-kubernetes/sdk/v4", "v4.32.0", {
    "go.mod": "module github.com/pulumi/pulumi-kubernetes/sdk/v4\n\ngo 1.22\n",
    "go/sdk.go": "package sdk\n\n// Release names the sibling module's release.\nconst Release = \"sdk 4.32.0\"\n",
  });
  publish(proxy, "github.com/pulumi/pulumi-kubernetes/provider/v4", FAKE_PSEUDO, {
    "go.mod": [
      "module github.com/pulumi/pulumi-kubernetes/provider/v4", "", "go 1.22", "",
      "require github.com/pulumi/pulumi-kubernetes/sdk/v4 v4.31.1", "",
      "replace github.com/pulumi/pulumi-kubernetes/sdk/v4 => ../sdk", "",
    ].join("\n"),
    "pkg/version/version.go": "package version\n\n// Version is set with -ldflags.\nvar Version string\n",
    "cmd/pulumi-resource-kubernetes/main.go": [
      "//go:generate go run ./generate.go", "", "package main", "",
      "import (", "\t_ \"embed\"", "\t\"fmt\"", "",
      "\tsdk \"github.com/pulumi/pulumi-kubernetes/sdk/v4/go\"",
      "\t\"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version\"", ")", "",
      "//go:embed schema-embed.json", "var schema string", "",
      "func main() { fmt.Printf(\"version=%s schema=%s %s\\n\", version.Version, schema, sdk.Release) }", "",
    ].join("\n"),
    "cmd/pulumi-resource-kubernetes/generate.go": [
      "//go:build ignore", "", "package main", "",
      "import \"os\"", "",
      "func main() { _ = os.WriteFile(\"schema-embed.json\", []byte(\"generated-for-\"+os.Getenv(\"VERSION\")), 0o600) }", "",
    ].join("\n"),
  }, FAKE_COMMIT);

  it("--status says it will build from the module at the release commit", () => {
    const { rows } = status(env);
    expect(rows.get("pulumi-resource-kubernetes")).toEqual([
      "build",
      `from github.com/pulumi/pulumi-kubernetes/provider/v4@${FAKE_COMMIT}`,
    ]);
  });

  it("builds it: sibling replace resolved to the same release, schema generated, version stamped", () => {
    const build = run(TOOLCHAIN, [], { ...env, E2E_ONLY: "k8sprovider" });
    expect(build.status, build.stderr).toBe(0);
    expect(build.stderr).toContain("replace github.com/pulumi/pulumi-kubernetes/sdk/v4 => ../sdk (not in the module) becomes github.com/pulumi/pulumi-kubernetes/sdk/v4@v4.32.0");
    const bin = path.join(run(TOOLCHAIN, ["--print"], env).stdout.trim(), "pulumi-resource-kubernetes");
    const out = spawnSync(bin, [], { encoding: "utf8" });
    expect(out.stdout.trim()).toBe("version=4.32.0 schema=generated-for-4.32.0 sdk 4.32.0");
    // and --status remembers how it got there
    expect(status(env).rows.get("pulumi-resource-kubernetes")).toEqual([
      "cached",
      `${bin} (built from github.com/pulumi/pulumi-kubernetes/provider/v4@${FAKE_COMMIT})`,
    ]);
  }, 180_000);

  it("copies a prebuilt binary when the proxy refuses the module, and records that it did", () => {
    const emptyProxy = path.join(scratch, "refusing-proxy");
    mkdirSync(emptyProxy, { recursive: true });
    const prebuilt = fakeBinaries(path.join(scratch, "prebuilt-random"), ["pulumi-resource-random"]);
    const copyEnv = { ...env, GOPROXY: `file://${emptyProxy},off`, E2E_PREBUILT_DIR: prebuilt, E2E_ONLY: "randomprovider" };
    const result = run(TOOLCHAIN, [], copyEnv);
    expect(result.status, result.stderr).toBe(0);
    const [state, detail] = status(copyEnv).rows.get("pulumi-resource-random") ?? ["", ""];
    expect(state).toBe("cached");
    expect(detail).toMatch(new RegExp(`\\(prebuilt, copied from ${path.join(prebuilt, "pulumi-resource-random")}, sha256 [0-9a-f]{16}…\\)$`));
  });

  it("without the module on the proxy, says why and does not build", () => {
    const emptyProxy = path.join(scratch, "empty-proxy");
    mkdirSync(emptyProxy, { recursive: true });
    const { code, rows } = status({ ...env, GOPROXY: `file://${emptyProxy},off`, CLICKVOTE_E2E_CACHE: path.join(scratch, "none") });
    expect(code).toBe(1);
    const [state, detail] = rows.get("pulumi-resource-kubernetes") ?? ["", ""];
    expect(state).toBe("missing");
    expect(detail).toContain(`github.com/pulumi/pulumi-kubernetes/provider/v4@${FAKE_COMMIT} (release v4.32.0) cannot be built here (`);
  });
});
