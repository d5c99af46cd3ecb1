import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { componentLabels, selectorLabels } from "./labels";
import { restrictedContainerSecurity, restrictedPodSecurity } from "./pod-security";
import { serviceReadiness, timeouts } from "./timeouts";
import { APP_STARTUP_ATTEMPTS, STARTUP_PERIOD_SECONDS } from "./probe-budgets";
import { APP_GID, APP_PORT, APP_UID, LIVENESS_PATH, METRICS_PATH, READINESS_PATH, SERVER_COMMAND } from "./app-contract";

/** An Ingress in front of the app Service. */
export interface IngressSettings {
  /** Host name, e.g. vote.example.com. */
  host: string;
  /** IngressClass, e.g. "nginx". */
  className: string;
  /** TLS Secret for the host. Defaults to none: plain HTTP. */
  tlsSecretName?: string;
}

/** A HorizontalPodAutoscaler on CPU; the Deployment's replica count is then the autoscaler's. */
export interface AutoscalingSettings {
  minReplicas: number;
  maxReplicas: number;
  /** Target average CPU utilisation, percent of the request. */
  cpuUtilization: number;
}

/** App settings of a Clickvote instance (settings/component-args.ts maps the stack's). */
export interface AppSettings {
  /** Replicas when no autoscaler is set. */
  replicas: number;
  /** APP_MODE of the service. */
  mode: "production" | "development";
  /** LOG_LEVEL of the service. */
  logLevel: string;
  resources: k8s.types.input.core.v1.ResourceRequirements;
  /** preStop sleep before SIGTERM, seconds, so endpoints drop the pod before it stops accepting. */
  preStopSleepSeconds: number;
  /** Time the service has to drain after SIGTERM, seconds (SHUTDOWN_GRACE_MS). */
  shutdownGraceSeconds: number;
  serviceType: "ClusterIP" | "NodePort" | "LoadBalancer";
  /** Absent: no Ingress. */
  ingress?: IngressSettings;
  /** Absent: a fixed replica count. */
  autoscaling?: AutoscalingSettings;
  monitoring: "none" | "annotations" | "serviceMonitor";
  /** How long the engine waits for the rollout (and progressDeadlineSeconds), seconds. */
  rolloutTimeoutSeconds: number;
}

/** mode and logLevel reach the pods through the environment ConfigMap (configMapName). */
export interface ClickvoteAppArgs extends AppSettings {
  namespace: pulumi.Input<string>;
  instance: string;
  /** Digest-pinned image reference. */
  imageRef: pulumi.Input<string>;
  /** Release version, for the app.kubernetes.io/version label. */
  version: string;
  /** ConfigMap and Secret of the environment (AppEnvironment). */
  configMapName: pulumi.Input<string>;
  envSecretName: pulumi.Input<string>;
  serviceAccountName: pulumi.Input<string>;
  imagePullSecretName?: pulumi.Input<string>;
}

/**
 * The stateless Clickvote Deployment, its Service and optional Ingress, PodDisruptionBudget,
 * HorizontalPodAutoscaler and ServiceMonitor. Rolling updates never take a serving pod away
 * before its replacement is ready (maxUnavailable 0, maxSurge 1), so a rollout that fails its
 * probes leaves the old pods serving until Pulumi's timeout fails the update.
 */
export class ClickvoteApp extends pulumi.ComponentResource {
  public readonly deployment: k8s.apps.v1.Deployment;
  public readonly service: k8s.core.v1.Service;
  public readonly serviceName: pulumi.Output<string>;
  public readonly url: pulumi.Output<string>;
  public readonly disruptionBudget?: k8s.policy.v1.PodDisruptionBudget;
  public readonly autoscaler?: k8s.autoscaling.v2.HorizontalPodAutoscaler;
  public readonly ingress?: k8s.networking.v1.Ingress;

