import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { ClickvoteConfig } from "./config";
import { APP_PORT } from "./app-contract";
import { ClickvoteImage, defaultSourceUrl } from "./image";
import { Postgres } from "./postgres";
import { Redis } from "./redis";
import { AppEnvironment } from "./app-environment";
import { Migration } from "./migration";
import { ClickvoteApp } from "./app";
import { NetworkPolicies } from "./network-policies";
import { PostgresBackup } from "./backup";
import { componentLabels } from "./pod-security";

export interface ClickvoteArgs {
  config: ClickvoteConfig;
  registryUsername?: string;
  registryToken?: pulumi.Input<string>;
  imagePullToken?: pulumi.Input<string>;
  /** Directory the build context and Dockerfile paths are relative to. */
  projectRoot?: string;
  /** kubernetes:context and kubernetes:kubeconfig, which the default provider reads by itself. */
  kubeContext?: string;
  kubeconfig?: string;
}

/** Name prefix of every Kubernetes object; fixed so data objects keep their names across stacks' lifetimes. */
const INSTANCE = "clickvote";

/** A dockerconfigjson for one registry, as Kubernetes expects it. */
export function dockerConfigJson(registry: string, username: string, token: string): string {
  const auth = Buffer.from(`${username}:${token}`).toString("base64");
  return JSON.stringify({ auths: { [registry]: { username, password: token, auth } } });
}

/**
 * Clickvote in one namespace: image, PostgreSQL, Redis, migration Job, app, network policies
 * and backups. The dependency graph orders a release: data services ready → migration Job
 * completed → app Deployment rolled out.
 */
export class Clickvote extends pulumi.ComponentResource {
  public readonly imageRef: pulumi.Output<string>;
  public readonly namespace: pulumi.Output<string>;
  public readonly serviceName: pulumi.Output<string>;
  public readonly url: pulumi.Output<string>;
  public readonly migrationJobName: pulumi.Output<string>;
  public readonly version: string;
  public readonly postgresClaim: string;
  public readonly redisClaim: string;

  constructor(name: string, args: ClickvoteArgs, opts?: pulumi.ComponentResourceOptions) {
    super("clickvote:index:Clickvote", name, {}, opts);
    const c = args.config;
    const child = { parent: this };
    this.version = c.version;

    const image = new ClickvoteImage(
      `${name}-image`,
      {
        mode: c.imageMode,
        repository: c.imageRepository,
        version: c.version,
        tag: c.imageTag || undefined,
        digest: c.imageDigest || undefined,
        buildContext: c.buildContext,
        dockerfile: c.dockerfile,
        platforms: c.buildPlatforms,
        buildOnPreview: c.buildOnPreview,
        sourceUrl: c.sourceUrl || defaultSourceUrl(c.imageRepository),
        revision: c.gitRevision,
        projectRoot: args.projectRoot ?? path.resolve(__dirname, ".."),
        registryUsername: args.registryUsername,
        registryToken: args.registryToken,
      },
      child,
    );
    this.imageRef = image.ref;

    // Objects kept on destroy (namespace, backup volume) must be adoptable by the next `up`:
    // since pulumi-kubernetes 4.29 a create of an existing object fails unless upsert is on.
    // Only retained objects use this provider, so a rename can't delete anything it adopted.
    const adoptingProvider = new k8s.Provider(
      `${name}-adopting`,
      { upsertExistingObjects: true, context: args.kubeContext, kubeconfig: args.kubeconfig },
      child,
    );

    // Verify before update: in tag mode every cluster object waits for the tag to resolve to a
    // digest (the namespace name flows through it), so a missing tag changes nothing. Build mode
    // is not gated: its digest is unknown during preview, and the Job and Deployment wait anyway.
    const namespaceGate = c.imageMode === "tag" ? image.digest.apply(() => c.namespace) : pulumi.output(c.namespace);
    let namespaceName: pulumi.Output<string>;
    if (c.createNamespace) {
      const namespace = new k8s.core.v1.Namespace(
        `${name}-namespace`,
        {
          metadata: {
            name: namespaceGate,
            labels: {
              ...componentLabels("namespace", INSTANCE),
              "pod-security.kubernetes.io/enforce": "restricted",
              "pod-security.kubernetes.io/enforce-version": "latest",
              "pod-security.kubernetes.io/audit": "restricted",
              "pod-security.kubernetes.io/warn": "restricted",
            },
          },
        },
        // Deleting a namespace deletes every claim in it, whatever the StatefulSets' retention
        // policy says: destroy must leave it.
        { ...child, provider: adoptingProvider, retainOnDelete: true, protect: c.protectData },
      );
      namespaceName = namespace.metadata.name;
    } else {
      namespaceName = namespaceGate;
    }
    this.namespace = namespaceName;


    const serviceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-serviceaccount`,
      {
        metadata: { name: INSTANCE, namespace: namespaceName, labels: componentLabels("app", INSTANCE) },
        automountServiceAccountToken: false,
      },
      child,
    );

    let imagePullSecretName: pulumi.Output<string> | undefined;
    if (args.imagePullToken !== undefined) {
      const username = c.imagePullUsername || args.registryUsername || "clickvote";
      const pullSecret = new k8s.core.v1.Secret(
        `${name}-image-pull`,
        {
          metadata: { namespace: namespaceName, labels: componentLabels("app", INSTANCE) },
          type: "kubernetes.io/dockerconfigjson",
          stringData: {
            ".dockerconfigjson": pulumi.secret(pulumi.output(args.imagePullToken).apply((t) => dockerConfigJson("ghcr.io", username, t))),
          },
        },
        child,
      );
      imagePullSecretName = pullSecret.metadata.name;
    }

    const postgres = new Postgres(
      `${name}-postgres`,
      {
        namespace: namespaceName,
        instance: INSTANCE,
        image: c.postgresImage,
        database: c.postgresDatabase,
        user: c.postgresUser,
        storageSize: c.postgresStorageSize,
        storageClass: c.postgresStorageClass,
        cpuRequest: c.postgresCpuRequest,
        memoryRequest: c.postgresMemoryRequest,
        memoryLimit: c.postgresMemoryLimit,
        protect: c.protectData,
        rolloutTimeoutSeconds: c.dataRolloutTimeoutSeconds,
      },
      child,
    );
    this.postgresClaim = postgres.claimName;

    const redis = new Redis(
      `${name}-redis`,
      {
        namespace: namespaceName,
        instance: INSTANCE,
        image: c.redisImage,
        storageSize: c.redisStorageSize,
        storageClass: c.redisStorageClass,
        maxMemory: c.redisMaxMemory,
        memoryLimit: c.redisMemoryLimit,
        protect: c.protectData,
        rolloutTimeoutSeconds: c.dataRolloutTimeoutSeconds,
      },
      child,
    );
    this.redisClaim = redis.claimName;

    const databaseUrl = pulumi.secret(
      pulumi.interpolate`postgresql://${c.postgresUser}:${postgres.password}@${postgres.host}:${postgres.port}/${c.postgresDatabase}`,
    );
    const redisUrl = pulumi.secret(pulumi.interpolate`redis://default:${redis.password}@${redis.host}:${redis.port}/0`);

