// The prod stack, run under mocks (test/harness.ts), passes every policy of the pack, protect included.
import { beforeAll, describe, expect, it } from "vitest";
import { ProgramRun, runProgram } from "./harness";
import { checkAll, fromRecorded, TestResource } from "../policy/test-helpers";
import { policyConfigFor } from "../tools/policy-config";

let run: ProgramRun;
let resources: TestResource[];

beforeAll(async () => {
  run = await runProgram({ stack: "prod" });
  resources = run.resources.map(fromRecorded);
});

describe("prod stack under the policy pack", () => {
  it("records every resource with its URN and options", () => {
    for (const r of resources) expect(r.urn, r.name).toMatch(/^urn:pulumi:prod::clickvote::/);
    expect(resources.filter((r) => r.type === "kubernetes:policy/v1:PodDisruptionBudget")).toHaveLength(1);
  });

  it("has zero violations with the pack's defaults (protect required: the stack is named prod)", async () => {
    expect(await checkAll(resources)).toEqual([]);
  });

  it("has zero violations with the config tools/policy-config.ts writes for prod", async () => {
    const config = policyConfigFor("prod");
    expect(config["data-volumes-retained"]).toEqual({ requireProtect: true });
    expect(await checkAll(resources, config)).toEqual([]);
  });

  it("catches a data volume whose protect was dropped, and a missing PDB", async () => {
    const tampered = resources.map((r) => (r.type === "kubernetes:core/v1:PersistentVolumeClaim" ? { ...r, opts: { ...r.opts, protect: false } } : r));
    expect((await checkAll(tampered)).map((v) => v.policy)).toEqual(["data-volumes-retained"]);
    const noPdb = resources.filter((r) => r.type !== "kubernetes:policy/v1:PodDisruptionBudget");
    expect((await checkAll(noPdb)).map((v) => v.policy)).toEqual(["pod-disruption-budget"]);
  });
});
