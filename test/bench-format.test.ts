// e2e/bench/format.ts: the bench's rows (medians, ratios, load windows).
import { describe, expect, it } from "vitest";
import { devOverrides, loadRow, median, ratioRow, row, secondsRow } from "../e2e/bench/format";

describe("median", () => {
  it("is the middle value, or the mean of the two middle ones, whatever the order", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNaN();
  });
});

describe("row and secondsRow", () => {
  it("give the median, min, max, median CPU and the sample count", () => {
    const line = row("no-op preview", [
      { wall: 4.81, cpu: 4.4 },
      { wall: 4.32, cpu: 4.2 },
      { wall: 4.63, cpu: 4.33 },
    ]);
    expect(line).toBe(`${"no-op preview".padEnd(34)} median    4.63 s   min 4.32   max 4.81   cpu 4.33 s   (n=3)`);
  });

  it("say n=1 for a single sample, and carry a note", () => {
    expect(row("fresh up", [{ wall: 37.149, cpu: 9.52 }], "note")).toMatch(/median {3}37\.15 s {3}min 37\.15 {3}max 37\.15 {3}cpu 9\.52 s {3}\(n=1\) {3}note$/);
  });

  it("leave the CPU figure out of wall-only rows", () => {
    expect(secondsRow("first 200", [30.18], "via the Service")).toBe(
      `${"first 200".padEnd(34)} median   30.18 s   min 30.18   max 30.18   (n=1)   via the Service`,
    );
  });
});

describe("ratioRow", () => {
  it("divides the medians, wall and CPU", () => {
    const a = [
      { wall: 10, cpu: 4 },
      { wall: 30, cpu: 8 },
      { wall: 20, cpu: 6 },
    ];
    const b = [{ wall: 8, cpu: 0.5 }];
    expect(ratioRow("ratio", a, b)).toBe(`${"ratio".padEnd(34)} 2.50× wall   12.00× cpu`);
  });

  it("says n/a for the CPU ratio when a side has no CPU figure", () => {
    expect(ratioRow("ratio", [{ wall: 3, cpu: NaN }], [{ wall: 1, cpu: NaN }])).toBe(`${"ratio".padEnd(34)} 3.00× wall   cpu n/a`);
  });
});

describe("loadRow", () => {
  it("gives answered requests per second, p50/p99 and failed requests (non-2xx + errors) of all sent", () => {
    const r = { seconds: 17.1, requests: 2546, non2xx: 3, errors: 2, latency: { p50: 14, p99: 367 } };
    expect(loadRow("during the rollout", [r])).toBe(
      `${"during the rollout".padEnd(34)}   148.9 req/s   p50 14 ms   p99 367 ms (max 367)   failed 5 of 2548   over 17.1 s   (n=1)`,
    );
  });

  it("takes the medians of several windows, the highest p99, and sums the failures and seconds", () => {
    const w = (seconds: number, requests: number, p50: number, p99: number, non2xx = 0, errors = 0) => ({
      seconds,
      requests,
      non2xx,
      errors,
      latency: { p50, p99 },
    });
    const line = loadRow("rollouts", [w(10, 1500, 6, 100), w(20, 2000, 9, 400, 1), w(10, 1400, 5, 90, 0, 2)]);
    expect(line).toBe(`${"rollouts".padEnd(34)}   140.0 req/s   p50 6 ms   p99 100 ms (max 400)   failed 3 of 4902   over 40.0 s   (n=3)`);
  });

  it("does not divide by zero for an empty window", () => {
    expect(loadRow("empty", [{ seconds: 0, requests: 0, non2xx: 0, errors: 0, latency: { p50: 0, p99: 0 } }])).toContain("    0.0 req/s");
  });
});

describe("devOverrides", () => {
  const committed = "config:\n  clickvote:environment: dev\n  clickvote:imageRepository: localhost:5001/clickvote\n";
  const block = [
    "  # --- e2e/realpods/dev-overrides.sh: what this machine forces (see that script) ---",
    "  # no docker-build provider here: deploy the app image images.sh built from app/Dockerfile, by digest",
    "  clickvote:imageMode: digest",
    '  clickvote:imageDigest: "sha256:99ff"',
    '  clickvote:postgresImage: "localhost:5001/library/postgres:17-standin@sha256:f687"',
    "",
  ].join("\n");

  it("reads only the settings of the appended block, quoted or not", () => {
    expect(devOverrides(committed + block)).toEqual({
      imageMode: "digest",
      imageDigest: "sha256:99ff",
      postgresImage: "localhost:5001/library/postgres:17-standin@sha256:f687",
    });
  });

  it("refuses a stack file without the block", () => {
    expect(() => devOverrides(committed)).toThrow(/no e2e\/realpods\/dev-overrides.sh block/);
  });
});
