import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { dataClaimTemplate, dataServices, execProbes } from "./data-statefulset";
import { componentLabels, restrictedContainerSecurity, restrictedPodSecurity, selectorLabels, timeouts } from "./pod-security";

export interface RedisArgs {
  namespace: pulumi.Input<string>;
  instance: string;
  image: string;
  storageSize: string;
  storageClass: string;
  maxMemory: string;
  memoryLimit: string;
  protect: boolean;
  rolloutTimeoutSeconds: number;
}

/** UID of the redis user, and GID of its group, in the official Alpine image. */
const REDIS_UID = 999;
const REDIS_GID = 1000;
const PORT = 6379;

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
  public readonly statefulSet: k8s.apps.v1.StatefulSet;
  public readonly claimName: string;

  constructor(name: string, args: RedisArgs, opts?: pulumi.ComponentResourceOptions) {
    super("clickvote:index:Redis", name, {}, opts);
    const resourceName = `${args.instance}-redis`;
    const labels = componentLabels("redis", args.instance);
    const selector = selectorLabels("redis", args.instance);
    this.claimName = `data-${resourceName}-0`;

    const password = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, { parent: this, protect: args.protect });
    this.password = pulumi.secret(password.result);

    const secret = new k8s.core.v1.Secret(
      `${name}-config`,
      {
        metadata: { name: `${resourceName}-config`, namespace: args.namespace, labels },
        type: "Opaque",
        stringData: {
          "redis.conf": this.password.apply((p) => redisConf(p, args.maxMemory)),
          REDIS_PASSWORD: this.password,
        },
      },
      { parent: this, protect: args.protect },
    );

    const services = dataServices(name, { resourceName, namespace: args.namespace, labels, selector, portName: "redis", port: PORT }, this);
    this.serviceName = services.serviceName;
    this.host = services.host;

    // redis-cli reads REDISCLI_AUTH, so the probe never puts the password in argv.
    const pingCommand = ["sh", "-c", 'redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG'];
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
            // redis.conf lives in a Secret that is updated in place: naming its settings here
            // restarts Redis when they change.
            metadata: { labels, annotations: { "clickvote.dev/redis-maxmemory": args.maxMemory } },
            spec: {
              automountServiceAccountToken: false,
              securityContext: restrictedPodSecurity(REDIS_UID, REDIS_GID),
              terminationGracePeriodSeconds: 30,
              containers: [
                {
                  name: "redis",
                  image: args.image,
                  command: ["redis-server", "/etc/redis/redis.conf"],
                  ports: [{ name: "redis", containerPort: PORT }],
                  env: [{ name: "REDISCLI_AUTH", valueFrom: { secretKeyRef: { name: secret.metadata.name, key: "REDIS_PASSWORD" } } }],
                  securityContext: restrictedContainerSecurity(),
                  resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: args.memoryLimit } },
                  ...execProbes(pingCommand, 60),
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
            },
          },
          volumeClaimTemplates: [dataClaimTemplate(labels, args.storageClass, args.storageSize)],
        },
      },
      { parent: this, protect: args.protect, deleteBeforeReplace: true, customTimeouts: timeouts(args.rolloutTimeoutSeconds) },
    );

    this.registerOutputs({ serviceName: this.serviceName, host: this.host, claimName: this.claimName });
  }
}
