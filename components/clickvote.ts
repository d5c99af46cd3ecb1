import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { APP_PORT } from "./app-contract";
import { ClickvoteImage, ClickvoteImageArgs } from "./image";
import { Postgres, PostgresSettings } from "./postgres";
import { Redis, RedisSettings } from "./redis";
import { AppEnvironment } from "./app-environment";
import { Migration, MigrationSettings } from "./migration";
import { AppSettings, ClickvoteApp } from "./app";
import { NetworkPolicies, NetworkPolicySettings } from "./network-policies";
import { BackupSettings, PostgresBackup } from "./backup";
import { componentLabels } from "./labels";
import { registryHost } from "./oci";

/**
 * Everything a Clickvote instance is made of, by part. Optional parts are objects, absent
 * when the part is off (Bitnami's `enabled` flags, as types).
 */
export interface ClickvoteArgs {
  namespace: {
    /** Kubernetes namespace of every object. */
    name: string;
    /** Create it, labelled for the restricted Pod Security Standard; false uses an existing one. */
    create: boolean;
  };
  image: ClickvoteImageArgs;
  /** Pull credentials for a private image; absent: pods pull anonymously. */
  imagePull?: { username: string; token: pulumi.Input<string> };
  app: AppSettings;
  postgres: PostgresSettings;
  redis: RedisSettings;
  migration: MigrationSettings;
  /** Default-deny NetworkPolicies with explicit allows; absent: none. */
  networkPolicy?: NetworkPolicySettings;
  /** Nightly pg_dump into a retained volume; absent: none. */
  backup?: BackupSettings;
  /** Pulumi protect on everything that holds data (prod). */
  protectData: boolean;
  /** Settings of the explicit provider that adopts retained objects (the default provider reads them by itself). */
  kubernetes?: { context?: string; kubeconfig?: pulumi.Input<string> };
  /**
   * Every cluster object waits for this value (through the namespace name), so a check that
   * rejects it, in preview as in update, stops the update before anything changes.
   */
  gate?: pulumi.Input<unknown>;
}

/** Name prefix of every Kubernetes object; fixed so data objects keep their names across stacks' lifetimes. */
const INSTANCE = "clickvote";

/** A dockerconfigjson for one registry, as Kubernetes expects it. */
export function dockerConfigJson(registry: string, username: string, token: string): string {
  const auth = Buffer.from(`${username}:${token}`).toString("base64");
  return JSON.stringify({ auths: { [registry]: { username, password: token, auth } } });
}

/** Labels of a namespace that enforces the restricted Pod Security Standard. */
export function restrictedNamespaceLabels(): Record<string, string> {
  return {
    ...componentLabels("namespace", INSTANCE),
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
  };
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
    const child = { parent: this };
    const instance = { instance: INSTANCE };
    this.version = args.image.version;

    const image = new ClickvoteImage(`${name}-image`, args.image, child);
    this.imageRef = image.ref;

    // Objects kept on destroy (namespace, backup volume) must be adoptable by the next `up`:
    // since pulumi-kubernetes 4.29 a create of an existing object fails unless upsert is on.
    // Only retained objects use this provider, so a rename can't delete anything it adopted.
    const adoptingProvider = new k8s.Provider(
      `${name}-adopting`,
      { upsertExistingObjects: true, context: args.kubernetes?.context, kubeconfig: args.kubernetes?.kubeconfig },
      child,
    );

    const namespace = this.createNamespace(name, args, image, adoptingProvider);
    this.namespace = namespace;
    const inNamespace = { namespace, ...instance };

    const serviceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-serviceaccount`,
      { metadata: { name: INSTANCE, namespace, labels: componentLabels("app", INSTANCE) }, automountServiceAccountToken: false },
      child,
    );
    const imagePullSecretName = args.imagePull ? this.createPullSecret(name, args.imagePull, args.image.repository, namespace) : undefined;

    const postgres = new Postgres(`${name}-postgres`, { ...args.postgres, ...inNamespace, protect: args.protectData }, child);
    this.postgresClaim = postgres.claimName;
    const redis = new Redis(`${name}-redis`, { ...args.redis, ...inNamespace, protect: args.protectData }, child);
    this.redisClaim = redis.claimName;

    const environment = new AppEnvironment(
      `${name}-environment`,
      {
        ...inNamespace,
        settings: {
          PORT: String(APP_PORT),
          APP_MODE: args.app.mode,
          LOG_LEVEL: args.app.logLevel,
          SHUTDOWN_GRACE_MS: String(args.app.shutdownGraceSeconds * 1000),
        },
        secrets: { DATABASE_URL: postgres.connectionUrl, REDIS_URL: redis.connectionUrl },
      },
      child,
    );

    if (args.networkPolicy) {
      new NetworkPolicies(`${name}-network`, { ...args.networkPolicy, ...inNamespace, postgresPort: postgres.port, redisPort: redis.port }, child);
    }

    // Release order, from the graph: PostgreSQL ready → migration Job completed → app rollout.
    const workload = {
      ...inNamespace,
      imageRef: image.ref,
      version: args.image.version,
      envSecretName: environment.secretName,
      serviceAccountName: serviceAccount.metadata.name,
      imagePullSecretName,
    };
    const migration = new Migration(`${name}-migration`, { ...args.migration, ...workload }, { ...child, dependsOn: [postgres.statefulSet] });
    this.migrationJobName = migration.jobName;

    const app = new ClickvoteApp(
      `${name}-app`,
      { ...args.app, ...workload, configMapName: environment.configMapName },
      { ...child, dependsOn: [migration.job, redis.statefulSet] },
    );
    this.serviceName = app.serviceName;
    this.url = app.url;

    if (args.backup) {
      new PostgresBackup(
        `${name}-backup`,
        { ...args.backup, ...inNamespace, postgres: postgres.connection, protect: args.protectData, volumeProvider: adoptingProvider },
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

  /**
   * The namespace, or the name of an existing one. Verify before update: every cluster object
   * waits for args.gate and, in tag mode, for the tag to resolve to a digest (the namespace name
   * flows through both), so a refused setting or a missing tag changes nothing. Build mode's
   * digest is not awaited: it is unknown during preview, and the Job and Deployment wait anyway.
   */
  private createNamespace(name: string, args: ClickvoteArgs, image: ClickvoteImage, provider: k8s.Provider): pulumi.Output<string> {
    const digest = args.image.mode === "tag" ? image.digest : undefined;
    const gated = pulumi.all([args.gate, digest]).apply(() => args.namespace.name);
    if (!args.namespace.create) return gated;
    const namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      { metadata: { name: gated, labels: restrictedNamespaceLabels() } },
      // Deleting a namespace deletes every claim in it, whatever the StatefulSets' retention
      // policy says: destroy must leave it.
      { parent: this, provider, retainOnDelete: true, protect: args.protectData },
    );
    return namespace.metadata.name;
  }

  /** A dockerconfigjson Secret for the repository's registry; returns its name. */
  private createPullSecret(
    name: string,
    pull: { username: string; token: pulumi.Input<string> },
    repository: string,
    namespace: pulumi.Output<string>,
  ): pulumi.Output<string> {
    const secret = new k8s.core.v1.Secret(
      `${name}-image-pull`,
      {
        metadata: { namespace, labels: componentLabels("app", INSTANCE) },
        type: "kubernetes.io/dockerconfigjson",
        stringData: {
          ".dockerconfigjson": pulumi.secret(pulumi.output(pull.token).apply((t) => dockerConfigJson(registryHost(repository), pull.username, t))),
        },
      },
      { parent: this },
    );
    return secret.metadata.name;
  }
}
