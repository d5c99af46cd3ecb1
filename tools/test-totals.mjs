// Adds up vitest JSON reports in a directory and prints "N passed, N failed, N skipped" last.
// Exits non-zero when any test failed or a suite failed to run.
//   node tools/test-totals.mjs <reports dir>                       (tools/test.sh, after the suites)
//   node tools/test-totals.mjs <reports dir> --checks-passed N --checks-failed N --test-status S
//                                                                  (.ci/run: adds its typecheck and lint
//                                                                   checks, and counts a failed npm test
//                                                                   that left no failed test as one failure)
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

const usage = "usage: test-totals.mjs <reports dir> [--checks-passed N] [--checks-failed N] [--test-status S]";
let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: { "checks-passed": { type: "string" }, "checks-failed": { type: "string" }, "test-status": { type: "string" } },
  });
} catch (err) {
  console.error(`${err.message}\n${usage}`);
  process.exit(2);
}
const { values, positionals } = parsed;
if (positionals.length !== 1) {
  console.error(usage);
  process.exit(2);
}
const dir = positionals[0];
const count = (name) => {
  const n = Number(values[name] ?? 0);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name} must be a count, got ${values[name]}\n${usage}`);
    process.exit(2);
  }
  return n;
};

let passed = 0;
let failed = 0;
let skipped = 0;
const reports = existsSync(dir)
  ? readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .sort()
  : [];
for (const file of reports) {
  const report = JSON.parse(readFileSync(join(dir, file), "utf8"));
  const p = report.numPassedTests ?? 0;
  // A file that fails to load has no failed test but a failed suite: count it as a failure.
  const f = (report.numFailedTests ?? 0) > 0 ? report.numFailedTests : (report.numFailedTestSuites ?? 0);
  const s = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  console.log(
    `${file.replace(/\.json$/, "")}: ${p} passed, ${report.numFailedTests ?? 0} failed, ${s} skipped${report.numFailedTestSuites ? ` (${report.numFailedTestSuites} suites failed to run)` : ""}`,
  );
  passed += p;
  failed += f;
  skipped += s;
}
if (values["test-status"] !== undefined) {
  const status = count("test-status");
  if (reports.length === 0) {
    console.log(`no test reports in ${dir}`);
    failed += 1;
  } else if (status !== 0 && failed === 0) {
    console.log(`npm test exited ${status}`);
    failed += 1;
  }
}
if (values["checks-passed"] !== undefined || values["checks-failed"] !== undefined) {
  const [cp, cf] = [count("checks-passed"), count("checks-failed")];
  console.log(`checks: ${cp} passed, ${cf} failed (typecheck, lint)`);
  passed += cp;
  failed += cf;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
