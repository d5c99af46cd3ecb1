// Every stack setting, declared once: type, default, what it allows, description and whether it
// is secret (SETTINGS), and the rules between settings (CROSS_KEY_RULES). The validator
// (settings/validate.ts), the Pulumi.yaml declarations and the README reference
// (tools/config-docs.ts, `npm run config:docs`) all derive from this file. Adding a setting is
// one entry here, its use in settings/component-args.ts, then `npm run config:docs`.
import { boolean, checked, explained, integer, isCidr, listOf, matching, oneOf, parseQuantity, parseRedisSize, quantity, secret, SettingSpec } from "./declare";
import { GHCR_HOST, isLoopbackRegistry, repositoryProblem } from "../components/oci";
import { APP_STARTUP_ATTEMPTS, POSTGRES_STARTUP_ATTEMPTS, REDIS_STARTUP_ATTEMPTS, startupBudgetSeconds } from "../components/probe-budgets";

/** Pulumi config namespace of every setting ("clickvote:appReplicas"). */
export const CONFIG_NAMESPACE = "clickvote";

export const POSTGRES_IMAGE_DEFAULT = "docker.io/library/postgres:17.6-alpine@sha256:ef257d85f76e48da1c64832459b59fcaba1a4dac97bf5d7450c77753542eee94";
export const REDIS_IMAGE_DEFAULT = "docker.io/library/redis:7.4-alpine@sha256:ff02b58f971e7d7d156a1267e283fcbbeee91773b6aa36c49dac28ecfe28eadf";

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;
const RELEASE_SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
/** OCI tag grammar (distribution/reference). */
export const DOCKER_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;
const DIGEST_PINNED_IMAGE = /^[a-z0-9.-]+(?::\d+)?\/[a-z0-9._/-]+(?::[A-Za-z0-9_.-]+)?@sha256:[a-f0-9]{64}$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const PG_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const CRON_FIELD = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;
const PLATFORM = /^linux\/(amd64|arm64|arm\/v7|arm\/v6|ppc64le|s390x|riscv64)$/;

const DNS_1123_LABEL = "a DNS-1123 label (lower-case letters, digits, '-', at most 63)";
const NAMESPACE_NAME = "a namespace name (DNS-1123 label)";
const DIGEST_PINNED = "a digest-pinned image reference (…@sha256:<64 hex>)";
const PG_NAME = "a lower-case PostgreSQL identifier";

