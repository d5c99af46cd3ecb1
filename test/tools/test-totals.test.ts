import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const SCRIPT = path.resolve(__dirname, "..", "..", "tools", "test-totals.mjs");
const scratch = mkdtempSync(path.join(tmpdir(), "test-totals-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function reports(name: string, files: Record<string, object>): string {
  const dir = path.join(scratch, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, report] of Object.entries(files)) writeFileSync(path.join(dir, `${file}.json`), JSON.stringify(report));
  return dir;
}
const totals = (args: string[]) => {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: "utf8" });
  return { status: r.status, lines: r.stdout.trim().split("\n"), stderr: r.stderr };
};

describe("tools/test-totals.mjs", () => {
  const dir = reports("two", {
    program: { numPassedTests: 3, numFailedTests: 0, numPendingTests: 1 },
    e2e: { numPassedTests: 0, numFailedTests: 0, numPendingTests: 2, numTodoTests: 1 },
  });

  it("adds up the suites and ends with the totals line", () => {
    const r = totals([dir]);
    expect(r.status).toBe(0);
    expect(r.lines).toEqual(["e2e: 0 passed, 0 failed, 3 skipped", "program: 3 passed, 0 failed, 1 skipped", "3 passed, 0 failed, 4 skipped"]);
  });

  it("counts a suite that failed to load as a failure", () => {
    const r = totals([reports("broken", { program: { numPassedTests: 2, numFailedTests: 0, numFailedTestSuites: 1 } })]);
    expect(r.status).toBe(1);
    expect(r.lines.at(-1)).toBe("2 passed, 1 failed, 0 skipped");
  });

  it("for .ci/run: adds the checks, and a failed npm test without a failed test is one failure", () => {
    const ok = totals([dir, "--test-status", "0", "--checks-passed", "2", "--checks-failed", "0"]);
    expect(ok.status).toBe(0);
    expect(ok.lines.slice(-2)).toEqual(["checks: 2 passed, 0 failed (typecheck, lint)", "5 passed, 0 failed, 4 skipped"]);
    const failedRun = totals([dir, "--test-status", "1", "--checks-passed", "1", "--checks-failed", "1"]);
    expect(failedRun.status).toBe(1);
    expect(failedRun.lines).toContain("npm test exited 1");
    expect(failedRun.lines.at(-1)).toBe("4 passed, 2 failed, 4 skipped");
    const none = totals([path.join(scratch, "missing"), "--test-status", "0", "--checks-passed", "2", "--checks-failed", "0"]);
    expect(none.status).toBe(1);
    expect(none.lines.at(-1)).toBe("2 passed, 1 failed, 0 skipped");
  });

  it("rejects a bad command line", () => {
    expect(totals([]).status).toBe(2);
    expect(totals([dir, "--checks-passed", "x"]).status).toBe(2);
    expect(totals([dir, "--bogus"]).stderr).toContain("usage: test-totals.mjs");
  });
});
