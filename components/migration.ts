import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { componentLabels } from "./labels";
import { restrictedContainerSecurity, restrictedPodSecurity } from "./pod-security";
import { APP_GID, APP_UID, MIGRATE_COMMAND } from "./app-contract";

/** Migration Job settings of a Clickvote instance. */
export interface MigrationSettings {
  /** Retries of a failing migration pod (Job backoffLimit). */
  backoffLimit: number;
  /** Job activeDeadlineSeconds; the engine waits 30 s longer. */
  timeoutSeconds: number;
}

export interface MigrationArgs extends MigrationSettings {
  namespace: pulumi.Input<string>;
  instance: string;
  /** Digest-pinned app image; the Job's name derives from its digest. */
  imageRef: pulumi.Input<string>;
  /** Secret holding DATABASE_URL. */
  envSecretName: pulumi.Input<string>;
  serviceAccountName: pulumi.Input<string>;
  imagePullSecretName?: pulumi.Input<string>;
  /** Release version, for the app.kubernetes.io/version label. */
  version: string;
}

/** Seconds of the Job's deadline kept for pulling the image and starting the pod. */
const START_MARGIN_SECONDS = 15;

/**
 * MIGRATE_DEADLINE_MS for the migrate entry: the Job's deadline less the start margin, so the
 * migration gives up on a held lock (and says so) before Kubernetes kills the pod silently.
 */
export function migrateDeadlineMs(timeoutSeconds: number): number {
  return Math.max(1, timeoutSeconds - START_MARGIN_SECONDS) * 1000;
}

/** Job name for an image: one Job per digest, so a new release means a new Job. */
export function migrationJobName(instance: string, imageRef: string): string {
  const digest = /@sha256:([a-f0-9]{64})$/.exec(imageRef);
  if (!digest) throw new Error(`migration image must be digest-pinned, got ${imageRef}`);
  return `${instance}-migrate-${digest[1].slice(0, 12)}`;
}

/**
 * Runs the image's migrate entry once per image digest, as an ephemeral Job. The engine waits
 * for it to complete (or fail, within the deadline) and the app Deployment depends on it, so the
 * schema is in place before any new pod starts. No TTL: a TTL would delete the Job behind
 * Pulumi's back; the next release's Job replaces this one and that is the cleanup.
 */
export class Migration extends pulumi.ComponentResource {
  public readonly job: k8s.batch.v1.Job;
  public readonly jobName: pulumi.Output<string>;

  constructor(name: string, args: MigrationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("clickvote:index:Migration", name, {}, opts);
    const labels = componentLabels("migration", args.instance, args.version);
    const jobName = pulumi.output(args.imageRef).apply((ref) => migrationJobName(args.instance, ref));

    this.job = new k8s.batch.v1.Job(
      `${name}-job`,
      {
        metadata: {
          name: jobName,
          namespace: args.namespace,
          labels,
          // A Job left failed by an earlier update is replaced, not awaited again, on the next up.
          annotations: { "pulumi.com/replaceUnready": "true" },
        },
        spec: {
          backoffLimit: args.backoffLimit,
          activeDeadlineSeconds: args.timeoutSeconds,
          template: {
            metadata: { labels },
            spec: {
              restartPolicy: "Never",
              serviceAccountName: args.serviceAccountName,
              automountServiceAccountToken: false,
              ...(args.imagePullSecretName ? { imagePullSecrets: [{ name: args.imagePullSecretName }] } : {}),
              securityContext: restrictedPodSecurity(APP_UID, APP_GID),
              containers: [
                {
                  name: "migrate",
                  image: args.imageRef,
                  command: [...MIGRATE_COMMAND],
                  env: [
                    {
                      name: "DATABASE_URL",
                      valueFrom: { secretKeyRef: { name: args.envSecretName, key: "DATABASE_URL" } },
                    },
                    { name: "LOG_LEVEL", value: "info" },
                    { name: "MIGRATE_DEADLINE_MS", value: String(migrateDeadlineMs(args.timeoutSeconds)) },
                  ],
                  securityContext: restrictedContainerSecurity(),
                  resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
                  volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                },
              ],
              volumes: [{ name: "tmp", emptyDir: {} }],
            },
          },
        },
      },
      {
        parent: this,
        // The component's dependsOn (PostgreSQL ready) is recorded on the Job itself, so the
        // engine's graph, not only registration order, holds the release order.
        dependsOn: opts?.dependsOn,
        // Delete the previous release's Job before creating this one. Created first, the old Job
        // is only deleted at the end of a successful update, so after a failed rollout it stays
        // (pending delete), and rolling back to that release recreates a Job of the same name:
        // "already exists". The Deployment depends on the Job only by dependsOn, so it is not
        // replaced with it.
        deleteBeforeReplace: true,
        // A few seconds over the Job's own deadline, so Kubernetes reports the failure first.
        customTimeouts: { create: `${args.timeoutSeconds + 30}s`, update: `${args.timeoutSeconds + 30}s` },
      },
    );
    this.jobName = this.job.metadata.name;
    this.registerOutputs({ jobName: this.jobName });
  }
}