export const SETTINGS = {
  // Stack
  environment: oneOf(["dev", "staging", "prod"] as const, {
    group: "stack",
    description: "Kind of stack. prod enforces a release version, ≥2 replicas, protected data and TLS.",
    default: "dev",
  }),
  namespace: matching(DNS_LABEL, DNS_1123_LABEL, {
    group: "stack",
    description: "Kubernetes namespace that holds every Clickvote resource.",
    default: "clickvote",
  }),
  createNamespace: boolean({
    group: "stack",
    description: "Create (and label for the restricted Pod Security Standard) the namespace; false uses an existing one.",
    default: true,
  }),
  protectData: boolean({
    group: "stack",
    description: "Pulumi protect on the data StatefulSets and Secrets: destroy and replace are refused.",
    default: false,
  }),

  // Image
  imageMode: oneOf(["build", "tag", "digest"] as const, {
    group: "image",
    description:
      "build: build app/ and push to imageRepository. tag: deploy an existing tag, resolved to its digest during preview. digest: deploy imageDigest as is.",
    default: "build",
  }),
  imageRepository: explained(repositoryProblem, "an OCI repository <registry host>[:port]/<path> (lower-case path, no tag or digest)", {
    group: "image",
    description: `OCI repository the image is pushed to or pulled from. On GHCR the GITHUB_TOKEN/GITHUB_ACTOR credentials and the GitHub source label apply.`,
    default: `${GHCR_HOST}/clickvote/clickvote`,
  }),
  version: matching(SEMVER, "a semantic version such as 1.4.2 or 1.5.0-rc.1", {
    group: "image",
    description: "Release version the image is tagged with.",
    default: "0.1.0-dev",
  }),
  imageTag: matching(DOCKER_TAG, "a Docker tag ([A-Za-z0-9_.-], at most 128 characters)", {
    group: "image",
    description: "tag mode: the existing tag to deploy (defaults to version).",
    default: "",
    optional: true,
  }),
  imageDigest: matching(SHA256_DIGEST, "sha256:<64 lower-case hex digits>", {
    group: "image",
    description: "digest mode: the digest of an image in imageRepository.",
    default: "",
    optional: true,
  }),
  buildContext: checked((v) => v.length > 0, "a directory", {
    group: "image",
    description: "build mode: Docker build context, relative to the project.",
    default: "app",
  }),
  dockerfile: checked((v) => v.length > 0, "a Dockerfile path", {
    group: "image",
    description: "build mode: Dockerfile path, relative to the project.",
    default: "app/Dockerfile",
  }),
  buildPlatforms: listOf(PLATFORM, "a platform such as linux/amd64 or linux/arm64", "platform", {
    group: "image",
    description: "build mode: target platforms of the multi-arch image.",
    default: ["linux/amd64", "linux/arm64"],
  }),
  buildOnPreview: boolean({ group: "image", description: "build mode: also build (without pushing) during preview.", default: false }),
  sourceUrl: matching(/^https:\/\/\S+$/, "an https:// URL", {
    group: "image",
    description: `OCI source label; defaults to https://github.com/<owner>/<name> for a GHCR repository <owner>/<name>.`,
    default: "",
    optional: true,
  }),
  gitRevision: matching(/^[A-Za-z0-9._-]{1,64}$/, "a commit id or 'unknown'", {
    group: "image",
    description: "OCI revision label (the commit the image is built from).",
    default: "unknown",
  }),
  registryUsername: checked(() => true, "any string", {
    group: "image",
    description: `Registry user for pushing and resolving tags; on GHCR falls back to the GITHUB_ACTOR environment variable.`,
    default: "",
  }),
  registryToken: secret({
    group: "image",
    description: `Registry token for pushing and resolving tags; on GHCR falls back to the GITHUB_TOKEN environment variable.`,
  }),
  imagePullUsername: checked(() => true, "any string", {
    group: "image",
    description: "User of the read-only token the cluster pulls a private image with.",
    default: "",
  }),
  imagePullToken: secret({
    group: "image",
    description: "Read-only registry token; when set, pods pull with a dockerconfigjson imagePullSecret for imageRepository's host.",
  }),

  // App
  appReplicas: integer(1, 20, { group: "app", description: "App Deployment replicas.", default: 1 }),
  appMode: oneOf(["production", "development"] as const, { group: "app", description: "APP_MODE of the service.", default: "production" }),
  logLevel: oneOf(["trace", "debug", "info", "warn", "error", "fatal"] as const, { group: "app", description: "LOG_LEVEL of the service.", default: "info" }),
  appCpuRequest: quantity("cpu", { group: "app", description: "App container CPU request.", default: "100m" }),
  appMemoryRequest: quantity("memory", { group: "app", description: "App container memory request.", default: "128Mi" }),
  appCpuLimit: quantity("cpu", { group: "app", description: "App container CPU limit.", default: "500m" }),
  appMemoryLimit: quantity("memory", { group: "app", description: "App container memory limit.", default: "256Mi" }),
  shutdownGraceSeconds: integer(1, 300, {
    group: "app",
    description: "Seconds the service has to finish in-flight requests after SIGTERM (SHUTDOWN_GRACE_MS).",
    default: 20,
  }),
  preStopSleepSeconds: integer(0, 60, {
    group: "app",
    description: "preStop sleep before SIGTERM, so endpoints drop the pod before it stops accepting.",
    default: 5,
  }),
  serviceType: oneOf(["ClusterIP", "NodePort", "LoadBalancer"] as const, { group: "app", description: "App Service type.", default: "ClusterIP" }),
  monitoring: oneOf(["none", "annotations", "serviceMonitor"] as const, {
    group: "app",
    description: "Prometheus scraping; serviceMonitor needs the monitoring.coreos.com CRDs.",
    default: "annotations",
  }),

  // Ingress
  ingressEnabled: boolean({ group: "ingress", description: "Expose the app through an Ingress.", default: false }),
  ingressHost: matching(DNS_NAME, "a lower-case DNS name such as vote.example.com", {
    group: "ingress",
    description: "Ingress host name (required when ingressEnabled).",
    default: "",
    optional: true,
  }),
  ingressClassName: matching(DNS_NAME, "an IngressClass name", { group: "ingress", description: "IngressClass of the Ingress.", default: "nginx" }),
  ingressTlsSecretName: matching(DNS_NAME, "a Secret name", {
    group: "ingress",
    description: "TLS Secret of the Ingress (for example one cert-manager fills); empty means plain HTTP.",
    default: "",
    optional: true,
  }),

  // Autoscaling
  hpaEnabled: boolean({
    group: "autoscaling",
    description: "Add a HorizontalPodAutoscaler; Pulumi then stops managing the replica count.",
    default: false,
  }),
  hpaMinReplicas: integer(1, 50, { group: "autoscaling", description: "HPA minimum replicas.", default: 2 }),
  hpaMaxReplicas: integer(1, 100, { group: "autoscaling", description: "HPA maximum replicas.", default: 6 }),
  hpaCpuUtilization: integer(10, 100, { group: "autoscaling", description: "HPA target average CPU utilisation in percent.", default: 70 }),

  // PostgreSQL
  postgresImage: matching(DIGEST_PINNED_IMAGE, DIGEST_PINNED, {
    group: "postgres",
    description: "PostgreSQL image, digest-pinned.",
    default: POSTGRES_IMAGE_DEFAULT,
  }),
  postgresDatabase: matching(PG_IDENTIFIER, PG_NAME, { group: "postgres", description: "Database name.", default: "clickvote" }),
  postgresUser: matching(PG_IDENTIFIER, PG_NAME, { group: "postgres", description: "Database role the app and migrations use.", default: "clickvote" }),
  postgresStorageSize: quantity("storage", { group: "postgres", description: "PostgreSQL volume size.", default: "1Gi" }),
  postgresStorageClass: matching(DNS_NAME, "a StorageClass name", {
    group: "postgres",
    description: "PostgreSQL StorageClass; empty uses the cluster default.",
    default: "",
    optional: true,
  }),
  postgresCpuRequest: quantity("cpu", { group: "postgres", description: "PostgreSQL CPU request.", default: "100m" }),
  postgresMemoryRequest: quantity("memory", { group: "postgres", description: "PostgreSQL memory request.", default: "256Mi" }),
  postgresMemoryLimit: quantity("memory", { group: "postgres", description: "PostgreSQL memory limit.", default: "512Mi" }),
  postgresShmSize: quantity("memory", {
    group: "postgres",
    description: "Size of PostgreSQL's memory-backed /dev/shm (parallel query workers); it counts against postgresMemoryLimit.",
    default: "256Mi",
  }),

  // Redis
  redisImage: matching(DIGEST_PINNED_IMAGE, DIGEST_PINNED, { group: "redis", description: "Redis image, digest-pinned.", default: REDIS_IMAGE_DEFAULT }),
  redisStorageSize: quantity("storage", { group: "redis", description: "Redis volume size.", default: "1Gi" }),
  redisStorageClass: matching(DNS_NAME, "a StorageClass name", {
    group: "redis",
    description: "Redis StorageClass; empty uses the cluster default.",
    default: "",
    optional: true,
  }),
  redisMaxMemory: checked((v) => parseRedisSize(v) !== undefined, "a Redis size such as 128mb or 1gb", {
    group: "redis",
    description: "Redis maxmemory (noeviction policy).",
    default: "128mb",
  }),
  redisCpuRequest: quantity("cpu", { group: "redis", description: "Redis CPU request.", default: "50m" }),
  redisMemoryRequest: quantity("memory", { group: "redis", description: "Redis memory request.", default: "64Mi" }),
  redisMemoryLimit: quantity("memory", { group: "redis", description: "Redis container memory limit.", default: "256Mi" }),

  // Release control
  appRolloutTimeoutSeconds: integer(30, 3600, {
    group: "release",
    description: "How long pulumi waits for the app Deployment to become ready before failing the update.",
    default: 300,
  }),
  dataRolloutTimeoutSeconds: integer(30, 3600, {
    group: "release",
    description: "How long pulumi waits for the PostgreSQL and Redis StatefulSets.",
    default: 600,
  }),
  migrationTimeoutSeconds: integer(30, 3600, {
    group: "release",
    description: "Deadline of the migration Job (activeDeadlineSeconds and pulumi's wait).",
    default: 300,
  }),
  migrationBackoffLimit: integer(0, 10, { group: "release", description: "Retries of a failing migration pod.", default: 2 }),

  // Network policy
  networkPolicyEnabled: boolean({ group: "networkPolicy", description: "Default-deny NetworkPolicies with explicit allows.", default: true }),
  ingressControllerNamespace: matching(DNS_LABEL, NAMESPACE_NAME, {
    group: "networkPolicy",
    description: "Namespace of the ingress controller allowed to reach the app.",
    default: "ingress-nginx",
  }),
  metricsNamespace: matching(DNS_LABEL, NAMESPACE_NAME, {
    group: "networkPolicy",
    description: "Namespace of the Prometheus allowed to scrape the app.",
    default: "monitoring",
  }),
  networkPolicyDnsPeers: oneOf(["any", "cluster"] as const, {
    group: "networkPolicy",
    description:
      "Where pods may send DNS (port 53): any address, which works with every resolver (kube-dns, NodeLocal DNSCache in either mode, a node resolver), or cluster: the kube-dns pods plus networkPolicyDnsCidrs.",
    default: "any",
  }),
  networkPolicyDnsCidrs: listOf(isCidr, "a CIDR such as 169.254.20.10/32", "CIDR", {
    group: "networkPolicy",
    description:
      "With networkPolicyDnsPeers cluster: DNS servers outside the kube-dns pods. The default is NodeLocal DNSCache's link-local address; where NodeLocal DNSCache intercepts the kube-dns Service address, add that ClusterIP/32 too.",
    default: ["169.254.20.10/32"],
    minItems: 0,
  }),
  networkPolicyAppClientCidrs: listOf(isCidr, "a CIDR such as 0.0.0.0/0 or 192.0.2.0/24", "CIDR", {
    group: "networkPolicy",
    description:
      "Sources outside the cluster allowed to reach the app port: the clients of a NodePort or LoadBalancer Service, or a host-network ingress controller's nodes.",
    default: [],
    minItems: 0,
  }),

  // Backup
  backupEnabled: boolean({ group: "backup", description: "Nightly pg_dump CronJob into a retained volume.", default: true }),
  backupSchedule: checked(
    (v) => {
      const fields = v.trim().split(/\s+/);
      return fields.length === 5 && fields.every((f) => CRON_FIELD.test(f));
    },
    "a five-field cron schedule such as '17 3 * * *'",
    { group: "backup", description: "Cron schedule of the backup.", default: "17 3 * * *" },
  ),
  backupKeep: integer(1, 365, { group: "backup", description: "How many dumps the backup volume keeps.", default: 7 }),
  backupStorageSize: quantity("storage", { group: "backup", description: "Backup volume size.", default: "2Gi" }),
} as const satisfies Record<string, SettingSpec>;

