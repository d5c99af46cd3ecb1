// Pieces PostgreSQL and Redis share: each runs as a single-replica StatefulSet with one retained
// `data` claim, two Services and exec probes.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

export interface DataServicesArgs {
  /** Kubernetes name of the ClusterIP Service; the headless one gets `-headless` appended. */
  resourceName: string;
  namespace: pulumi.Input<string>;
  labels: Record<string, string>;
  selector: Record<string, string>;
  /** Name of the container port, used as the Services' port name and target. */
  portName: string;
  port: number;
}

export interface DataServices {
  /** The headless Service, the StatefulSet's `serviceName` (stable pod DNS names). */
  headlessName: pulumi.Output<string>;
  /** The ClusterIP Service clients connect to. */
  serviceName: pulumi.Output<string>;
  /** In-cluster DNS name of the ClusterIP Service. */
  host: pulumi.Output<string>;
}

/** The headless and the ClusterIP Service of a data StatefulSet, as children of `parent`. */
export function dataServices(name: string, args: DataServicesArgs, parent: pulumi.Resource): DataServices {
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
      metadata: { name: args.resourceName, namespace: args.namespace, labels: args.labels },
      spec: { type: "ClusterIP", selector: args.selector, ports },
    },
    { parent },
  );
  return {
    headlessName: headless.metadata.name,
    serviceName: service.metadata.name,
    host: pulumi.interpolate`${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local`,
  };
}

/**
 * Startup, readiness and liveness probes that run one command. The startup probe tries every
 * 2 s, `startupAttempts` times, before liveness takes over.
 */
export function execProbes(command: string[], startupAttempts: number): Pick<k8s.types.input.core.v1.Container, "startupProbe" | "readinessProbe" | "livenessProbe"> {
  return {
    startupProbe: { exec: { command }, periodSeconds: 2, failureThreshold: startupAttempts },
    readinessProbe: { exec: { command }, periodSeconds: 5, timeoutSeconds: 3 },
    livenessProbe: { exec: { command }, periodSeconds: 15, timeoutSeconds: 5, failureThreshold: 4 },
  };
}

/** The `data` claim template; an empty storage class leaves the cluster default. */
export function dataClaimTemplate(labels: Record<string, string>, storageClass: string, storageSize: string): k8s.types.input.core.v1.PersistentVolumeClaim {
  return {
    metadata: { name: "data", labels },
    spec: {
      accessModes: ["ReadWriteOnce"],
      ...(storageClass ? { storageClassName: storageClass } : {}),
      resources: { requests: { storage: storageSize } },
    },
  };
}
