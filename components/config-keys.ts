// The single list of every stack setting. Pulumi.yaml declares the same keys with the
// same types and defaults (test/config-reference.test.ts keeps the two in step), and the
// README's config reference is generated from this list by scripts/config-docs.ts.

export type ConfigValueType = "string" | "integer" | "boolean" | "array";

export interface ConfigKeySpec {
  readonly type: ConfigValueType;
  readonly description: string;
  /** Omitted for settings that have no default (optional or secret ones). */
  readonly default?: string | number | boolean | readonly string[];
  /** Secret settings are read with getSecret and never have a default. */
  readonly secret?: boolean;
}

export const POSTGRES_IMAGE_DEFAULT =
  "docker.io/library/postgres:17.6-alpine@sha256:ef257d85f76e48da1c64832459b59fcaba1a4dac97bf5d7450c77753542eee94";
export const REDIS_IMAGE_DEFAULT =
  "docker.io/library/redis:7.4-alpine@sha256:ff02b58f971e7d7d156a1267e283fcbbeee91773b6aa36c49dac28ecfe28eadf";

export const CONFIG_KEYS = {
  environment: {
    type: "string",
    description: "Kind of stack: dev, staging or prod. prod enforces a release version, ≥2 replicas, protected data and TLS.",
    default: "dev",
  },
  namespace: { type: "string", description: "Kubernetes namespace that holds every Clickvote resource.", default: "clickvote" },
  createNamespace: {
    type: "boolean",
    description: "Create (and label for the restricted Pod Security Standard) the namespace; false uses an existing one.",
    default: true,
  },

  // Image
  imageMode: {
    type: "string",
    description: "build: build app/ and push to GHCR. tag: deploy an existing tag, resolved to its digest during preview. digest: deploy imageDigest as is.",
    default: "build",
  },
  imageRepository: {
    type: "string",
    description: "Lower-case GHCR repository ghcr.io/<owner>/<name> the image is pushed to or pulled from.",
    default: "ghcr.io/clickvote/clickvote",
  },
  version: { type: "string", description: "Release version (semver) the image is tagged with.", default: "0.1.0-dev" },
  imageTag: { type: "string", description: "tag mode: the existing tag to deploy (defaults to version).", default: "" },
  imageDigest: { type: "string", description: "digest mode: sha256:<64 hex> of an image in imageRepository.", default: "" },
  buildContext: { type: "string", description: "build mode: Docker build context, relative to the project.", default: "app" },
  dockerfile: { type: "string", description: "build mode: Dockerfile path, relative to the project.", default: "app/Dockerfile" },
  buildPlatforms: {
    type: "array",
    description: "build mode: target platforms of the multi-arch image.",
    default: ["linux/amd64", "linux/arm64"],
  },
  buildOnPreview: {
    type: "boolean",
    description: "build mode: also build (without pushing) during preview.",
    default: false,
  },
  sourceUrl: {
    type: "string",
    description: "OCI source label; defaults to https://github.com/<owner>/<name> of imageRepository.",
    default: "",
  },
  gitRevision: { type: "string", description: "OCI revision label (the commit the image is built from).", default: "unknown" },
  registryUsername: {
    type: "string",
    description: "GHCR user for pushing and resolving tags; falls back to the GITHUB_ACTOR environment variable.",
    default: "",
  },
  registryToken: {
    type: "string",
    secret: true,
    description: "GHCR token for pushing and resolving tags (secret); falls back to the GITHUB_TOKEN environment variable.",
  },
  imagePullUsername: {
    type: "string",
    description: "User of the read-only token the cluster pulls a private image with.",
    default: "",
  },
  imagePullToken: {
    type: "string",
    secret: true,
    description: "Read-only registry token (secret); when set, pods pull with a dockerconfigjson imagePullSecret.",
  },

  // App
  appReplicas: { type: "integer", description: "App Deployment replicas (1-20).", default: 1 },
  appMode: { type: "string", description: "APP_MODE of the service: production or development.", default: "production" },
  logLevel: { type: "string", description: "LOG_LEVEL of the service: trace, debug, info, warn, error or fatal.", default: "info" },
  appCpuRequest: { type: "string", description: "App container CPU request (Kubernetes quantity).", default: "100m" },
  appMemoryRequest: { type: "string", description: "App container memory request (Kubernetes quantity).", default: "128Mi" },
  appCpuLimit: { type: "string", description: "App container CPU limit (Kubernetes quantity).", default: "500m" },
  appMemoryLimit: { type: "string", description: "App container memory limit (Kubernetes quantity).", default: "256Mi" },
  shutdownGraceSeconds: {
    type: "integer",
    description: "Seconds the service has to finish in-flight requests after SIGTERM (SHUTDOWN_GRACE_MS).",
    default: 20,
  },
  preStopSleepSeconds: {
    type: "integer",
    description: "preStop sleep before SIGTERM, so endpoints drop the pod before it stops accepting.",
    default: 5,
  },
  serviceType: {
    type: "string",
    description: "App Service type: ClusterIP, NodePort or LoadBalancer.",
    default: "ClusterIP",
  },
  ingressEnabled: { type: "boolean", description: "Expose the app through an Ingress.", default: false },
  ingressHost: { type: "string", description: "Ingress host name (required when ingressEnabled).", default: "" },
  ingressClassName: { type: "string", description: "IngressClass of the Ingress.", default: "nginx" },
  ingressTlsSecretName: {
    type: "string",
    description: "TLS Secret of the Ingress (for example one cert-manager fills); empty means plain HTTP.",
    default: "",
  },
  hpaEnabled: {
    type: "boolean",
    description: "Add a HorizontalPodAutoscaler; Pulumi then stops managing the replica count.",
    default: false,
  },
  hpaMinReplicas: { type: "integer", description: "HPA minimum replicas.", default: 2 },
  hpaMaxReplicas: { type: "integer", description: "HPA maximum replicas.", default: 6 },
  hpaCpuUtilization: { type: "integer", description: "HPA target average CPU utilisation in percent.", default: 70 },
  monitoring: {
    type: "string",
    description: "Prometheus scraping: none, annotations, or serviceMonitor (needs the monitoring.coreos.com CRDs).",
    default: "annotations",
  },

  // Data services
  postgresImage: { type: "string", description: "PostgreSQL image, digest-pinned.", default: POSTGRES_IMAGE_DEFAULT },
  postgresDatabase: { type: "string", description: "Database name.", default: "clickvote" },
  postgresUser: { type: "string", description: "Database role the app and migrations use.", default: "clickvote" },
  postgresStorageSize: { type: "string", description: "PostgreSQL volume size (Kubernetes quantity).", default: "1Gi" },
  postgresStorageClass: { type: "string", description: "PostgreSQL StorageClass; empty uses the cluster default.", default: "" },
  postgresCpuRequest: { type: "string", description: "PostgreSQL CPU request.", default: "100m" },
  postgresMemoryRequest: { type: "string", description: "PostgreSQL memory request.", default: "256Mi" },
  postgresMemoryLimit: { type: "string", description: "PostgreSQL memory limit.", default: "512Mi" },
  redisImage: { type: "string", description: "Redis image, digest-pinned.", default: REDIS_IMAGE_DEFAULT },
  redisStorageSize: { type: "string", description: "Redis volume size (Kubernetes quantity).", default: "1Gi" },
  redisStorageClass: { type: "string", description: "Redis StorageClass; empty uses the cluster default.", default: "" },
  redisMaxMemory: { type: "string", description: "Redis maxmemory (noeviction policy), e.g. 128mb.", default: "128mb" },
  redisMemoryLimit: { type: "string", description: "Redis container memory limit.", default: "256Mi" },
  protectData: {
    type: "boolean",
    description: "Pulumi protect on the data StatefulSets and Secrets: destroy and replace are refused.",
    default: false,
  },

  // Release control
  appRolloutTimeoutSeconds: {
    type: "integer",
    description: "How long pulumi waits for the app Deployment to become ready before failing the update.",
    default: 300,
  },
  dataRolloutTimeoutSeconds: {
    type: "integer",
    description: "How long pulumi waits for the PostgreSQL and Redis StatefulSets.",
    default: 600,
  },
  migrationTimeoutSeconds: {
    type: "integer",
    description: "Deadline of the migration Job (activeDeadlineSeconds and pulumi's wait).",
    default: 300,
  },
  migrationBackoffLimit: { type: "integer", description: "Retries of a failing migration pod.", default: 2 },

  // Guardrails
  networkPolicyEnabled: { type: "boolean", description: "Default-deny NetworkPolicies with explicit allows.", default: true },
  ingressControllerNamespace: {
    type: "string",
    description: "Namespace of the ingress controller allowed to reach the app.",
    default: "ingress-nginx",
  },
  metricsNamespace: {
    type: "string",
    description: "Namespace of the Prometheus allowed to scrape the app.",
    default: "monitoring",
  },
  backupEnabled: { type: "boolean", description: "Nightly pg_dump CronJob into a retained volume.", default: true },
  backupSchedule: { type: "string", description: "Cron schedule of the backup.", default: "17 3 * * *" },
  backupKeep: { type: "integer", description: "How many dumps the backup volume keeps.", default: 7 },
  backupStorageSize: { type: "string", description: "Backup volume size (Kubernetes quantity).", default: "2Gi" },
} as const satisfies Record<string, ConfigKeySpec>;

export type ConfigKey = keyof typeof CONFIG_KEYS;
export const CONFIG_NAMESPACE = "clickvote";
