// Every measured figure in the docs names the script that printed it and the date (issue 16).
//
// The rule (tools/docs-figures.ts applies it; `npx tsx tools/docs-figures.ts` lists every figure):
// - A figure is a number with a unit of measurement (ms, s, min, h; KiB…GB; req/s; %; "3× faster")
//   or a count a run produced ("16 passed", "232 requests"), and, in a table whose caption or
//   header speaks of seconds, timings, cold or warm, a bare number in a cell.
// - Configuration is not a figure and needs no source: values in `inline code`, the generated
//   config reference, command and manifest blocks (sh, yaml, …), a machine's description
//   ("2 cores, 24 GiB"), and numbers whose clause names a setting (timeout, deadline, default,
//   limit, backoff, TTL, "at most", "within", ≤ …). A measurement word before the figure or in its
//   parenthesis (measured, took, median, slowest …) makes it a figure again. In doubt: a figure.
// - The source is cited in the figure's paragraph, list item or table row (a table row may also
//   rely on the paragraph just above the table) as a parenthesis or table cell holding both an
//   inline-code script that exists here and an ISO date, e.g.
//   "(`e2e/toolchain.sh --times`, 2026-11-30, cold, load 11–33)". cold|warm and load are part of
//   the convention where they apply; the test requires the script and the date.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { DOC_FILES, ROOT, Figure, figuresIn, namesScript, scanDocs, scanMarkdown } from "../tools/docs-figures";

/**
 * Unsourced figures that another change is to fix: listed, not hidden. Each entry must still be
 * unsourced, so the list shrinks as they are fixed. Empty now.
 */
const PENDING: Array<{ file: string; figure: string; in: string; why: string }> = [];

const isPending = (f: Figure): boolean => PENDING.some((p) => p.file === f.file && p.figure === f.figure && f.context.startsWith(p.in));
const describeFigure = (f: Figure): string => `${f.file}:${f.line} ${f.figure} — ${f.context}`;

describe("the figure detector", () => {
  it("reports a measured figure without a source", () => {
    const figures = scanMarkdown("The seven binaries took about 13 minutes on 2 cores.\n", "README.md");
    expect(figures.map((f) => [f.figure, f.source])).toEqual([["13 minutes", undefined]]);
  });

  it("finds measurements of every kind, including ones with no measurement word", () => {
    expect(figuresIn("waited without bound (141 s)")).toEqual(["141 s"]);
    expect(figuresIn("reads are 3× faster from the cache, 1,200 req/s, 99.5% hits")).toEqual(["3× faster", "1,200 req/s", "99.5%"]);
    expect(figuresIn("smoke test: 16 passed, 0 failed over 232 requests")).toEqual(["16 passed", "0 failed", "232 requests"]);
    // a setting word does not hide a figure the clause says was measured
    expect(figuresIn("the migration timeout fired after it took 141 s")).toEqual(["141 s"]);
    expect(figuresIn("(measured: all requests 200 from 12.0 s; /readyz green after 11.1 s with a probe per second)")).toEqual(["12.0 s", "11.1 s"]);
  });

  it("leaves configuration out", () => {
    expect(figuresIn("Pulumi fails the update at the timeout (300 s)")).toEqual([]);
    expect(figuresIn("`--timeout-ms` sets the limit of each call (default 4000 ms)")).toEqual([]);
    expect(figuresIn("an integer from 1 to 20; `activeDeadlineSeconds` 300 s; backoff up\nto 2 s")).toEqual([]);
    expect(figuresIn("`kubectl wait --timeout=120s` on 2 cores, 24 GiB, for 404s")).toEqual([]);
    expect(scanMarkdown("```sh\nsleep 5s  # took 5 s\n```\n", "README.md")).toEqual([]);
  });

  it("accepts a citation with an existing script and a date, in the block or the table's caption", () => {
    const cited = scanMarkdown("A cold build took 2055 s (`e2e/toolchain.sh --times`, 2026-11-30, cold, load 20).\n", "README.md");
    expect(cited.map((f) => f.source)).toEqual([{ script: "e2e/toolchain.sh --times", date: "2026-11-30" }]);
    const table = "Seconds of wall clock (`toolchain.sh --times`, 2026-11-23, cold).\n\n| binary | cold |\n| --- | --- |\n| etcd | 44 |\n";
    expect(scanMarkdown(table, "e2e/README.md").map((f) => [f.figure, f.source?.script])).toEqual([["44", "toolchain.sh --times"]]);
  });

  it("rejects a citation without a date, with a script that does not exist, or outside a parenthesis or cell", () => {
    expect(scanMarkdown("It took 12 s (`e2e/toolchain.sh --times`, cold).\n", "README.md")[0].source).toBeUndefined();
    expect(scanMarkdown("It took 12 s (`e2e/no-such-script.sh`, 2026-11-30).\n", "README.md")[0].source).toBeUndefined();
    expect(scanMarkdown("It took 12 s on 2026-11-30; see `e2e/toolchain.sh --times`.\n", "README.md")[0].source).toBeUndefined();
    expect(namesScript("npm run no-such-script", ".")).toBe(false);
    expect(namesScript("npm run bench", ".")).toBe(true);
    expect(namesScript("npm --prefix app test", ".")).toBe(true);
    expect(namesScript("test/dead-connections.test.ts", "app")).toBe(true);
  });
});

describe("the docs", () => {
  const figures = scanDocs();

  it("covers the issue's docs, and finds figures in them", () => {
    for (const file of DOC_FILES) expect(fs.existsSync(path.join(ROOT, file)), file).toBe(true);
    expect(figures.length).toBeGreaterThan(50);
  });

  it("name the script and the date of every measured figure", () => {
    const missing = figures.filter((f) => !f.source && !isPending(f)).map(describeFigure);
    expect(missing, "cite each as (`<script>`, YYYY-MM-DD, cold|warm, load L); see the rule at the top of this file").toEqual([]);
  });

  it("still have each pending figure, unsourced (remove the entry once it is fixed)", () => {
    for (const p of PENDING) {
      const found = figures.filter((f) => f.file === p.file && f.figure === p.figure && f.context.startsWith(p.in));
      expect(found.length, `${p.file}: ${p.figure} (${p.why})`).toBeGreaterThan(0);
      expect(
        found.every((f) => !f.source),
        `${p.file}: ${p.figure} has a source now`,
      ).toBe(true);
    }
  });

  it("state the bad-config table's size as it is (README, Testing)", () => {
    const testFile = fs.readFileSync(path.join(ROOT, "test/config-validation.test.ts"), "utf8");
    const table = testFile.slice(testFile.indexOf("const BAD_CONFIGS"), testFile.indexOf("\n];", testFile.indexOf("const BAD_CONFIGS")));
    const rows = table.match(/\bstack: "/g)?.length ?? 0;
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    expect(readme).toContain(`a table of ${rows} bad configs`);
  });
});
