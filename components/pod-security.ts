// The "restricted" Pod Security Standard (kubernetes.io/docs/concepts/security/pod-security-standards/).
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
