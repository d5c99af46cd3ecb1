import { expect, it } from "vitest";
import { ProgramRun, runProgram } from "./harness";

// Verify before update: a tag that does not exist fails the run and no cluster object is
// registered, because every object's namespace waits for the tag's digest.
it("tag mode with a missing tag fails before any Kubernetes object is registered", async () => {
  let failure: (Error & { run?: ProgramRun }) | undefined;
  try {
    await runProgram({ stack: "dev", overrides: { imageMode: "tag", imageTag: "missing-tag" }, preview: true, settleMs: 3000 });
  } catch (err) {
    failure = err as Error & { run?: ProgramRun };
  }
  expect(failure, "the run must fail").toBeDefined();
  // Under mocks the registry's message is lost in Pulumi's serialization wrapper; the real
  // CLI prints it (see the e2e suite). What matters here: the run failed and nothing reached the cluster.
  const kubernetesObjects = (failure!.run?.resources ?? []).filter((r) => r.type.startsWith("kubernetes:"));
  expect(kubernetesObjects.map((r) => r.name)).toEqual([]);
});
