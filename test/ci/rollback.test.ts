import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gitRepo, runCi, stubCommands } from "./helpers";

describe("ci/rollback.ts", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "ci-rollback-"));
  const bin = path.join(dir, "bin");
  const calls = path.join(dir, "calls.log");
  beforeAll(() => {
    writeFileSync(path.join(dir, "Pulumi.prod.yaml"), "config:\n  clickvote:environment: prod\n");
    stubCommands(bin, calls, ["pulumi", "npm"]);
    gitRepo(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const rollback = (args: string[]) => {
    rmSync(calls, { force: true });
    const r = runCi("rollback", args, {
      PATH: `${bin}:${process.env.PATH}`,
      CLICKVOTE_PROJECT_DIR: dir,
      PULUMI_BACKEND_URL: "file:///nowhere",
      PULUMI_CONFIG_PASSPHRASE: "not-a-real-one",
      GITHUB_REPOSITORY: "o/clickvote",
      RUNNER_TEMP: dir,
    });
    let log = "";
    try {
      log = readFileSync(calls, "utf8");
    } catch {
      // no call made
    }
    return { ...r, log };
  };

  it("selects the stack and runs npm run rollback to the given version with --yes", () => {
    const r = rollback(["prod", "1.4.2"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.log).toContain("pulumi stack select prod --non-interactive");
    expect(r.log).toContain("npm run rollback -- --stack prod --to 1.4.2 --yes");
  });

  it("without a version (the workflow's empty input) rolls back to the last good release", () => {
    const r = rollback(["prod", ""]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.log).toContain("npm run rollback -- --stack prod --yes");
  });

  it("refuses a version that is neither X.Y.Z nor a digest, before touching the stack", () => {
    const r = rollback(["prod", "last-good"]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("version 'last-good' is neither X.Y.Z nor sha256:<64 hex>");
    expect(r.log).toBe("");
  });
});
