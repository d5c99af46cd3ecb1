import { describe, expect, it } from "vitest";
import { ProgramRun, runProgram } from "./harness";

async function failureOf(promise: Promise<ProgramRun>): Promise<Error & { run?: ProgramRun }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { run?: ProgramRun };
  }
  throw new Error("expected the program to fail");
}

describe("the real program with a bad config registers nothing", () => {
  const cases: Array<{ set: Record<string, string>; key: string }> = [
    { set: { appReplicas: "0" }, key: "appReplicas" },
    { set: { imageRepository: "registry.example.com/X/y" }, key: "imageRepository" },
    { set: { postgresStorageSize: "lots" }, key: "postgresStorageSize" },
    { set: { imageMode: "digest" }, key: "imageDigest" },
    { set: { appReplica: "3" }, key: "appReplica" },
  ];
  it.each(cases)("$set fails naming clickvote:$key", async ({ set, key }) => {
    const err = await failureOf(runProgram({ stack: "dev", overrides: set }));
    // The class comes from a fresh module registry, so compare by name.
    expect(err.name).toBe("ConfigValidationError");
    expect(err.message).toContain(`clickvote:${key}:`);
    expect(err.run?.resources).toEqual([]);
  });
});
