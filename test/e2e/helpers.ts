// Running e2e/toolchain.sh and e2e/run.sh in a clean environment, for test/e2e/*.test.ts.
import { spawnSync, SpawnSyncReturns } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..", "..");
export const TOOLCHAIN = path.join(ROOT, "e2e", "toolchain.sh");
export const RUN = path.join(ROOT, "e2e", "run.sh");
/** Built from the Go module proxy by toolchain.sh. */
export const FROM_PROXY = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl", "kwok", "pulumi"];
/** Taken prebuilt only (never built by the repository), with the release each must be. */
export const PREBUILT: Record<string, string> = {
  "pulumi-language-nodejs": "v3.259.0",
  "pulumi-resource-kubernetes": "v4.32.0",
  "pulumi-resource-random": "v4.21.1",
};

/** Taken prebuilt when found, "absent" otherwise (build mode; tag mode; nothing fails without them). */
export const OPTIONAL: Record<string, string> = {
  "pulumi-resource-docker-build": "v0.0.22",
  "pulumi-resource-docker": "v5.2.0",
};

/** The fix --status and the skip reason give for a missing prebuilt (or an absent optional) binary. */
export const fixFor = (name: string) => `put a ${name} ${PREBUILT[name] ?? OPTIONAL[name]} binary in E2E_PREBUILT_DIR (or on PATH)`;

/** PATH without any directory that holds one of the prebuilt binaries, so a developer's own Pulumi can't leak in. */
export const cleanPath = (process.env.PATH ?? "")
  .split(path.delimiter)
  .filter((dir) => ![...Object.keys(PREBUILT), ...Object.keys(OPTIONAL)].some((name) => existsSync(path.join(dir, name))))
  .join(path.delimiter);
export const hasGo = spawnSync("go", ["version"], { env: { ...process.env, PATH: cleanPath } }).status === 0;

export function fakeBinaries(dir: string, names: string[]): string {
  mkdirSync(dir, { recursive: true });
  for (const name of names) {
    writeFileSync(path.join(dir, name), `#!/bin/sh\necho fake ${name}\n`);
    chmodSync(path.join(dir, name), 0o755);
  }
  return dir;
}

export function run(script: string, args: string[], env: Record<string, string>): SpawnSyncReturns<string> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  // the caller's env decides these, never the environment the tests run in
  for (const key of ["E2E_PREBUILT_DIR", "E2E_ONLY", "CI", "CLICKVOTE_E2E_BUILD", "E2E_UNAVAILABLE"]) delete childEnv[key];
  Object.assign(childEnv, { PATH: cleanPath }, env);
  return spawnSync("bash", [script, ...args], { cwd: ROOT, env: childEnv, encoding: "utf8", timeout: 120_000 });
}

/** --status as a map: binary -> [state, detail]. */
export function status(env: Record<string, string>): { code: number | null; rows: Map<string, [string, string]> } {
  const result = run(TOOLCHAIN, ["--status"], env);
  const rows = new Map<string, [string, string]>();
  for (const line of result.stdout.trim().split("\n")) {
    const [name, state, detail] = line.split("\t");
    rows.set(name, [state, detail]);
  }
  return { code: result.status, rows };
}
