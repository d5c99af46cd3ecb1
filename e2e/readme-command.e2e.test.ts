// The README's deploy command, as a new user runs it, against the local cluster. The only
// difference from the committed dev stack: it deploys a digest (no Docker engine here to build)
// into its own namespace.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { deleteNamespace, digestOf, E2E_UNAVAILABLE, kubectlJson, projectCopy, pulumiEnv, ROOT } from "./lib";

const NAMESPACE = "clickvote-readme";
let workDir = "";
let env: Record<string, string> = {};

afterAll(() => {
  if (!workDir) return;
  try {
    execFileSync("pulumi", ["destroy", "--yes", "--stack", "dev"], { cwd: workDir, env: { ...process.env, ...env }, stdio: "ignore" });
  } catch {
    // best effort
  }
  deleteNamespace(NAMESPACE);
  fs.rmSync(workDir, { recursive: true, force: true });
});

describe.skipIf(E2E_UNAVAILABLE)(`README quick start${E2E_UNAVAILABLE ? ` (skipped: ${E2E_UNAVAILABLE})` : ""}`, () => {
  it("`npm run deploy:dev` creates the dev stack and deploys it", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    expect(readme).toMatch(/^npm run deploy:dev\b/m);
    deleteNamespace(NAMESPACE);
    workDir = projectCopy();
    for (const dir of ["release", "tools"]) fs.cpSync(path.join(ROOT, dir), path.join(workDir, dir), { recursive: true });
    // deploy:dev runs the policy pack: the pack's sources, its installed dependencies shared.
    fs.cpSync(path.join(ROOT, "policy"), path.join(workDir, "policy"), { recursive: true, filter: (src) => !src.includes(`${path.sep}node_modules`) });
    fs.symlinkSync(path.join(ROOT, "policy", "node_modules"), path.join(workDir, "policy", "node_modules"));
    fs.appendFileSync(
      path.join(workDir, "Pulumi.dev.yaml"),
      `  clickvote:imageMode: digest\n  clickvote:imageDigest: ${digestOf("readme")}\n  clickvote:namespace: ${NAMESPACE}\n`,
    );
    env = pulumiEnv(fs.mkdtempSync(path.join(os.tmpdir(), "clickvote-readme-")));
    const out = execFileSync("npm", ["run", "deploy:dev", "--", "--yes"], { cwd: workDir, env: { ...process.env, ...env }, encoding: "utf8" });
    expect(out).toMatch(/\+ \d+ created/);
    const deployment = kubectlJson<{ status: { readyReplicas?: number } }>("get", "deployment", "clickvote-app", "-n", NAMESPACE);
    expect(deployment.status.readyReplicas).toBe(1);
  });
});
