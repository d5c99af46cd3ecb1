// The one place flat stack settings become the nested, typed component args. Every setting is
// read here exactly once; components never see the flat list.
import { ClickvoteArgs } from "../components/clickvote";
import { githubSourceUrl } from "../components/oci";
import { StackSettings } from "./load";

/** Empty string settings mean "unset"; nested args use absent fields instead. */
const unlessEmpty = (value: string): string | undefined => (value === "" ? undefined : value);

/** Maps validated settings to the Clickvote component's args. Pure: registers nothing. */
export function clickvoteArgs(settings: StackSettings): ClickvoteArgs {
  const v = settings.values;
  return {
    namespace: { name: v.namespace, create: v.createNamespace },
    image: {
      mode: v.imageMode,
      repository: v.imageRepository,
      version: v.version,
      tag: unlessEmpty(v.imageTag),
      digest: unlessEmpty(v.imageDigest),
      build:
        v.imageMode === "build"
          ? {
              context: v.buildContext,
              dockerfile: v.dockerfile,
              platforms: [...v.buildPlatforms],
              onPreview: v.buildOnPreview,
              sourceUrl: unlessEmpty(v.sourceUrl) ?? githubSourceUrl(v.imageRepository),
              revision: v.gitRevision,
            }
          : undefined,
      registry: settings.registry,
    },
    imagePull:
      settings.imagePullToken !== undefined
        ? { username: v.imagePullUsername || settings.registry.username || "clickvote", token: settings.imagePullToken }
        : undefined,
    app: {
      replicas: v.appReplicas,
      mode: v.appMode,
      logLevel: v.logLevel,
      resources: {
        requests: { cpu: v.appCpuRequest, memory: v.appMemoryRequest },
        limits: { cpu: v.appCpuLimit, memory: v.appMemoryLimit },
      },
      preStopSleepSeconds: v.preStopSleepSeconds,
      shutdownGraceSeconds: v.shutdownGraceSeconds,
      serviceType: v.serviceType,
      ingress: v.ingressEnabled ? { host: v.ingressHost, className: v.ingressClassName, tlsSecretName: unlessEmpty(v.ingressTlsSecretName) } : undefined,
      autoscaling: v.hpaEnabled ? { minReplicas: v.hpaMinReplicas, maxReplicas: v.hpaMaxReplicas, cpuUtilization: v.hpaCpuUtilization } : undefined,
      monitoring: v.monitoring,
      rolloutTimeoutSeconds: v.appRolloutTimeoutSeconds,
    },
    postgres: {
      image: v.postgresImage,
      database: v.postgresDatabase,
      user: v.postgresUser,
      storage: { size: v.postgresStorageSize, className: unlessEmpty(v.postgresStorageClass) },
      shmSize: v.postgresShmSize,
      resources: { requests: { cpu: v.postgresCpuRequest, memory: v.postgresMemoryRequest }, limits: { memory: v.postgresMemoryLimit } },
      rolloutTimeoutSeconds: v.dataRolloutTimeoutSeconds,
    },
    redis: {
      image: v.redisImage,
      storage: { size: v.redisStorageSize, className: unlessEmpty(v.redisStorageClass) },
      maxMemory: v.redisMaxMemory,
      resources: { requests: { cpu: v.redisCpuRequest, memory: v.redisMemoryRequest }, limits: { memory: v.redisMemoryLimit } },
      rolloutTimeoutSeconds: v.dataRolloutTimeoutSeconds,
    },
    migration: { backoffLimit: v.migrationBackoffLimit, timeoutSeconds: v.migrationTimeoutSeconds },
    networkPolicy: v.networkPolicyEnabled
      ? {
          ingressControllerNamespace: v.ingressControllerNamespace,
          metricsNamespace: v.metricsNamespace,
          dns: v.networkPolicyDnsPeers === "any" ? { peers: "any" } : { peers: "cluster", cidrs: [...v.networkPolicyDnsCidrs] },
          appClientCidrs: [...v.networkPolicyAppClientCidrs],
        }
      : undefined,
    backup: v.backupEnabled
      ? { schedule: v.backupSchedule, keep: v.backupKeep, storage: { size: v.backupStorageSize, className: unlessEmpty(v.postgresStorageClass) } }
      : undefined,
    protectData: v.protectData,
    kubernetes: settings.kubernetes,
  };
}
