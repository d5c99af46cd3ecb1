import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { failureSummary, parseCommandArgs, PROJECT_ROOT } from "../../release/stack";

describe("release command helpers", () => {
  it("names the failed resources and why, not the Automation API wrapper", () => {
    const error = new Error(
      [
        "code: 255",
        " stdout: Updating (prod):",
        " ~  kubernetes:apps/v1:Deployment clickvote-app-deployment updating (31s) error: 4 errors occurred:",
        "Diagnostics:",
        "  kubernetes:apps/v1:Deployment (clickvote-app-deployment):",
        "    error: 4 errors occurred:",
        '    \t* the Kubernetes API server reported that "prod/clickvote-app" failed to fully initialize or become live: timed out waiting to be Ready',
        "    \t* Minimum number of live Pods was not attained",
        "  pulumi:pulumi:Stack (clickvote-prod):",
        "    error: update failed",
        "Resources:",
        "    38 unchanged",
        "",
        " stderr: Command failed with exit code 255: pulumi up --yes --skip-preview --stack prod --non-interactive",
      ]
        .join("\n")
        .replace(/\\t/g, "\t"),
    );
    const summary = failureSummary(error);
    expect(summary.split("\n")[0]).toBe("kubernetes:apps/v1:Deployment (clickvote-app-deployment): error: 4 errors occurred:");
    expect(summary).toMatch(/Minimum number of live Pods was not attained/);
    expect(summary).not.toMatch(/Command failed|update failed/);
  });

  it("takes the project directory from --cwd, else CLICKVOTE_PROJECT_DIR, else the repository", () => {
    const saved = process.env.CLICKVOTE_PROJECT_DIR;
    try {
      delete process.env.CLICKVOTE_PROJECT_DIR;
      expect(parseCommandArgs(["--stack", "dev"], "usage").workDir).toBe(PROJECT_ROOT);
      process.env.CLICKVOTE_PROJECT_DIR = "/tmp/project-copy";
      expect(parseCommandArgs(["--stack", "dev"], "usage").workDir).toBe("/tmp/project-copy");
      expect(parseCommandArgs(["--stack", "dev", "--cwd", "/srv/other"], "usage").workDir).toBe("/srv/other");
    } finally {
      if (saved === undefined) delete process.env.CLICKVOTE_PROJECT_DIR;
      else process.env.CLICKVOTE_PROJECT_DIR = saved;
    }
  });

  it("reads --to, --yes and repeated --policy-pack (resolved to absolute paths)", () => {
    const args = parseCommandArgs(["--stack", "prod", "--to", "1.4.2", "--yes", "--policy-pack", "policy", "--policy-pack", "/abs/pack"], "usage");
    expect(args).toMatchObject({ stack: "prod", to: "1.4.2", yes: true, policyPacks: [path.resolve("policy"), "/abs/pack"] });
    expect(parseCommandArgs(["--stack", "dev"], "usage")).toMatchObject({ to: undefined, yes: false, policyPacks: [] });
  });

  it.each([
    [["--stack", "dev", "--bogus"], /Unknown option '--bogus'/],
    [["--yes"], /--stack is required/],
    [["--stack", "dev", "extra"], /Unexpected argument 'extra'/],
  ])("npm run rollback %j exits 2 with the usage, before touching any stack", (argv, message) => {
    const root = path.resolve(__dirname, "..", "..");
    const r = spawnSync(process.execPath, [require.resolve("tsx/cli"), path.join(root, "release", "rollback.ts"), ...argv], { encoding: "utf8", cwd: root });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain("usage: npm run rollback -- --stack <stack>");
  });
});
