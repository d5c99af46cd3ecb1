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

const RESTRICTED_VOLUME_TYPES = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];

/**
 * Violations of the Kubernetes "restricted" Pod Security Standard (v1.3x) in one pod spec,
 * checked field by field as the admission controller does.
 */
export function restrictedViolations(spec: Obj): string[] {
  const problems: string[] = [];
  const podSc = (spec.securityContext as Obj | undefined) ?? {};
  for (const host of ["hostNetwork", "hostPID", "hostIPC"]) if (spec[host] === true) problems.push(`${host} is true`);
  for (const v of (spec.volumes as Obj[] | undefined) ?? []) {
    const kinds = Object.keys(v).filter((k) => k !== "name");
    for (const k of kinds) if (!RESTRICTED_VOLUME_TYPES.includes(k)) problems.push(`volume ${String(v.name)} uses ${k}`);
  }
  for (const c of containersOf(spec)) {
    const sc = (c.securityContext as Obj | undefined) ?? {};
    const name = String(c.name);
    if (sc.privileged === true) problems.push(`${name}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${name}: allowPrivilegeEscalation is not false`);
    const runAsNonRoot = sc.runAsNonRoot ?? podSc.runAsNonRoot;
    if (runAsNonRoot !== true) problems.push(`${name}: runAsNonRoot is not true`);
    const runAsUser = sc.runAsUser ?? podSc.runAsUser;
    if (runAsUser === 0) problems.push(`${name}: runAsUser is 0`);
    const seccomp = get(sc, "seccompProfile.type") ?? get(podSc, "seccompProfile.type");
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") problems.push(`${name}: seccompProfile is ${String(seccomp)}`);
    const drop = (get(sc, "capabilities.drop") as string[] | undefined) ?? [];
    if (!drop.includes("ALL")) problems.push(`${name}: capabilities do not drop ALL`);
    const add = (get(sc, "capabilities.add") as string[] | undefined) ?? [];
    for (const cap of add) if (cap !== "NET_BIND_SERVICE") problems.push(`${name}: adds capability ${cap}`);
    for (const p of (c.ports as Obj[] | undefined) ?? []) if (p.hostPort !== undefined) problems.push(`${name}: hostPort`);
  }
  return problems;
}

export const DIGEST_PINNED = /@sha256:[a-f0-9]{64}$/;
