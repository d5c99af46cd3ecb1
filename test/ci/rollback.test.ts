import { afterAll, describe, expect, it } from "vitest";
import { stubbedProject } from "./helpers";

describe("ci/rollback.ts", () => {
  const project = stubbedProject({ "Pulumi.prod.yaml": "config:\n  clickvote:environment: prod\n" }, ["pulumi", "npm"]);
  afterAll(project.remove);
  const rollback = (args: string[]) => project.run("rollback", args);

  it("selects the stack and runs npm run rollback to the given version with --yes", () => {
    const r = rollback(["prod", "1.4.2"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.log).toContain("pulumi stack select prod --non-interactive");
    expect(r.log).toContain("npm run rollback -- --stack prod --to 1.4.2 --yes");
  });

  it("without a version (the workflow's empty input) rolls back to the last good release", () => {
    const r = rollback(["prod", ""]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.log).toContain("npm run rollback -- --stack prod --yes");
  });

  it("refuses a version that is neither X.Y.Z nor a digest, before touching the stack", () => {
    const r = rollback(["prod", "last-good"]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("version 'last-good' is neither X.Y.Z nor sha256:<64 hex>");
    expect(r.log).toBe("");
  });
});
