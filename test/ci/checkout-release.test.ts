import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { gitRepo, runCi } from "./helpers";

describe("ci/checkout-release.ts", () => {
  const dirs: string[] = [];
  const repo = (tags: string[]) => {
    const dir = mkdtempSync(path.join(tmpdir(), "checkout-release-"));
    dirs.push(dir);
    gitRepo(dir, tags);
    return dir;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it("checks out the highest vX.Y.Z tag and outputs it", () => {
    const dir = repo(["v1.2.0", "v1.10.0", "v1.9.0", "v2.0.0-rc.1"]);
    const r = runCi("checkout-release", [], { CLICKVOTE_PROJECT_DIR: dir });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe("ref=v1.10.0");
    const at = (ref: string) => spawnSync("git", ["-C", dir, "rev-parse", ref], { encoding: "utf8" }).stdout.trim();
    expect(at("HEAD")).toBe(at("v1.10.0^{commit}"));
  });

  it("stays on the current commit when there is no release yet", () => {
    const dir = repo(["v2.0.0-rc.1"]);
    const head = spawnSync("git", ["-C", dir, "rev-parse", "HEAD"], { encoding: "utf8" }).stdout.trim();
    const r = runCi("checkout-release", [], { CLICKVOTE_PROJECT_DIR: dir });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`ref=${head}`);
    expect(r.stderr).toContain("no release tag yet");
  });
});
