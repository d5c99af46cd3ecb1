import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { dataClaimTemplate, dataServices, execProbes } from "./data-statefulset";
import { componentLabels, restrictedContainerSecurity, restrictedPodSecurity, selectorLabels, timeouts } from "./pod-security";

export interface PostgresArgs {
  namespace: pulumi.Input<string>;
  instance: string;
  image: string;
  database: string;
  user: string;
  storageSize: string;
  /** Empty: the cluster's default StorageClass. */
  storageClass: string;
  cpuRequest: string;
  memoryRequest: string;
  memoryLimit: string;
  /** Pulumi protect on what holds data (prod). */
  protect: boolean;
  rolloutTimeoutSeconds: number;
}

/** UID/GID of the postgres user in the official Alpine image. */
const POSTGRES_UID = 70;
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
  public readonly database: string;
  public readonly user: string;
  public readonly statefulSet: k8s.apps.v1.StatefulSet;
  /** Claim the StatefulSet creates for its only replica (name is fixed). */
  public readonly claimName: string;

  constructor(name: string, args: PostgresArgs, opts?: pulumi.ComponentResourceOptions) {
    super("clickvote:index:Postgres", name, {}, opts);
    const resourceName = `${args.instance}-postgres`;
    const labels = componentLabels("postgres", args.instance);
    const selector = selectorLabels("postgres", args.instance);
    this.database = args.database;
    this.user = args.user;
    this.claimName = `data-${resourceName}-0`;

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

    const services = dataServices(name, { resourceName, namespace: args.namespace, labels, selector, portName: "postgres", port: PORT }, this);
    this.serviceName = services.serviceName;
    this.host = services.host;

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

    this.statefulSet = new k8s.apps.v1.StatefulSet(
      `${name}-statefulset`,
      {
        metadata: { name: resourceName, namespace: args.namespace, labels },
        spec: {
          serviceName: services.headlessName,
          replicas: 1,
          selector: { matchLabels: selector },
          persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
          template: {
            metadata: { labels },
            spec: {
              automountServiceAccountToken: false,
              securityContext: restrictedPodSecurity(POSTGRES_UID, POSTGRES_UID),
              terminationGracePeriodSeconds: 60,
              initContainers: [
                {
                  name: "sync-password",
                  image: args.image,
                  command: ["sh", "-c", PASSWORD_SYNC_SCRIPT],
                  env,
                  securityContext: restrictedContainerSecurity(),
                  resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: args.memoryLimit } },
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
                  resources: {
                    requests: { cpu: args.cpuRequest, memory: args.memoryRequest },
                    limits: { memory: args.memoryLimit },
                  },
                  ...execProbes(readinessCommand, 90),
                  volumeMounts: [...volumeMounts, { name: "shm", mountPath: "/dev/shm" }],
                },
              ],
              volumes: [
                // PostgreSQL's parallel queries use /dev/shm; the runtime default of 64Mi is too small.
                { name: "shm", emptyDir: { medium: "Memory", sizeLimit: "256Mi" } },
                { name: "run", emptyDir: {} },
                { name: "tmp", emptyDir: {} },
              ],
            },
          },
          volumeClaimTemplates: [dataClaimTemplate(labels, args.storageClass, args.storageSize)],
        },
      },
      {
        parent: this,
        protect: args.protect,
        // Same name after a replacement (e.g. a new volume size) means delete first, then
        // re-create and re-bind the retained claim.
        deleteBeforeReplace: true,
        customTimeouts: timeouts(args.rolloutTimeoutSeconds),
      },
    );

    this.registerOutputs({
      secretName: this.secretName,
      serviceName: this.serviceName,
      host: this.host,
      claimName: this.claimName,
    });
  }
}
