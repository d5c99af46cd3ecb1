// npm run bench's real-pod part (e2e/bench/realpods.sh) when the real node cannot be set up: it
// says plainly what it skipped and why, exits 0, and sets nothing up; BENCH_REALPODS takes only
// the values e2e/bench/run.sh documents.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, run } from "./helpers";

const scratch = mkdtempSync(path.join(os.tmpdir(), "clickvote-bench-realpods-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("npm run bench's real-pod part without what it needs", () => {
  it("prints that the real-pod figures were skipped, with every reason, and sets nothing up", () => {
    const cache = path.join(scratch, "empty");
    const result = run(path.join(ROOT, "e2e", "bench", "realpods.sh"), [], { CLICKVOTE_E2E_CACHE: cache, CLICKVOTE_REALPODS: "0" });
    const line = result.stdout.split("\n").find((l) => l.startsWith("real-pod figures skipped: ")) ?? "";
    expect(line).toContain("CLICKVOTE_REALPODS=0 turns this suite off");
    expect(line).toContain("the realpods binaries are not cached");
    expect(line).toContain("the stand-in root filesystems are not cached");
    expect(result.status).toBe(0);
    expect(readdirSync(scratch)).not.toContain("empty");
  }, 60_000);

  it("refuses a BENCH_REALPODS value it does not know, before running anything", () => {
    const result = run(path.join(ROOT, "e2e", "bench", "run.sh"), [], { BENCH_REALPODS: "yes" });
    expect(result.stderr).toContain("BENCH_REALPODS must be 0, 1 or only (got 'yes')");
    expect(result.status).toBe(2);
  });
});
