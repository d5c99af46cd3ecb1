// Helpers that read workloads out of a recorded program run.
import type { ProgramRun, RecordedResource } from "./harness";

export type Obj = Record<string, unknown>;

export const WORKLOAD_TYPES = [
  "kubernetes:apps/v1:Deployment",
  "kubernetes:apps/v1:StatefulSet",
  "kubernetes:batch/v1:Job",
  "kubernetes:batch/v1:CronJob",
] as const;

export function get(obj: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((o, k) => (o !== null && typeof o === "object" ? (o as Obj)[k] : undefined), obj);
}

/** The pod spec of a workload resource, whatever its kind. */
export function podSpecOf(r: RecordedResource): Obj {
  const path = r.type.endsWith(":CronJob") ? "spec.jobTemplate.spec.template.spec" : "spec.template.spec";
  const spec = get(r.inputs, path);
  if (!spec || typeof spec !== "object") throw new Error(`${r.name} has no pod spec at ${path}`);
  return spec as Obj;
}

export function containersOf(spec: Obj): Obj[] {
  return [...((spec.initContainers as Obj[] | undefined) ?? []), ...((spec.containers as Obj[] | undefined) ?? [])];
}

export function workloads(run: ProgramRun): RecordedResource[] {
  return run.resources.filter((r) => (WORKLOAD_TYPES as readonly string[]).includes(r.type));
}

// The restricted Pod Security Standard and digest pinning are checked by the same code the
// policy pack enforces, so the program's tests and the pack cannot drift apart.
export { podSecurityViolations as restrictedViolations, DIGEST_PINNED_IMAGE as DIGEST_PINNED } from "../policy/policies";
