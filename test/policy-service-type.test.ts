// clickvote:serviceType LoadBalancer: the pack refuses it unless its config (written from the
// stack's settings by tools/policy-config.ts) allows it.
import { beforeAll, describe, expect, it } from "vitest";
import { runProgram } from "./harness";
import { checkAll, fromRecorded, TestResource } from "../policy/test-helpers";
import { policyConfigFor } from "../tools/policy-config";

let resources: TestResource[];

beforeAll(async () => {
  const run = await runProgram({ stack: "dev", overrides: { serviceType: "LoadBalancer", networkPolicyAppClientCidrs: '["0.0.0.0/0"]' } });
  resources = run.resources.map(fromRecorded);
});

describe("a LoadBalancer Service", () => {
  it("violates service-type-allowed with the default config", async () => {
    const found = await checkAll(resources);
    expect(found).toEqual([expect.objectContaining({ policy: "service-type-allowed", message: expect.stringMatching(/type LoadBalancer is not allowed/) })]);
  });

  it("passes once the stack's serviceType flows into allowedServiceTypes", async () => {
    const config = policyConfigFor("dev", { serviceType: "LoadBalancer", networkPolicyAppClientCidrs: '["0.0.0.0/0"]' });
    expect(config["service-type-allowed"]).toEqual({ allowedServiceTypes: ["ClusterIP", "LoadBalancer"] });
    expect(await checkAll(resources, config)).toEqual([]);
  });
});
