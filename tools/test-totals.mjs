// Adds up vitest JSON reports in a directory and prints "N passed, N failed, N skipped".
// Exits non-zero when a report is missing tests it was expected to have or any test failed.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2];
let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
  const report = JSON.parse(readFileSync(join(dir, file), "utf8"));
  const p = report.numPassedTests ?? 0;
  // A file that fails to load has no failed test but a failed suite: count it as a failure.
  const f = (report.numFailedTests ?? 0) > 0 ? report.numFailedTests : (report.numFailedTestSuites ?? 0);
  const s = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  console.log(`${file.replace(/\.json$/, "")}: ${p} passed, ${report.numFailedTests ?? 0} failed, ${s} skipped${report.numFailedTestSuites ? ` (${report.numFailedTestSuites} suites failed to run)` : ""}`);
  passed += p;
  failed += f;
  skipped += s;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
