// Issue kind "a setting that reaches the data services but not the running data", the rows that
// cannot be applied: the role, the database, PostgreSQL's major version and the data volume
// sizes are refused up front, against what the stack's last update recorded (dataIdentity).
import { describe, expect, it } from "vitest";
import { runProgram } from "./harness";
import { DataIdentity, dataIdentityProblems, majorVersionOf } from "../settings/data-identity";

const RECORDED: DataIdentity = {
  postgresUser: "clickvote",
  postgresDatabase: "clickvote",
  postgresMajorVersion: "17",
  postgresStorageSize: "1Gi",
  redisStorageSize: "512Mi",
  postgresStorageClass: "",
  redisStorageClass: "",
};

describe("majorVersionOf", () => {
  it.each([
    ["docker.io/library/postgres:17.6-alpine@sha256:" + "a".repeat(64), "17"],
    ["docker.io/library/postgres:18-alpine@sha256:" + "a".repeat(64), "18"],
    ["localhost:5001/postgres:16@sha256:" + "a".repeat(64), "16"],
    ["localhost:5001/postgres@sha256:" + "a".repeat(64), undefined],
    ["registry.example.com/pg:latest@sha256:" + "a".repeat(64), undefined],
  ])("%s → %s", (image, major) => expect(majorVersionOf(image)).toBe(major));
});

describe("dataIdentityProblems", () => {
  it.each([
    ["postgresUser", { postgresUser: "voter" }, /clickvote:postgresUser: changed from "clickvote" to "voter".*Set it back to "clickvote"/],
    ["postgresDatabase", { postgresDatabase: "votes" }, /clickvote:postgresDatabase: changed from "clickvote" to "votes".*new, empty database/],
    ["postgresImage", { postgresMajorVersion: "18" }, /clickvote:postgresImage: moves PostgreSQL from major version 17 to 18.*pg_upgrade/],
    [
      "postgresStorageSize",
      { postgresStorageSize: "5Gi" },
      /clickvote:postgresStorageSize: changed from 1Gi to 5Gi.*data-clickvote-postgres-0.*Set it back to 1Gi/,
    ],
    ["redisStorageSize", { redisStorageSize: "256Mi" }, /clickvote:redisStorageSize: changed from 512Mi to 256Mi.*data-clickvote-redis-0/],
    ["postgresStorageClass", { postgresStorageClass: "fast-ssd" }, /clickvote:postgresStorageClass: changed from "" to "fast-ssd".*data-clickvote-postgres-0/],
    ["redisStorageClass", { redisStorageClass: "fast-ssd" }, /clickvote:redisStorageClass: changed from "" to "fast-ssd".*data-clickvote-redis-0/],
  ])("refuses a change of %s", (_key, change, says) => {
    const problems = dataIdentityProblems(RECORDED, { ...RECORDED, ...change });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(says);
  });

  it("accepts the same identity, a first update, and an identity recorded before a field existed", () => {
    expect(dataIdentityProblems(RECORDED, { ...RECORDED })).toEqual([]);
    expect(dataIdentityProblems(undefined, RECORDED)).toEqual([]);
    expect(dataIdentityProblems({ postgresUser: "clickvote" }, { ...RECORDED, postgresDatabase: "other" })).toEqual([]);
  });

  it("accepts a minor version change and an image without a tag", () => {
    expect(dataIdentityProblems(RECORDED, { ...RECORDED, postgresMajorVersion: "17" })).toEqual([]);
    const untagged: DataIdentity = { ...RECORDED };
    delete untagged.postgresMajorVersion;
    expect(dataIdentityProblems(RECORDED, untagged)).toEqual([]);
  });

  it("names every refused key at once", () => {
    const problems = dataIdentityProblems(RECORDED, { ...RECORDED, postgresUser: "a", redisStorageSize: "1Gi" });
    expect(problems.map((p) => p.split(":")[1])).toEqual(["postgresUser", "redisStorageSize"]);
  });
});

describe("the program", () => {
  it("records the identity as a stack output", async () => {
    const run = await runProgram({ stack: "dev" });
    expect(run.outputs.dataIdentity).toEqual({ ...RECORDED, postgresStorageSize: "1Gi", redisStorageSize: "512Mi" });
  });

  it("updates as usual against its own recorded identity", async () => {
    const first = await runProgram({ stack: "dev" });
    const second = await runProgram({ stack: "dev", previousOutputs: { dataIdentity: first.outputs.dataIdentity } });
    expect(second.byType("kubernetes:apps/v1:StatefulSet")).toHaveLength(2);
  });

  it("refuses a changed role before any cluster object is registered", async () => {
    const failure = await runProgram({ stack: "dev", overrides: { postgresUser: "voter" }, previousOutputs: { dataIdentity: RECORDED } }).then(
      () => undefined,
      (err: Error & { run?: { resources: { type: string; custom: boolean }[] } }) => err,
    );
    expect(failure?.message).toMatch(/clickvote:postgresUser: changed from "clickvote" to "voter"/);
    const clusterObjects = (failure?.run?.resources ?? []).filter((r) => r.custom && r.type.startsWith("kubernetes:"));
    expect(clusterObjects).toEqual([]);
  });
});
