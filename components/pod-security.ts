import * as k8s from "@pulumi/kubernetes";

type PodSecurityContext = k8s.types.input.core.v1.PodSecurityContext;
type ContainerSecurityContext = k8s.types.input.core.v1.SecurityContext;

/** Pod-level fields the "restricted" Pod Security Standard requires, for a fixed non-root user. */
export function restrictedPodSecurity(uid: number, gid: number): PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: gid,
    fsGroup: gid,
    // Only chown the volume when its root doesn't already match: large data volumes restart faster.
    fsGroupChangePolicy: "OnRootMismatch",
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** Container-level fields of the restricted standard, plus a read-only root filesystem. */
export function restrictedContainerSecurity(): ContainerSecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** Recommended app.kubernetes.io labels shared by every object of one component. */
export function componentLabels(component: string, instance: string, version?: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": "clickvote",
    "app.kubernetes.io/instance": instance,
    "app.kubernetes.io/component": component,
    "app.kubernetes.io/part-of": "clickvote",
    "app.kubernetes.io/managed-by": "pulumi",
    ...(version ? { "app.kubernetes.io/version": version } : {}),
  };
}

/** The stable subset used in selectors (selectors are immutable, so no version here). */
export function selectorLabels(component: string, instance: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": "clickvote",
    "app.kubernetes.io/instance": instance,
    "app.kubernetes.io/component": component,
  };
}

/** customTimeouts for a waiting resource, from a number of seconds. */
export function timeouts(seconds: number): { create: string; update: string } {
  return { create: `${seconds}s`, update: `${seconds}s` };
}
