// Runs the program under Pulumi's mocks (tools/mock-program.ts, the runner the tests use) as a
// preview of a stack deploying a digest, and prints how long it took to register every
// resource, as one JSON line. Run in a fresh process per sample by e2e/bench/run.ts.
import { runProgram } from "../../tools/mock-program";

async function main(): Promise<void> {
  const run = await runProgram({
    stack: process.env.BENCH_STACK ?? "dev",
    overrides: { imageMode: "digest", imageDigest: `sha256:${"2".repeat(64)}` },
    preview: true,
    // Registrations reach the mock monitor asynchronously: wait until none has arrived for 300 ms.
    quietMs: 300,
  });
  process.stdout.write(`${JSON.stringify({ ms: run.evaluationMs, resources: run.resources.length })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
