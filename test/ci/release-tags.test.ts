import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compareVersions, latestRelease, movingTags, releaseVersions } from "../../ci/release-tags";
import { gitRepo, runCi } from "./helpers";

const TAGS = ["v1.2.0", "v1.2.1", "v1.3.0", "v2.0.0-rc.1", "not-a-release"];

describe("ci/release-tags.ts", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "release-tags-"));
  beforeAll(() => gitRepo(dir, TAGS));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const tags = (version: string) => {
    const r = runCi("release-tags", [version], { CLICKVOTE_PROJECT_DIR: dir });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.trim().split("\n").filter(Boolean);
  };

  it("the newest release takes X.Y and latest", () => expect(tags("1.3.1")).toEqual(["1.3", "latest"]));
  it("a patch of an older line takes only its X.Y", () => expect(tags("1.2.2")).toEqual(["1.2"]));
  it("an older patch than the line's newest takes nothing", () => expect(tags("1.2.0")).toEqual([]));
  it("pre-release tags do not hold latest back", () => expect(tags("2.0.0")).toEqual(["2.0", "latest"]));

  it("says which tag it holds back and why", () => {
    expect(movingTags("1.2.0", TAGS)).toEqual({ tags: [], held: ["not moving 1.2: 1.2.1 is later", "not moving latest: 1.3.0 is later"] });
  });

  it("orders versions numerically, not as text, and ignores anything but vX.Y.Z", () => {
    expect(compareVersions("1.10.0", "1.9.9")).toBeGreaterThan(0);
    expect(releaseVersions(["v1.10.0", "v1.9.9", "v1.9.9", "v01.2.3", "v2.0.0-rc.1", "1.0.0"])).toEqual(["1.9.9", "1.10.0"]);
    expect(latestRelease(TAGS)).toBe("v1.3.0");
    expect(latestRelease(["not-a-release"])).toBeUndefined();
  });
});
