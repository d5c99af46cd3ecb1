// Running the CI commands of ci/ as the workflows do (npx tsx ci/<name>.ts), for test/ci/.
import { spawn, spawnSync, SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..", "..");
export const CI_DIR = path.join(ROOT, "ci");
const TSX = require.resolve("tsx/cli");

/** The environment without the runner's GITHUB_* variables, plus the given ones. */
function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("GITHUB_")));
  return { ...clean, ...env };
}

/** Runs ci/<name>.ts to completion. */
export function runCi(name: string, args: string[], env: Record<string, string> = {}, cwd = ROOT): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [TSX, path.join(CI_DIR, `${name}.ts`), ...args], { cwd, encoding: "utf8", env: cleanEnv(env), timeout: 60_000 });
}

/** Runs ci/<name>.ts without blocking this process (a test's own server must keep answering). */
export function runCiAsync(name: string, args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [TSX, path.join(CI_DIR, `${name}.ts`), ...args], { cwd: ROOT, env: cleanEnv(env) });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/**
 * Stub commands on a PATH directory that append "<name> <args>" (and their stdin, if any) to a
 * log, then run the shell lines given for them (to print an answer or fail).
 */
export function stubCommands(bin: string, log: string, names: string[], behaviour: Record<string, string> = {}): void {
  mkdirSync(bin, { recursive: true });
  for (const tool of names) {
    const lines = [
      "#!/usr/bin/env bash",
      `echo "${tool} $*" >>"${log}"`,
      `if [ ! -t 0 ]; then input="$(cat)"; [ -z "$input" ] || echo "stdin: $input" >>"${log}"; fi`,
      behaviour[tool] ?? "",
      "",
    ];
    writeFileSync(path.join(bin, tool), lines.join("\n"), { mode: 0o755 });
  }
}

/** A git repository with an empty commit, then one more commit per given tag, tagged with it. */
export function gitRepo(dir: string, tags: string[] = []): void {
  const git = (...args: string[]) => spawnSync("git", ["-C", dir, ...args], { encoding: "utf8" });
  const commit = (message: string) => git("-c", "user.email=ci@example.com", "-c", "user.name=ci", "commit", "-q", "--allow-empty", "-m", message);
  git("init", "-q");
  commit("x");
  for (const t of tags) {
    commit(t);
    git("tag", t);
  }
}

export interface StubbedRun extends SpawnSyncReturns<string> {
  /** What the stub commands recorded: "<name> <args>" lines, and "stdin: …" lines. */
  log: string;
}

/**
 * A throwaway project (a git repository with the given files) and stub commands on PATH, for
 * running the CI commands against it with the backend settings of a CI job.
 */
export function stubbedProject(files: Record<string, string>, stubs: string[], behaviour: Record<string, string> = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), "ci-project-"));
  const bin = path.join(dir, "bin");
  const calls = path.join(dir, "calls.log");
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  stubCommands(bin, calls, stubs, behaviour);
  gitRepo(dir);
  return {
    dir,
    run(name: string, args: string[], env: Record<string, string> = {}): StubbedRun {
      rmSync(calls, { force: true });
      const r = runCi(name, args, {
        PATH: `${bin}:${process.env.PATH}`,
        CLICKVOTE_PROJECT_DIR: dir,
        PULUMI_BACKEND_URL: "file:///nowhere",
        PULUMI_CONFIG_PASSPHRASE: "not-a-real-one",
        GITHUB_REPOSITORY: "o/clickvote",
        RUNNER_TEMP: dir,
        ...env,
      });
      return { ...r, log: existsSync(calls) ? readFileSync(calls, "utf8") : "" };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
