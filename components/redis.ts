import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { CONFIG_CHECKSUM_ANNOTATION, configChecksum, dataStatefulSet, execProbes, StorageArgs } from "./data-statefulset";
import { componentLabels, selectorLabels } from "./labels";
import { restrictedContainerSecurity } from "./pod-security";
import { REDIS_STARTUP_ATTEMPTS } from "./probe-budgets";

/** Redis settings of a Clickvote instance (settings/component-args.ts maps the stack's). */
export interface RedisSettings {
  /** Digest-pinned Redis image, e.g. docker.io/library/redis:7.4-alpine@sha256:…. */
  image: string;
  storage: StorageArgs;
  /** Redis maxmemory, in Redis units ("128mb"); the policy is noeviction. */
  maxMemory: string;
  resources: k8s.types.input.core.v1.ResourceRequirements;
  /** How long the engine waits for the StatefulSet, in seconds. */
  rolloutTimeoutSeconds: number;
}

export interface RedisArgs extends RedisSettings {
  namespace: pulumi.Input<string>;
  /** Name prefix of the Kubernetes objects. */
  instance: string;
  /** Pulumi protect on what holds data (prod). */
  protect: boolean;
}

/** UID of the redis user, and GID of its group, in the official Alpine image. */
const REDIS_UID = 999;
const REDIS_GID = 1000;
/** Redis's default port (redis.conf `port`). */
export const REDIS_PORT = 6379;
const PORT = REDIS_PORT;

/** redis.conf for a cache that must not lose or silently drop writes. */
export function redisConf(password: string, maxMemory: string): string {
  return [
    `port ${PORT}`,
    "bind 0.0.0.0",
    "protected-mode yes",
    `requirepass ${password}`,
    "dir /data",
    // Append-only file with fsync every second: at most a second of writes lost on a crash.
    "appendonly yes",
    "appendfsync everysec",
    `maxmemory ${maxMemory}`,
    // Writes fail loudly when full rather than evicting keys behind the app's back.
    "maxmemory-policy noeviction",
    "",
  ].join("\n");
}

/**
 * Redis as a single-replica StatefulSet with a persistent, retained volume. The password
 * lives in a Secret that carries the whole redis.conf, so it is never on a command line.
 */
export class Redis extends pulumi.ComponentResource {
  public readonly password: pulumi.Output<string>;
  public readonly serviceName: pulumi.Output<string>;
  public readonly host: pulumi.Output<string>;
  public readonly port: number = PORT;
  /** redis://default:password@host:port/0, secret. */
  public readonly connectionUrl: pulumi.Output<string>;
  public readonly statefulSet: k8s.apps.v1.StatefulSet;
  public readonly claimName: string;

  constructor(name: string, args: RedisArgs, opts?: pulumi.ComponentResourceOptions) {
    super("clickvote:index:Redis", name, {}, opts);
    const resourceName = `${args.instance}-redis`;
    const labels = componentLabels("redis", args.instance);

    const password = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, { parent: this, protect: args.protect });
    this.password = pulumi.secret(password.result);

    const redisConfText = this.password.apply((p) => redisConf(p, args.maxMemory));
    const secret = new k8s.core.v1.Secret(
      `${name}-config`,
      {
        metadata: { name: `${resourceName}-config`, namespace: args.namespace, labels },
        type: "Opaque",
        stringData: {
          "redis.conf": redisConfText,
          REDIS_PASSWORD: this.password,
        },
      },
      { parent: this, protect: args.protect },
    );

    const pingCommand = ["sh", "-c", `redis-cli -h 127.0.0.1 -p ${PORT} ping | grep -q PONG`];
    const data = dataStatefulSet(
      name,
      {
        resourceName,
        namespace: args.namespace,
        labels,
        selector: selectorLabels("redis", args.instance),
        portName: "redis",
        port: PORT,
        // redis.conf (password, maxmemory) is read at start: a change restarts the pod. The AOF on
        // the volume keeps the cache across the restart.
        podAnnotations: { [CONFIG_CHECKSUM_ANNOTATION]: configChecksum([redisConfText]) },
        uid: REDIS_UID,
        gid: REDIS_GID,
        terminationGracePeriodSeconds: 30,
        containers: [
          {
            name: "redis",
            image: args.image,
            command: ["redis-server", "/etc/redis/redis.conf"],
            ports: [{ name: "redis", containerPort: PORT }],
            env: [{ name: "REDISCLI_AUTH", valueFrom: { secretKeyRef: { name: secret.metadata.name, key: "REDIS_PASSWORD" } } }],
            securityContext: restrictedContainerSecurity(),
            resources: args.resources,
            ...execProbes(pingCommand, REDIS_STARTUP_ATTEMPTS),
            volumeMounts: [
              { name: "data", mountPath: "/data" },
              { name: "config", mountPath: "/etc/redis", readOnly: true },
              { name: "tmp", mountPath: "/tmp" },
            ],
          },
        ],
        volumes: [
          { name: "config", secret: { secretName: secret.metadata.name, items: [{ key: "redis.conf", path: "redis.conf" }] } },
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
    this.connectionUrl = pulumi.secret(pulumi.interpolate`redis://default:${this.password}@${this.host}:${PORT}/0`);

    this.registerOutputs({ serviceName: this.serviceName, host: this.host, claimName: this.claimName });
  }
}
