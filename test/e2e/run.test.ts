// e2e/run.sh on a machine without a complete toolchain: every e2e test is reported skipped, the
// reason names each missing binary and its fix, and nothing is built.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PREBUILT, RUN, fixFor, run } from "./helpers";

const scratch = mkdtempSync(path.join(os.tmpdir(), "clickvote-e2e-run-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("e2e/run.sh without a complete toolchain", () => {
  it("skips every e2e test and prints which binaries are missing and their fixes, without building", () => {
    const cache = path.join(scratch, "run-empty");
    // one e2e file is enough: the reason is decided before vitest starts
    const result = run(RUN, ["e2e/readme-command.e2e.test.ts"], { CLICKVOTE_E2E_CACHE: cache, CI: "true" });
    const output = result.stdout + result.stderr;
    const reason = output.split("\n").find((line) => line.startsWith("E2E SKIPPED: ")) ?? "";
    expect(reason).toContain("cannot be completed on this machine");
    for (const name of Object.keys(PREBUILT)) {
      expect(reason).toContain(`${name}: ${fixFor(name)}`);
      expect(reason).toContain(PREBUILT[name]);
    }
    expect(output).not.toMatch(/building the toolchain/);
    expect(output).toMatch(/skipped/i);
    expect(output).not.toMatch(/\b[1-9]\d* passed/);
    expect(result.status).toBe(0);
    // nothing was built into the cache
    expect(existsSync(path.join(cache, "work"))).toBe(false);
  }, 180_000);
});
