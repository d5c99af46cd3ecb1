import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { CONFIG_CHECKSUM_ANNOTATION, configChecksum, dataStatefulSet, execProbes, StorageArgs } from "./data-statefulset";
import { componentLabels, selectorLabels } from "./labels";
import { restrictedContainerSecurity } from "./pod-security";
import { POSTGRES_STARTUP_ATTEMPTS } from "./probe-budgets";

/** PostgreSQL settings of a Clickvote instance (settings/component-args.ts maps the stack's). */
export interface PostgresSettings {
  /** Digest-pinned PostgreSQL image, e.g. docker.io/library/postgres:17.6-alpine@sha256:…. */
  image: string;
  /** Database the app uses. */
  database: string;
  /** Role the app and migrations log in as. */
  user: string;
  storage: StorageArgs;
  /** Size of the memory-backed /dev/shm (parallel query workers), a byte quantity; counts against the memory limit. */
  shmSize: string;
  /** Container resources; the init container gets the same limits. */
  resources: k8s.types.input.core.v1.ResourceRequirements & { limits: Record<string, string> };
  /** How long the engine waits for the StatefulSet, in seconds. */
  rolloutTimeoutSeconds: number;
}

export interface PostgresArgs extends PostgresSettings {
  namespace: pulumi.Input<string>;
  /** Name prefix of the Kubernetes objects. */
  instance: string;
  /** Pulumi protect on what holds data (prod). */
  protect: boolean;
}

/** What a client needs to reach the database; the password is in the Secret `secretName`. */
export interface PostgresConnection {
  image: string;
  host: pulumi.Output<string>;
  port: number;
  database: string;
  user: string;
  /** Secret with POSTGRES_USER, POSTGRES_DB and POSTGRES_PASSWORD. */
  secretName: pulumi.Output<string>;
}

/** UID/GID of the postgres user in the official Alpine image. */
export const POSTGRES_UID = 70;
const PORT = 5432;
const DATA_MOUNT = "/var/lib/postgresql/data";

/**
 * Re-applies the generated password to an existing data directory before the server starts.
 * The official image only uses POSTGRES_PASSWORD at initdb, so without this a stack that was
 * destroyed (volume retained) and created again would hold a new password the data doesn't know.
 * Single-user mode needs no network and no old password; the value comes from the env, never argv.
 */
export const PASSWORD_SYNC_SCRIPT = [
  "set -eu",
  'if [ -s "$PGDATA/PG_VERSION" ]; then',
  `  printf 'ALTER ROLE "%s" WITH LOGIN PASSWORD '"'"'%s'"'"';\\n' "$POSTGRES_USER" "$POSTGRES_PASSWORD" | postgres --single -D "$PGDATA" postgres > /dev/null`,
  "fi",
].join("\n");

/**
 * PostgreSQL as a single-replica StatefulSet. Data safety: fixed StatefulSet and claim names
 * (a replacement re-binds data-<name>-0), the claim retention policy keeps volumes when the
 * StatefulSet goes, and prod protects the StatefulSet and its password.
 */
export class Postgres extends pulumi.ComponentResource {
  public readonly password: pulumi.Output<string>;
  public readonly secretName: pulumi.Output<string>;
  public readonly serviceName: pulumi.Output<string>;
  public readonly host: pulumi.Output<string>;
  public readonly port: number = PORT;
  /** postgresql://user:password@host:port/database, secret. */
  public readonly connectionUrl: pulumi.Output<string>;
  public readonly connection: PostgresConnection;
  public readonly statefulSet: k8s.apps.v1.StatefulSet;
  /** Claim the StatefulSet creates for its only replica (name is fixed). */
  public readonly claimName: string;

  constructor(name: string, args: PostgresArgs, opts?: pulumi.ComponentResourceOptions) {
    super("clickvote:index:Postgres", name, {}, opts);
    const resourceName = `${args.instance}-postgres`;
    const labels = componentLabels("postgres", args.instance);

    // Alphanumeric only: the password goes into URLs and into SQL in the sync script unescaped.
    const password = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, { parent: this, protect: args.protect });
    this.password = pulumi.secret(password.result);

    const secret = new k8s.core.v1.Secret(
      `${name}-credentials`,
      {
        metadata: { name: `${resourceName}-credentials`, namespace: args.namespace, labels },
        type: "Opaque",
        stringData: { POSTGRES_USER: args.user, POSTGRES_DB: args.database, POSTGRES_PASSWORD: this.password },
      },
      { parent: this, protect: args.protect },
    );
    this.secretName = secret.metadata.name;

    const credentialsEnv = (["POSTGRES_USER", "POSTGRES_DB", "POSTGRES_PASSWORD"] as const).map((key) => ({
      name: key,
      valueFrom: { secretKeyRef: { name: secret.metadata.name, key } },
    }));
    const env = [...credentialsEnv, { name: "PGDATA", value: `${DATA_MOUNT}/pgdata` }];
    const readinessCommand = ["pg_isready", "-h", "127.0.0.1", "-p", String(PORT), "-U", args.user, "-d", args.database];
    const volumeMounts = [
      { name: "data", mountPath: DATA_MOUNT },
      { name: "run", mountPath: "/var/run/postgresql" },
      { name: "tmp", mountPath: "/tmp" },
    ];

    const data = dataStatefulSet(
      name,
      {
        resourceName,
        namespace: args.namespace,
        labels,
        selector: selectorLabels("postgres", args.instance),
        portName: "postgres",
        port: PORT,
        // A new password restarts the pod, whose init container then re-applies it to the data.
        podAnnotations: { [CONFIG_CHECKSUM_ANNOTATION]: configChecksum([args.user, args.database, this.password]) },
        uid: POSTGRES_UID,
        gid: POSTGRES_UID,
        terminationGracePeriodSeconds: 60,
        initContainers: [
          {
            name: "sync-password",
            image: args.image,
            command: ["sh", "-c", PASSWORD_SYNC_SCRIPT],
            env,
            securityContext: restrictedContainerSecurity(),
            resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: args.resources.limits },
            volumeMounts,
          },
        ],
        containers: [
          {
            name: "postgres",
            image: args.image,
            ports: [{ name: "postgres", containerPort: PORT }],
            env,
            securityContext: restrictedContainerSecurity(),
            resources: args.resources,
            ...execProbes(readinessCommand, POSTGRES_STARTUP_ATTEMPTS),
            volumeMounts: [...volumeMounts, { name: "shm", mountPath: "/dev/shm" }],
          },
        ],
        volumes: [
          // PostgreSQL's parallel queries use /dev/shm; the runtime default of 64Mi is too small.
          { name: "shm", emptyDir: { medium: "Memory", sizeLimit: args.shmSize } },
          { name: "run", emptyDir: {} },
          { name: "tmp", emptyDir: {} },
        ],
        storage: args.storage,
        protect: args.protect,
        rolloutTimeoutSeconds: args.rolloutTimeoutSeconds,
      },
      this,
    );
    this.statefulSet = data.statefulSet;
    this.serviceName = data.serviceName;
    this.host = data.host;
    this.claimName = data.claimName;
    this.connectionUrl = pulumi.secret(pulumi.interpolate`postgresql://${args.user}:${this.password}@${this.host}:${PORT}/${args.database}`);
    this.connection = { image: args.image, host: this.host, port: PORT, database: args.database, user: args.user, secretName: this.secretName };

    this.registerOutputs({
      secretName: this.secretName,
      serviceName: this.serviceName,
      host: this.host,
      claimName: this.claimName,
    });
  }
}