export type SettingKey = keyof typeof SETTINGS;
type SecretKey = { [K in SettingKey]: (typeof SETTINGS)[K] extends { secret: true } ? K : never }[SettingKey];
/** Settings that hold values (secrets are handed over separately, as Outputs). */
export type ValueKey = Exclude<SettingKey, SecretKey>;
type ValueOf<S> = S extends SettingSpec<infer T> ? T : never;

/** Every non-secret setting, typed and validated. */
export type SettingValues = { readonly [K in ValueKey]: ValueOf<(typeof SETTINGS)[K]> };

export interface CrossKeyRule {
  /** The settings the rule relates; the first is the one a violation is reported on by default. */
  readonly keys: readonly ValueKey[];
  /** The rule in words, for the README. */
  readonly rule: string;
  /** Violations as [key, message] pairs; empty when the rule holds. */
  check(s: SettingValues): Array<[ValueKey, string]>;
}

function notAbove(request: ValueKey, limit: ValueKey, parse: (v: string) => number | undefined): CrossKeyRule {
  return {
    keys: [request, limit],
    rule: `${request} ≤ ${limit}`,
    check: (s) => {
      const a = parse(String(s[request]));
      const b = parse(String(s[limit]));
      return a !== undefined && b !== undefined && a > b ? [[request, `must not exceed ${limit} (${String(s[limit])})`]] : [];
    },
  };
}

