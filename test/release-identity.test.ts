import { beforeAll, describe, expect, it } from "vitest";
import { ProgramRun, RecordedResource, runProgram } from "./harness";
import { get } from "./workloads";

let before: ProgramRun;
let after: ProgramRun;

beforeAll(async () => {
  before = await runProgram({ stack: "prod" });
  after = await runProgram({ stack: "prod", overrides: { version: "1.1.0" } });
});

const inputsOf = (run: ProgramRun, pick: (r: RecordedResource) => boolean) =>
  run.resources.filter(pick).map((r) => ({ type: r.type, name: r.name, inputs: r.inputs, opts: r.opts }));
const isData = (r: RecordedResource) => /clickvote-(postgres|redis)/.test(r.name) || r.name.includes("backup-volume");

describe("a new version", () => {
  it("builds a new tag and gets a new digest", () => {
    expect(before.one("docker-build:index:Image").inputs.tags).toEqual(["ghcr.io/clickvote/clickvote:1.0.0"]);
    expect(after.one("docker-build:index:Image").inputs.tags).toEqual(["ghcr.io/clickvote/clickvote:1.1.0"]);
    expect(after.outputs.imageRef).not.toEqual(before.outputs.imageRef);
  });

  it("gives the migration Job a new identity, so it runs again", () => {
    const name = (run: ProgramRun) => get(run.one("kubernetes:batch/v1:Job").inputs, "metadata.name");
    expect(name(after)).not.toEqual(name(before));
    expect(after.outputs.migrationJob).toBe(name(after));
  });

  it("changes the Deployment's pod template image", () => {
    const image = (run: ProgramRun) => get(run.one("kubernetes:apps/v1:Deployment").inputs, "spec.template.spec.containers.0.image");
    expect(image(after)).toBe(after.outputs.imageRef);
    expect(image(after)).not.toBe(image(before));
  });

  it("leaves PostgreSQL and Redis exactly as they were", () => {
    const a = inputsOf(before, isData);
    const b = inputsOf(after, isData);
    expect(a.length).toBeGreaterThanOrEqual(10);
    expect(b).toEqual(a);
  });
});
