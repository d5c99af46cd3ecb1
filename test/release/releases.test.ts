import { describe, expect, it } from "vitest";
import { HistoryEntry, planRollback, releaseKey, releaseOf, rollbackSettings, updates } from "../../release/releases";

const D1 = `sha256:${"1".repeat(64)}`;
const D2 = `sha256:${"2".repeat(64)}`;

let n = 0;
function entry(result: string, config: Record<string, string>, kind = "update"): HistoryEntry {
  n += 1;
  return {
    kind,
    result,
    version: n,
    startTime: new Date(Date.UTC(2026, 10, 1, 0, n)).toISOString(),
    config: Object.fromEntries(Object.entries(config).map(([k, v]) => [`clickvote:${k}`, { value: v, secret: false }])),
  };
}

describe("releases from history", () => {
  it("reads a build-mode release by its version tag", () => {
    const r = releaseOf(entry("succeeded", { version: "1.2.0" }));
    expect(r).toMatchObject({ mode: "build", version: "1.2.0", tag: "1.2.0" });
    expect(releaseKey(r)).toBe("tag:1.2.0");
  });

  it("reads a digest-mode release by its digest", () => {
    const r = releaseOf(entry("succeeded", { imageMode: "digest", imageDigest: D1, version: "1.0.0" }));
    expect(releaseKey(r)).toBe(`digest:${D1}`);
  });

  it("rolls a failed release back to the newest successful, different one", () => {
    const history = [
      entry("succeeded", { version: "1.0.0" }),
      entry("succeeded", { version: "1.1.0" }),
      entry("succeeded", { version: "1.1.0" }, "refresh"),
      entry("failed", { version: "1.2.0" }),
    ];
    const plan = planRollback(history);
    expect(plan.ok && plan.target.version).toBe("1.1.0");
    expect(plan.ok && plan.current?.version).toBe("1.2.0");
  });

  it("rolls a successful but bad release back to the one before it", () => {
    const history = [entry("succeeded", { imageMode: "digest", imageDigest: D1 }), entry("succeeded", { imageMode: "digest", imageDigest: D2 })];
    const plan = planRollback(history);
    expect(plan.ok && plan.target.digest).toBe(D1);
  });

  it("ignores previews, refreshes and destroys when looking for releases", () => {
    const history = [entry("succeeded", { version: "0.9.0" }, "preview"), entry("succeeded", { version: "1.0.0" })];
    const plan = planRollback(history);
    expect(plan.ok).toBe(false);
  });

  it("refuses with a clear message when there is nothing to roll back to", () => {
    const empty = planRollback([]);
    expect(empty).toEqual({ ok: false, reason: expect.stringMatching(/no deployments in its history/) });
    const onlyOne = planRollback([entry("succeeded", { version: "1.0.0" }), entry("failed", { version: "1.0.0" })]);
    expect(onlyOne.ok).toBe(false);
    expect(!onlyOne.ok && onlyOne.reason).toMatch(/nothing to roll back to/);
  });

  it("takes an explicit version or digest with --to and rejects anything else", () => {
    const history = [entry("succeeded", { version: "1.0.0" }), entry("succeeded", { version: "1.1.0" })];
    const byVersion = planRollback(history, "1.0.0");
    expect(byVersion.ok && byVersion.target).toMatchObject({ version: "1.0.0", update: history[0].version });
    const byDigest = planRollback(history, D2);
    expect(byDigest.ok && byDigest.target).toMatchObject({ mode: "digest", digest: D2 });
    const bad = planRollback(history, "last-good");
    expect(!bad.ok && bad.reason).toMatch(/--to must be a release version/);
  });

  it("redeploys built releases by their immutable tag and digest releases by digest", () => {
    expect(rollbackSettings({ mode: "build", version: "1.1.0", tag: "1.1.0" })).toEqual({
      imageMode: "tag",
      imageTag: "1.1.0",
      imageDigest: "",
      version: "1.1.0",
    });
    expect(rollbackSettings({ mode: "digest", version: "1.0.0", digest: D1 })).toEqual({ imageMode: "digest", imageDigest: D1, version: "1.0.0" });
  });

  it("treats the image repository as part of a release and rolls it back too", () => {
    const NEVER = "ghcr.io/clickvote/never-ready";
    const history = [
      entry("succeeded", { imageMode: "digest", imageDigest: D1, version: "1.0.0" }),
      entry("failed", { imageMode: "digest", imageRepository: NEVER, imageDigest: D2, version: "1.0.0" }),
    ];
    expect(releaseKey(releaseOf(history[1]))).toBe(`digest:${D2}@${NEVER}`);
    // Same digest, other repository: a different release.
    const sameDigest = [history[0], entry("failed", { imageMode: "digest", imageRepository: NEVER, imageDigest: D1, version: "1.0.0" })];
    const plan = planRollback(sameDigest);
    expect(plan.ok && plan.target).toMatchObject({ digest: D1, repository: "ghcr.io/clickvote/clickvote" });
    const back = planRollback(history);
    expect(back.ok && rollbackSettings(back.target)).toEqual({
      imageMode: "digest",
      imageRepository: "ghcr.io/clickvote/clickvote",
      imageDigest: D1,
      version: "1.0.0",
    });
    // --to a digest deployed before comes from the repository it was deployed from.
    const to = planRollback(history, D1);
    expect(to.ok && to.target.repository).toBe("ghcr.io/clickvote/clickvote");
    // An explicitly set default repository is the same release as an unset one.
    expect(releaseKey(releaseOf(entry("succeeded", { imageMode: "digest", imageRepository: "ghcr.io/clickvote/clickvote", imageDigest: D1 })))).toBe(
      `digest:${D1}`,
    );
  });

  it("orders updates of the file backend (all numbered 0) by start time, then by history order", () => {
    const at = (min: number, digest: string, result = "succeeded"): HistoryEntry => ({
      kind: "update",
      result,
      version: 0,
      startTime: new Date(Date.UTC(2026, 10, 1, 0, min)).toISOString(),
      config: { "clickvote:imageMode": { value: "digest" }, "clickvote:imageDigest": { value: digest } },
    });
    // `pulumi stack history` lists newest first; a shuffled list must still sort by time.
    const history = [at(1, D1), at(3, D2, "failed"), at(2, D1)];
    expect(updates(history).map((h) => h.startTime)).toEqual([history[1].startTime, history[2].startTime, history[0].startTime]);
    const plan = planRollback(history);
    expect(plan.ok && plan.current?.digest).toBe(D2);
    expect(plan.ok && plan.target.digest).toBe(D1);
  });
});
