// The Pulumi CLI as a user runs it, for the bench's `up` figures. The Automation API's
// `stack.up()` runs two more CLI commands after the update (`pulumi stack output` for the result's
// outputs, `pulumi stack history` for its summary; @pulumi/pulumi automation/stack.js), which
// add most of a second that `pulumi up` on the command line does not spend. Engine events come
// from the CLI's `--event-log` file (JSON lines, the same EngineEvent objects the Automation API
// reads from it), polled while the command runs and stamped with the bench's clock on arrival.
// The CLI defines `--event-log` only with PULUMI_DEBUG_COMMANDS=true (pkg/cmd/pulumi/operations/
// up.go, v3.259.0), which the Automation API sets for its commands too.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { StringDecoder } from "node:string_decoder";
import { EngineEvent } from "@pulumi/pulumi/automation";
import { CliResult, start } from "../failures-helpers";
import { now } from "./measure";

/** How often the event log is read while the command runs, in milliseconds. */
export const EVENT_POLL_MS = 20;

/**
 * Runs `pulumi <args> --non-interactive --event-log <temp file>`, with PULUMI_DEBUG_COMMANDS=true
 * added to `env` (`pulumi` from `env.PATH` unless
 * `cli` names it) in `cwd`, calling `onEvent` with each engine event and the second it was read
 * (bench clock, `now()`), in order. Resolves when the command has exited and the log is read to
 * its end; never rejects on a non-zero exit (the caller checks `code`).
 */
export async function runCli(
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; cli?: string; onEvent?: (event: EngineEvent, at: number) => void },
): Promise<CliResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "clickvote-bench-events-"));
  const log = path.join(dir, "events.jsonl");
  let offset = 0;
  let partial = "";
  const decoder = new StringDecoder("utf8"); // keeps a character split across two reads whole
  const drain = () => {
    if (!fs.existsSync(log)) return;
    const size = fs.statSync(log).size;
    if (size <= offset) return;
    const at = now();
    const fd = fs.openSync(log, "r");
    const chunk = Buffer.alloc(size - offset);
    const read = fs.readSync(fd, chunk, 0, chunk.length, offset);
    fs.closeSync(fd);
    offset += read;
    const lines = (partial + decoder.write(chunk.subarray(0, read))).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) if (line.trim()) options.onEvent?.(JSON.parse(line) as EngineEvent, at);
  };
  try {
    const { done } = start(options.cli ?? "pulumi", [...args, "--non-interactive", "--event-log", log], {
      cwd: options.cwd,
      env: { ...options.env, PULUMI_DEBUG_COMMANDS: "true" },
    });
    const timer = setInterval(drain, EVENT_POLL_MS);
    const result = await done.finally(() => clearInterval(timer));
    drain();
    partial += decoder.end();
    if (partial.trim()) options.onEvent?.(JSON.parse(partial) as EngineEvent, now());
    return result;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
