// e2e/realpods/run.sh when the real-node suite cannot run: every test is reported skipped (never
// passed), the reason is printed plainly, and nothing is set up (no cluster, node or registry).
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, run } from "./helpers";

const RUN = path.join(ROOT, "e2e", "realpods", "run.sh");
const scratch = mkdtempSync(path.join(os.tmpdir(), "clickvote-realpods-run-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("e2e/realpods/run.sh without what it needs", () => {
  it("reports every real-node test skipped with the reason, and totals them as skipped", () => {
    // an empty cache: no realpods binaries or root filesystems (and CLICKVOTE_REALPODS=0 for a root user)
    const cache = path.join(scratch, "empty");
    const result = run(RUN, [], { CLICKVOTE_E2E_CACHE: cache, CLICKVOTE_REALPODS: "0" });
    const output = result.stdout + result.stderr;
    const reason = output.split("\n").find((line) => line.startsWith("REALPODS SKIPPED: ")) ?? "";
    expect(reason).toContain("CLICKVOTE_REALPODS=0 turns this suite off");
    expect(reason).toContain("the realpods binaries are not cached");
    expect(reason).toContain("the stand-in root filesystems are not cached");
    expect(output).toMatch(/^0 passed, 0 failed, [1-9]\d* skipped$/m);
    expect(result.status).toBe(0);
    // nothing was set up in the cache
    expect(readdirSync(scratch)).not.toContain("empty");
  }, 180_000);

  it("runs in CI like anywhere else: without its caches it skips with the plain reason, no CI opt-in", () => {
    const cache = path.join(scratch, "ci");
    const result = run(RUN, [], { CLICKVOTE_E2E_CACHE: cache, CI: "true", CLICKVOTE_REALPODS: "" });
    const output = result.stdout + result.stderr;
    const reason = output.split("\n").find((line) => line.startsWith("REALPODS SKIPPED: ")) ?? "";
    expect(reason).toContain("the realpods binaries are not cached");
    expect(reason).not.toContain("CI");
    expect(output).toMatch(/^0 passed, 0 failed, [1-9]\d* skipped$/m);
    expect(result.status).toBe(0);
  }, 180_000);
});
