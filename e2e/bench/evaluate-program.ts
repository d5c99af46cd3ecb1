// Loads index.ts under Pulumi's mocks and prints how long the program took to register every
// resource, as one JSON line. Run in a fresh process per sample by e2e/bench/run.ts.
import { performance } from "node:perf_hooks";
import * as pulumi from "@pulumi/pulumi";

async function main(): Promise<void> {
  let resources = 0;
  let lastRegistration = 0;
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        resources += 1;
        lastRegistration = performance.now();
        return { id: `${args.name}-id`, state: { ...args.inputs, digest: `sha256:${"0".repeat(64)}`, result: "x".repeat(32) } };
      },
      call: (args) => ({ ...args.inputs, sha256Digest: `sha256:${"1".repeat(64)}` }),
    },
    "clickvote",
    process.env.BENCH_STACK ?? "dev",
    true,
  );
  pulumi.runtime.setAllConfig({ "clickvote:imageMode": "digest", "clickvote:imageDigest": `sha256:${"2".repeat(64)}` });
  const start = performance.now();
  await import("../../index");
  await pulumi.runtime.awaitStackRegistrations();
  // Registrations reach the mock monitor asynchronously: wait until none has arrived for 300 ms,
  // and measure up to the last one.
  let seen = -1;
  while (seen !== resources) {
    seen = resources;
    await new Promise((r) => setTimeout(r, 300));
  }
  const ms = lastRegistration - start;
  process.stdout.write(`${JSON.stringify({ ms, resources })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
