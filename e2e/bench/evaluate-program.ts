// Runs the program under Pulumi's mocks (tools/mock-program.ts, the runner the tests use) as a
// preview of a stack deploying a digest, and prints, as one JSON line, how long it took to
// register every resource (ms, wall clock from loading index.ts to the last registration) and
// the CPU time the process spent meanwhile (cpuMs: less sensitive to other load on the machine).
// Run in a fresh process per sample by e2e/bench/run.ts and test/tools/evaluation-speed.test.ts.
import * as nodeModule from "node:module";
import { runProgram } from "../../tools/mock-program";

// As in `pulumi preview`/`up`, where tools/program-start.cjs (Pulumi.yaml nodeargs) turns it on.
nodeModule.enableCompileCache?.();

async function main(): Promise<void> {
  // The SDK itself is loaded before the clock starts, as the language host loads it before the program.
  await import("@pulumi/pulumi");
  const cpuBefore = process.cpuUsage();
  const run = await runProgram({
    stack: process.env.BENCH_STACK ?? "dev",
    overrides: { imageMode: "digest", imageDigest: `sha256:${"2".repeat(64)}` },
    preview: true,
    // Registrations reach the mock monitor asynchronously: wait until none has arrived for 300 ms.
    quietMs: 300,
  });
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  process.stdout.write(`${JSON.stringify({ ms: run.evaluationMs, cpuMs, resources: run.resources.length })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
