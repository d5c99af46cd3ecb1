// The dev stack, run under mocks (test/harness.ts), passes every policy of the pack.
import { beforeAll, describe, expect, it } from "vitest";
import { ProgramRun, runProgram } from "./harness";
import { checkAll, fromRecorded, TestResource } from "../policy/test-helpers";
import { policyConfigFor } from "../tools/policy-config";

let run: ProgramRun;
let resources: TestResource[];

beforeAll(async () => {
  run = await runProgram({ stack: "dev" });
  resources = run.resources.map(fromRecorded);
});

describe("dev stack under the policy pack", () => {
  it("records every resource with its URN and options", () => {
    expect(resources.length).toBeGreaterThan(20);
    for (const r of resources) expect(r.urn, r.name).toMatch(/^urn:pulumi:dev::clickvote::/);
    expect(resources.filter((r) => r.type === "kubernetes:apps/v1:StatefulSet")).toHaveLength(2);
  });

  it("has zero violations with the pack's defaults", async () => {
    expect(await checkAll(resources)).toEqual([]);
  });

  it("has zero violations with the config tools/policy-config.ts writes for dev", async () => {
    expect(await checkAll(resources, policyConfigFor("dev"))).toEqual([]);
  });

  it("sees the real workloads: a tampered Deployment and ConfigMap are caught", async () => {
    const tampered = resources.map((r) => {
      const copy = JSON.parse(JSON.stringify(r)) as TestResource;
      if (r.type === "kubernetes:apps/v1:Deployment") {
        const pod = (copy.props.spec as { template: { spec: Record<string, unknown> } }).template.spec;
        pod.hostNetwork = true;
        (pod.containers as { image: string }[])[0].image = "ghcr.io/clickvote/clickvote:latest";
      }
      if (r.type === "kubernetes:core/v1:ConfigMap" && r.name?.includes("settings")) {
        (copy.props.data as Record<string, string>).DATABASE_URL = "postgresql://clickvote:pw@db/clickvote";
      }
      return copy;
    });
    const policies = (await checkAll(tampered)).map((v) => v.policy).sort();
    expect(policies).toEqual(["image-digest-pinned", "no-plaintext-secret-env", "pod-security-restricted"]);
  });

  it("would fail if dev were held to prod's protect rule (dev leaves data unprotected on purpose)", async () => {
    const found = await checkAll(resources, { "data-volumes-retained": { requireProtect: true } });
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((v) => v.policy === "data-volumes-retained")).toBe(true);
  });
});