/**
 * Redis forks for an AOF rewrite; the child shares the parent's pages copy-on-write, and every
 * page written during the rewrite is copied. The limit must leave room for that copy: at 1.5×
 * maxmemory half the dataset may be rewritten before the container is OOM-killed (the worst
 * case, every page written, needs 2×; redis.io, "Redis persistence" and "Memory optimization").
 */
export const REDIS_FORK_HEADROOM = 1.5;
/**
 * Share of postgresStorageSize one compressed custom-format dump is assumed to take, for the
 * backup volume check. Dumps hold no indexes and are zlib-compressed; vote rows compress well.
 */
export const DUMP_SIZE_RATIO = 0.25;
/** The seconds a rollout must allow beyond a pod's startup budget: readiness (2 × 5 s) and a margin. */
const ROLLOUT_MARGIN_SECONDS = 30;

/** Rules between settings; each is checked after every single setting passed its own check. */
export const CROSS_KEY_RULES: readonly CrossKeyRule[] = [
  {
    keys: ["version", "environment"],
    rule: "prod: version is a release X.Y.Z",
    check: (s) =>
      s.environment === "prod" && !RELEASE_SEMVER.test(s.version)
        ? [["version", "must be a release version X.Y.Z in prod (no pre-release or build suffix)"]]
        : [],
  },
  {
    keys: ["appReplicas", "hpaMinReplicas", "environment"],
    rule: "prod: at least 2 replicas (appReplicas, or hpaMinReplicas when hpaEnabled)",
    check: (s) =>
      s.environment === "prod" && (s.hpaEnabled ? s.hpaMinReplicas < 2 : s.appReplicas < 2)
        ? [[s.hpaEnabled ? "hpaMinReplicas" : "appReplicas", "must be at least 2 in prod, so a rollout or node drain never drops the service"]]
        : [],
  },
  {
    keys: ["protectData", "environment"],
    rule: "prod: protectData is true",
    check: (s) => (s.environment === "prod" && !s.protectData ? [["protectData", "must be true in prod"]] : []),
  },
  {
    keys: ["appMode", "environment"],
    rule: "prod: appMode is production",
    check: (s) => (s.environment === "prod" && s.appMode !== "production" ? [["appMode", "must be production in prod"]] : []),
  },
  {
    keys: ["ingressTlsSecretName", "ingressEnabled", "environment"],
    rule: "prod: an enabled Ingress has ingressTlsSecretName",
    check: (s) =>
      s.environment === "prod" && s.ingressEnabled && s.ingressTlsSecretName === ""
        ? [["ingressTlsSecretName", "is required in prod when ingressEnabled is true (TLS only)"]]
        : [],
  },
  {
    keys: ["imageRepository", "environment"],
    rule: "prod: imageRepository is not on a loopback registry (localhost, 127.0.0.0/8, [::1])",
    check: (s) =>
      s.environment === "prod" && isLoopbackRegistry(s.imageRepository)
        ? [["imageRepository", "must not be a loopback registry in prod: only the deploying machine can reach it, and such registries serve plain HTTP"]]
        : [],
  },
  {
    keys: ["networkPolicyAppClientCidrs", "serviceType", "networkPolicyEnabled"],
    rule: "a NodePort or LoadBalancer Service under NetworkPolicy lists its clients in networkPolicyAppClientCidrs",
    check: (s) =>
      s.networkPolicyEnabled && s.serviceType !== "ClusterIP" && s.networkPolicyAppClientCidrs.length === 0
        ? [
            [
              "networkPolicyAppClientCidrs",
              `must list the clients of the ${s.serviceType} Service (e.g. ["0.0.0.0/0"]): the default-deny NetworkPolicy would refuse every connection from outside the cluster`,
            ],
          ]
        : [],
  },
  {
    keys: ["imageDigest", "imageMode"],
    rule: "imageDigest is set exactly when imageMode is digest",
    check: (s) => {
      if (s.imageMode === "digest" && s.imageDigest === "") return [["imageDigest", "is required when imageMode is digest (sha256:<64 hex>)"]];
      if (s.imageMode !== "digest" && s.imageDigest !== "") return [["imageDigest", "is only allowed when imageMode is digest"]];
      return [];
    },
  },
  {
    keys: ["imageTag", "imageMode", "version"],
    rule: "tag mode: imageTag is set when version is not a valid tag",
    check: (s) =>
      s.imageMode === "tag" && s.imageTag === "" && !DOCKER_TAG.test(s.version) ? [["imageTag", "is required when version is not a valid Docker tag"]] : [],
  },
  {
    keys: ["ingressHost", "ingressEnabled"],
    rule: "ingressHost is set when ingressEnabled",
    check: (s) => (s.ingressEnabled && s.ingressHost === "" ? [["ingressHost", "is required when ingressEnabled is true"]] : []),
  },
  {
    keys: ["hpaMinReplicas", "hpaMaxReplicas", "hpaEnabled"],
    rule: "hpaMinReplicas ≤ hpaMaxReplicas",
    check: (s) => (s.hpaEnabled && s.hpaMinReplicas > s.hpaMaxReplicas ? [["hpaMinReplicas", "must not exceed hpaMaxReplicas"]] : []),
  },
  notAbove("appCpuRequest", "appCpuLimit", parseQuantity),
  notAbove("appMemoryRequest", "appMemoryLimit", parseQuantity),
  notAbove("postgresMemoryRequest", "postgresMemoryLimit", parseQuantity),
  notAbove("redisMemoryRequest", "redisMemoryLimit", parseQuantity),
  {
    keys: ["redisMaxMemory", "redisMemoryLimit"],
    rule: `redisMemoryLimit ≥ ${REDIS_FORK_HEADROOM} × redisMaxMemory (headroom for the AOF rewrite fork)`,
    check: (s) => {
      const max = parseRedisSize(s.redisMaxMemory) ?? 0;
      const limit = parseQuantity(s.redisMemoryLimit) ?? 0;
      return limit < max * REDIS_FORK_HEADROOM
        ? [
            [
              "redisMaxMemory",
              `must leave headroom for the AOF rewrite fork: redisMemoryLimit (${s.redisMemoryLimit}) must be at least ${REDIS_FORK_HEADROOM} × redisMaxMemory (${s.redisMaxMemory}), or Redis is OOM-killed while rewriting`,
            ],
          ]
        : [];
    },
  },
  {
    keys: ["postgresShmSize", "postgresMemoryLimit"],
    rule: "postgresShmSize ≤ postgresMemoryLimit / 2 (/dev/shm pages count against the limit)",
    check: (s) =>
      (parseQuantity(s.postgresShmSize) ?? 0) * 2 > (parseQuantity(s.postgresMemoryLimit) ?? 0)
        ? [
            [
              "postgresShmSize",
              `must be at most half of postgresMemoryLimit (${s.postgresMemoryLimit}): /dev/shm is memory-backed and counts against the limit`,
            ],
          ]
        : [],
  },
  {
    keys: ["backupStorageSize", "backupKeep", "postgresStorageSize", "backupEnabled"],
    rule: `backupStorageSize ≥ (backupKeep + 1) × postgresStorageSize × ${DUMP_SIZE_RATIO} (the kept dumps plus the one being written)`,
    check: (s) => {
      if (!s.backupEnabled) return [];
      const needed = (s.backupKeep + 1) * (parseQuantity(s.postgresStorageSize) ?? 0) * DUMP_SIZE_RATIO;
      return (parseQuantity(s.backupStorageSize) ?? 0) < needed
        ? [
            [
              "backupStorageSize",
              `must hold backupKeep (${s.backupKeep}) dumps plus the one being written: at least (backupKeep + 1) × postgresStorageSize (${s.postgresStorageSize}) × ${DUMP_SIZE_RATIO} = ${formatGi(needed)}`,
            ],
          ]
        : [];
    },
  },
  {
    keys: ["preStopSleepSeconds", "environment"],
    rule: "outside dev: preStopSleepSeconds ≥ 3 (kube-proxy and ingress controllers need seconds to drop a terminating pod)",
    check: (s) =>
      s.environment !== "dev" && s.preStopSleepSeconds < 3
        ? [
            [
              "preStopSleepSeconds",
              "must be at least 3 outside dev: a pod that stops accepting before kube-proxy and the ingress controller drop it fails requests during every rollout",
            ],
          ]
        : [],
  },
  {
    keys: ["appRolloutTimeoutSeconds", "environment"],
    rule: `outside dev: appRolloutTimeoutSeconds ≥ the app's startup budget (${startupBudgetSeconds(APP_STARTUP_ATTEMPTS)} s) + ${ROLLOUT_MARGIN_SECONDS} s (dev may fail faster)`,
    check: (s) =>
      s.environment === "dev" ? [] : rolloutCovers(s.appRolloutTimeoutSeconds, APP_STARTUP_ATTEMPTS, "appRolloutTimeoutSeconds", "the app's startup probe"),
  },
  {
    keys: ["dataRolloutTimeoutSeconds", "environment"],
    rule: `outside dev: dataRolloutTimeoutSeconds ≥ PostgreSQL's startup budget (${startupBudgetSeconds(POSTGRES_STARTUP_ATTEMPTS)} s) + ${ROLLOUT_MARGIN_SECONDS} s (Redis's is ${startupBudgetSeconds(REDIS_STARTUP_ATTEMPTS)} s)`,
    check: (s) =>
      s.environment === "dev"
        ? []
        : rolloutCovers(
            s.dataRolloutTimeoutSeconds,
            Math.max(POSTGRES_STARTUP_ATTEMPTS, REDIS_STARTUP_ATTEMPTS),
            "dataRolloutTimeoutSeconds",
            "PostgreSQL's startup probe",
          ),
  },
];

function rolloutCovers(timeout: number, attempts: number, key: ValueKey, what: string): Array<[ValueKey, string]> {
  const needed = startupBudgetSeconds(attempts) + ROLLOUT_MARGIN_SECONDS;
  return timeout < needed
    ? [[key, `must be at least ${needed}: ${what} alone may take ${startupBudgetSeconds(attempts)} s, so a shorter wait fails a slow but healthy start`]]
    : [];
}

function formatGi(bytes: number): string {
  return `${Math.ceil((bytes / 2 ** 30) * 10) / 10}Gi`;
}
