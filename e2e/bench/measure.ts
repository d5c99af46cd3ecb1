// What both parts of the bench (e2e/bench/run.ts, e2e/bench/realpods.ts) time and how: wall and
// child-process CPU seconds of a step, the load average for the header, and the kubectl waits
// that make `kubectl apply` of a rendered release comparable with `pulumi up`.
import * as fs from "node:fs";
import * as os from "node:os";
import { Sample } from "./format";

/** Seconds since the epoch (wall clock). */
export const now = (): number => Date.now() / 1000;

/** The 1-, 5- and 15-minute load averages, as "1.23 0.98 0.75". */
export const loadAverage = (): string =>
  os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(" ");

/** CPU seconds of this process's finished children (the CLI, its plugins and Node.js, kubectl), from /proc/self/stat. */
export function childCpu(): number {
  const stat = fs.readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state): cutime and cstime are fields 16 and 17
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/** Runs `fn` and returns its wall seconds and the CPU seconds of the children that finished meanwhile, with its result. */
export async function measure<T>(fn: () => T | Promise<T>): Promise<[Sample, T]> {
  const wall = now();
  const cpu = childCpu();
  const result = await fn();
  return [{ wall: now() - wall, cpu: childCpu() - cpu }, result];
}

/**
 * The kubectl arguments that wait, after `kubectl apply` of the rendered YAML `docs`, for what
 * `pulumi up` waits for: every StatefulSet rolled out, then every Job complete, then every
 * Deployment rolled out (each with a 300 s timeout), in `namespace`.
 */
export function rolloutWaits(docs: string, namespace: string): string[][] {
  const names = (kind: string) => [...docs.matchAll(new RegExp(`^kind: ${kind}\\nmetadata:\\n(?:  .*\\n)*?  name: (\\S+)`, "gm"))].map((m) => m[1]);
  return [
    ...names("StatefulSet").map((name) => ["rollout", "status", "-n", namespace, `statefulset/${name}`, "--timeout=300s"]),
    ...names("Job").map((name) => ["wait", "-n", namespace, "--for=condition=complete", `job/${name}`, "--timeout=300s"]),
    ...names("Deployment").map((name) => ["rollout", "status", "-n", namespace, `deployment/${name}`, "--timeout=300s"]),
  ];
}
