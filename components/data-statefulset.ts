// The single-replica StatefulSet PostgreSQL and Redis share: one retained `data` claim, a
// headless and a ClusterIP Service, exec probes, and the options that keep data safe.
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { restrictedPodSecurity } from "./pod-security";
import { serviceReadiness, timeouts } from "./timeouts";
import { STARTUP_PERIOD_SECONDS } from "./probe-budgets";

type Container = k8s.types.input.core.v1.Container;
type Volume = k8s.types.input.core.v1.Volume;

/** A persistent volume request. */
export interface StorageArgs {
  /** Volume size, a Kubernetes byte quantity such as "10Gi". */
  size: string;
  /** StorageClass name. Defaults to the cluster's default StorageClass. */
  className?: string;
}

export interface DataStatefulSetArgs {
  /** Kubernetes name of the StatefulSet and its ClusterIP Service; the headless one gets `-headless`. */
  resourceName: string;
  namespace: pulumi.Input<string>;
  labels: Record<string, string>;
  selector: Record<string, string>;
  /** Name of the container port, used as the Services' port name and target. */
  portName: string;
  port: number;
  /** Pod template annotations, e.g. checksums that roll the pod when its configuration changes. */
  podAnnotations?: Record<string, pulumi.Input<string>>;
  /** Numeric user and group the pod runs as (restricted Pod Security Standard). */
  uid: number;
  gid: number;
  terminationGracePeriodSeconds: number;
  initContainers?: Container[];
  containers: Container[];
  volumes: Volume[];
  storage: StorageArgs;
  /** Pulumi protect on the StatefulSet (prod). */
  protect: boolean;
  /** How long the engine waits for the StatefulSet to become ready, in seconds. */
  rolloutTimeoutSeconds: number;
}

export interface DataStatefulSet {
  statefulSet: k8s.apps.v1.StatefulSet;
  /** The ClusterIP Service clients connect to. */
  serviceName: pulumi.Output<string>;
  /** In-cluster DNS name of the ClusterIP Service. */
  host: pulumi.Output<string>;
  /** The claim the StatefulSet creates for its only replica (`data-<resourceName>-0`). */
  claimName: string;
}

/**
 * Creates the Services and the StatefulSet as children of `parent`, named `${name}-headless`,
 * `${name}-service` and `${name}-statefulset`. Data safety: fixed StatefulSet and claim names
 * (a replacement re-binds the same claim), a claim retention policy that keeps volumes when the
 * StatefulSet goes or scales down, and delete-before-replace so the new StatefulSet can take
 * the fixed name.
 */
export function dataStatefulSet(name: string, args: DataStatefulSetArgs, parent: pulumi.Resource): DataStatefulSet {
  const ports = [{ name: args.portName, port: args.port, targetPort: args.portName }];
  const headless = new k8s.core.v1.Service(
    `${name}-headless`,
    {
      metadata: { name: `${args.resourceName}-headless`, namespace: args.namespace, labels: args.labels },
      spec: { clusterIP: "None", selector: args.selector, ports },
    },
    { parent },
  );
  const service = new k8s.core.v1.Service(
    `${name}-service`,
    {
      metadata: { name: args.resourceName, namespace: args.namespace, labels: args.labels, annotations: serviceReadiness("ClusterIP") },
      spec: { type: "ClusterIP", selector: args.selector, ports },
    },
    { parent },
  );
  const statefulSet = new k8s.apps.v1.StatefulSet(
    `${name}-statefulset`,
    {
      metadata: { name: args.resourceName, namespace: args.namespace, labels: args.labels },
      spec: {
        serviceName: headless.metadata.name,
        replicas: 1,
        selector: { matchLabels: args.selector },
        persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
        template: {
          metadata: args.podAnnotations ? { labels: args.labels, annotations: args.podAnnotations } : { labels: args.labels },
          spec: {
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurity(args.uid, args.gid),
            terminationGracePeriodSeconds: args.terminationGracePeriodSeconds,
            ...(args.initContainers ? { initContainers: args.initContainers } : {}),
            containers: args.containers,
            volumes: args.volumes,
          },
        },
        volumeClaimTemplates: [dataClaimTemplate(args.labels, args.storage)],
      },
    },
    { parent, protect: args.protect, deleteBeforeReplace: true, customTimeouts: timeouts(args.rolloutTimeoutSeconds) },
  );
  return {
    statefulSet,
    serviceName: service.metadata.name,
    host: pulumi.interpolate`${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local`,
    claimName: `data-${args.resourceName}-0`,
  };
}

/** Pod template annotation with the checksum of the configuration the pod must restart for. */
export const CONFIG_CHECKSUM_ANNOTATION = "clickvote.dev/config-checksum";

/**
 * SHA-256 of a data service's configuration, for a pod template annotation: a new password or
 * config changes the template, so the StatefulSet restarts the pod and the server (and the
 * PostgreSQL password sync) picks it up. The hash of a 32-character random password reveals
 * nothing, so it is stored in plain text; the diff then shows which part changed.
 */
export function configChecksum(parts: pulumi.Input<string>[]): pulumi.Output<string> {
  return pulumi.unsecret(pulumi.all(parts).apply((values) => createHash("sha256").update(JSON.stringify(values)).digest("hex")));
}

/**
 * Startup, readiness and liveness probes that run one command. The startup probe tries every
 * STARTUP_PERIOD_SECONDS, `startupAttempts` times, before liveness takes over.
 */
export function execProbes(command: string[], startupAttempts: number): Pick<Container, "startupProbe" | "readinessProbe" | "livenessProbe"> {
  return {
    startupProbe: { exec: { command }, periodSeconds: STARTUP_PERIOD_SECONDS, failureThreshold: startupAttempts },
    readinessProbe: { exec: { command }, periodSeconds: 5, timeoutSeconds: 3 },
    livenessProbe: { exec: { command }, periodSeconds: 15, timeoutSeconds: 5, failureThreshold: 4 },
  };
}

/** The `data` claim template. */
export function dataClaimTemplate(labels: Record<string, string>, storage: StorageArgs): k8s.types.input.core.v1.PersistentVolumeClaim {
  return {
    metadata: { name: "data", labels },
    spec: {
      accessModes: ["ReadWriteOnce"],
      ...(storage.className ? { storageClassName: storage.className } : {}),
      resources: { requests: { storage: storage.size } },
    },
  };
}
