// e2e/bench/cli.ts: runCli against a stand-in CLI that writes its event log over time.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EngineEvent } from "@pulumi/pulumi/automation";
import { describe, expect, it } from "vitest";
import { runCli } from "../e2e/bench/cli";

/** A stand-in `pulumi`: appends one event line, waits 300 ms, appends half a second line, 100 ms later the rest, exits with $EXIT. */
function fakeCli(dir: string): string {
  const file = path.join(dir, "pulumi");
  fs.writeFileSync(
    file,
    [
      "#!/usr/bin/env node",
      "const fs = require('node:fs');",
      "const args = process.argv.slice(2);",
      "const log = args[args.indexOf('--event-log') + 1];",
      "console.log('args: ' + args.join(' '));",
      "console.log('PULUMI_DEBUG_COMMANDS=' + process.env.PULUMI_DEBUG_COMMANDS);",
      "console.error('to stderr');",
      "fs.appendFileSync(log, JSON.stringify({ sequence: 1, timestamp: 1, stdoutEvent: { message: 'one', color: 'never' } }) + '\\n');",
      "setTimeout(() => {",
      "  const line = JSON.stringify({ sequence: 2, timestamp: 2, summaryEvent: { maybeCorrupt: false, durationSeconds: 1, resourceChanges: {}, policyPacks: {} } });",
      "  fs.appendFileSync(log, line.slice(0, 10));", // half a line, read alone by a poll
      "  setTimeout(() => {",
      "    fs.appendFileSync(log, line.slice(10) + '\\n');",
      "    process.exit(Number(process.env.EXIT ?? 0));",
      "  }, 100);",
      "}, 300);",
    ].join("\n"),
    { mode: 0o755 },
  );
  return file;
}

describe("runCli", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-cli-"));
  const cli = fakeCli(dir);

  it("passes --non-interactive and an event log, returns the output and exit code, and hands over each event in order as it arrives", async () => {
    const events: Array<[EngineEvent, number]> = [];
    const r = await runCli(["up", "--yes"], { cwd: dir, env: { ...process.env, EXIT: "0" }, cli, onEvent: (e, at) => events.push([e, at]) });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^args: up --yes --non-interactive --event-log \S+events\.jsonl$/m);
    expect(r.stderr).toContain("to stderr");
    expect(r.stdout).toContain("PULUMI_DEBUG_COMMANDS=true"); // the CLI defines --event-log only then
    expect(events.map(([e]) => e.sequence)).toEqual([1, 2]);
    // the first was read while the command still ran, the second about 300 ms later
    expect(events[1][1] - events[0][1]).toBeGreaterThan(0.2);
    expect(events[1][0].summaryEvent?.durationSeconds).toBe(1);
  });

  it("resolves with a non-zero exit code instead of rejecting, and leaves no event log behind", async () => {
    const before = fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith("clickvote-bench-events-")).length;
    const r = await runCli(["up"], { cwd: dir, env: { ...process.env, EXIT: "3" }, cli });
    expect(r.code).toBe(3);
    expect(fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith("clickvote-bench-events-")).length).toBe(before);
  });
});