  constructor(name: string, args: ClickvoteAppArgs, opts?: pulumi.ComponentResourceOptions) {
    super("clickvote:index:App", name, {}, opts);
    const labels = componentLabels("app", args.instance, args.version);
    const selector = selectorLabels("app", args.instance);

    const scrapeAnnotations: Record<string, string> =
      args.monitoring === "annotations" ? { "prometheus.io/scrape": "true", "prometheus.io/port": String(APP_PORT), "prometheus.io/path": METRICS_PATH } : {};
    const httpProbe = (path: string) => ({ httpGet: { path, port: "http" } });
    const multiReplica = args.autoscaling ? args.autoscaling.minReplicas > 1 : args.replicas > 1;

    this.deployment = new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: { name: `${args.instance}-app`, namespace: args.namespace, labels },
        spec: {
          // Under an HPA the replica count is the autoscaler's; leaving it out here (and
          // ignoring it below) stops every update from resetting it.
          ...(args.autoscaling ? {} : { replicas: args.replicas }),
          revisionHistoryLimit: 5,
          progressDeadlineSeconds: args.rolloutTimeoutSeconds,
          selector: { matchLabels: selector },
          strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
          template: {
            metadata: { labels, annotations: scrapeAnnotations },
            spec: {
              serviceAccountName: args.serviceAccountName,
              automountServiceAccountToken: false,
              ...(args.imagePullSecretName ? { imagePullSecrets: [{ name: args.imagePullSecretName }] } : {}),
              securityContext: restrictedPodSecurity(APP_UID, APP_GID),
              // preStop sleep + the service's own drain + a margin before SIGKILL.
              terminationGracePeriodSeconds: args.preStopSleepSeconds + args.shutdownGraceSeconds + 5,
              topologySpreadConstraints: [
                { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector } },
                { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector } },
              ],
              containers: [
                {
                  name: "app",
                  image: args.imageRef,
                  command: [...SERVER_COMMAND],
                  ports: [{ name: "http", containerPort: APP_PORT, protocol: "TCP" }],
                  envFrom: [{ configMapRef: { name: args.configMapName } }, { secretRef: { name: args.envSecretName } }],
                  securityContext: restrictedContainerSecurity(),
                  resources: args.resources,
                  startupProbe: { ...httpProbe(LIVENESS_PATH), periodSeconds: STARTUP_PERIOD_SECONDS, failureThreshold: APP_STARTUP_ATTEMPTS },
                  readinessProbe: { ...httpProbe(READINESS_PATH), periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
                  livenessProbe: { ...httpProbe(LIVENESS_PATH), periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
                  // The sleep handler needs no shell in the image; it gives endpoints time to drop the pod.
                  lifecycle: args.preStopSleepSeconds > 0 ? { preStop: { sleep: { seconds: args.preStopSleepSeconds } } } : undefined,
                  volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                },
              ],
              volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
            },
          },
        },
      },
      {
        parent: this,
        // The component's dependsOn (migration Job completed) is recorded on the Deployment itself.
        dependsOn: opts?.dependsOn,
        customTimeouts: timeouts(args.rolloutTimeoutSeconds),
        ignoreChanges: args.autoscaling ? ["spec.replicas"] : [],
      },
    );

    this.service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: args.instance, namespace: args.namespace, labels, annotations: serviceReadiness(args.serviceType) },
        spec: { type: args.serviceType, selector, ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }] },
      },
      { parent: this },
    );
    this.serviceName = this.service.metadata.name;

    if (multiReplica) {
      this.disruptionBudget = new k8s.policy.v1.PodDisruptionBudget(
        `${name}-pdb`,
        { metadata: { namespace: args.namespace, labels }, spec: { maxUnavailable: 1, selector: { matchLabels: selector } } },
        { parent: this },
      );
    }

    if (args.autoscaling) {
      this.autoscaler = new k8s.autoscaling.v2.HorizontalPodAutoscaler(
        `${name}-hpa`,
        {
          metadata: { namespace: args.namespace, labels },
          spec: {
            scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: this.deployment.metadata.name },
            minReplicas: args.autoscaling.minReplicas,
            maxReplicas: args.autoscaling.maxReplicas,
            metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: args.autoscaling.cpuUtilization } } }],
          },
        },
        { parent: this },
      );
    }

    if (args.monitoring === "serviceMonitor") {
      new k8s.apiextensions.CustomResource(
        `${name}-servicemonitor`,
        {
          apiVersion: "monitoring.coreos.com/v1",
          kind: "ServiceMonitor",
          metadata: { namespace: args.namespace, labels },
          spec: { selector: { matchLabels: selector }, endpoints: [{ port: "http", path: METRICS_PATH, interval: "30s" }] },
        },
        { parent: this },
      );
    }

    if (args.ingress) {
      const ingress = args.ingress;
      this.ingress = new k8s.networking.v1.Ingress(
        `${name}-ingress`,
        {
          metadata: { namespace: args.namespace, labels },
          spec: {
            ingressClassName: ingress.className,
            ...(ingress.tlsSecretName ? { tls: [{ hosts: [ingress.host], secretName: ingress.tlsSecretName }] } : {}),
            rules: [
              {
                host: ingress.host,
                http: {
                  paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: this.service.metadata.name, port: { name: "http" } } } }],
                },
              },
            ],
          },
        },
        { parent: this },
      );
      this.url = pulumi.output(`${ingress.tlsSecretName ? "https" : "http"}://${ingress.host}`);
    } else {
      this.url = pulumi.interpolate`http://${this.service.metadata.name}.${this.service.metadata.namespace}.svc.cluster.local`;
    }

    this.registerOutputs({ serviceName: this.serviceName, url: this.url });
  }
}