    const environment = new AppEnvironment(
      `${name}-environment`,
      {
        namespace: namespaceName,
        instance: INSTANCE,
        settings: {
          PORT: String(APP_PORT),
          APP_MODE: c.appMode,
          LOG_LEVEL: c.logLevel,
          SHUTDOWN_GRACE_MS: String(c.shutdownGraceSeconds * 1000),
        },
        secrets: { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl },
      },
      child,
    );

    if (c.networkPolicyEnabled) {
      new NetworkPolicies(
        `${name}-network`,
        {
          namespace: namespaceName,
          instance: INSTANCE,
          postgresPort: postgres.port,
          redisPort: redis.port,
          ingressControllerNamespace: c.ingressControllerNamespace,
          metricsNamespace: c.metricsNamespace,
        },
        child,
      );
    }

    // Release order, from the graph: PostgreSQL ready → migration Job completed → app rollout.
    const migration = new Migration(
      `${name}-migration`,
      {
        namespace: namespaceName,
        instance: INSTANCE,
        imageRef: image.ref,
        envSecretName: environment.secretName,
        serviceAccountName: serviceAccount.metadata.name,
        imagePullSecretName,
        backoffLimit: c.migrationBackoffLimit,
        timeoutSeconds: c.migrationTimeoutSeconds,
        version: c.version,
      },
      { ...child, dependsOn: [postgres.statefulSet] },
    );
    this.migrationJobName = migration.jobName;

    const autoscaling = c.hpaEnabled
      ? { minReplicas: c.hpaMinReplicas, maxReplicas: c.hpaMaxReplicas, cpuUtilization: c.hpaCpuUtilization }
      : undefined;
    const app = new ClickvoteApp(
      `${name}-app`,
      {
        namespace: namespaceName,
        instance: INSTANCE,
        imageRef: image.ref,
        version: c.version,
        replicas: c.appReplicas,
        configMapName: environment.configMapName,
        envSecretName: environment.secretName,
        serviceAccountName: serviceAccount.metadata.name,
        imagePullSecretName,
        resources: { cpuRequest: c.appCpuRequest, memoryRequest: c.appMemoryRequest, cpuLimit: c.appCpuLimit, memoryLimit: c.appMemoryLimit },
        preStopSleepSeconds: c.preStopSleepSeconds,
        shutdownGraceSeconds: c.shutdownGraceSeconds,
        serviceType: c.serviceType,
        ingress: c.ingressEnabled ? { host: c.ingressHost, className: c.ingressClassName, tlsSecretName: c.ingressTlsSecretName } : undefined,
        autoscaling,
        monitoring: c.monitoring,
        rolloutTimeoutSeconds: c.appRolloutTimeoutSeconds,
      },
      { ...child, dependsOn: [migration.job, redis.statefulSet] },
    );
    this.serviceName = app.serviceName;
    this.url = app.url;

    if (c.backupEnabled) {
      new PostgresBackup(
        `${name}-backup`,
        {
          namespace: namespaceName,
          instance: INSTANCE,
          image: c.postgresImage,
          host: postgres.host,
          port: postgres.port,
          database: c.postgresDatabase,
          user: c.postgresUser,
          credentialsSecretName: postgres.secretName,
          schedule: c.backupSchedule,
          keep: c.backupKeep,
          storageSize: c.backupStorageSize,
          storageClass: c.postgresStorageClass,
          protect: c.protectData,
          volumeProvider: adoptingProvider,
        },
        child,
      );
    }

    this.registerOutputs({
      imageRef: this.imageRef,
      namespace: this.namespace,
      serviceName: this.serviceName,
      url: this.url,
      migrationJobName: this.migrationJobName,
    });
  }
}
