import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkReleaseTag } from "../../ci/check-release-tag";
import { ROOT, runCi } from "./helpers";

describe("ci/check-release-tag.ts", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "release-tag-"));
  writeFileSync(path.join(dir, "Pulumi.prod.yaml"), 'config:\n  clickvote:environment: prod\n  clickvote:version: "2.3.4" # released\n');
  const env = { CLICKVOTE_PROJECT_DIR: dir };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("accepts vX.Y.Z matching clickvote:version and outputs the version", () => {
    const r = runCi("check-release-tag", ["v2.3.4"], env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("version=2.3.4");
    expect(r.stdout).toContain("minor=2.3");
  });

  it.each(["2.3.4", "v2.3", "v2.3.4-rc.1", "v02.3.4", "v2.3.4+build"])("rejects the non-release tag %s", (tag) => {
    expect(checkReleaseTag(tag, "2.3.4")).toEqual({ ok: false, reason: expect.stringMatching(/not vMAJOR\.MINOR\.PATCH/) });
    expect(checkReleaseTag(tag, undefined).ok).toBe(false);
  });

  it("rejects a tag that is not the version prod deploys, and exits non-zero", () => {
    const r = runCi("check-release-tag", ["v2.3.5"], env);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/does not match clickvote:version 2\.3\.4/);
    expect(checkReleaseTag("v1.0.0", undefined)).toEqual({ ok: false, reason: "clickvote:version is not set in Pulumi.prod.yaml" });
  });

  it("a non-release tag fails the command too", () => {
    const r = runCi("check-release-tag", ["v2.3.4-rc.1"], env);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/not vMAJOR\.MINOR\.PATCH/);
  });

  it("passes for the repository's own Pulumi.prod.yaml version", () => {
    const version = /clickvote:version:\s*"?([^"\s]+)/.exec(readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8"))?.[1];
    expect(checkReleaseTag(`v${version}`, version)).toEqual({ ok: true, version, minor: version?.split(".").slice(0, 2).join(".") });
    const r = runCi("check-release-tag", [`v${version}`]);
    expect(r.status, r.stderr).toBe(0);
  });
});
