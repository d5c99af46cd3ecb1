// The migrate entry's own deadline (MIGRATE_DEADLINE_MS, app/README.md) ends before the Job's
// activeDeadlineSeconds, so a migration stuck behind a lock fails with its message naming
// lock_timeout instead of being killed without one; and it stays inside the range the app accepts.
import { describe, expect, it } from "vitest";
import { runProgram } from "./harness";
import { get, Obj } from "./workloads";

describe.each(["30", "300", "3600"])("migrationTimeoutSeconds %s", (timeout) => {
  it("gives the migrate container a deadline inside the Job's, within the app's range", async () => {
    const run = await runProgram({ stack: "dev", overrides: { migrationTimeoutSeconds: timeout } });
    const job = run.one("kubernetes:batch/v1:Job");
    const activeDeadline = Number(get(job.inputs, "spec.activeDeadlineSeconds"));
    const container = (get(job.inputs, "spec.template.spec.containers") as Obj[])[0];
    const env = Object.fromEntries((container.env as Obj[]).map((e) => [e.name, e.value]));
    const deadlineMs = Number(env.MIGRATE_DEADLINE_MS);
    expect(activeDeadline).toBe(Number(timeout));
    expect(deadlineMs).toBeLessThan(activeDeadline * 1000);
    expect(deadlineMs).toBeGreaterThanOrEqual(1000);
    expect(deadlineMs).toBeLessThanOrEqual(86_400_000);
    // The app requires MIGRATE_LOCK_TIMEOUT_MS (default 1000) below the deadline.
    expect(deadlineMs).toBeGreaterThan(1000);
  });
});
