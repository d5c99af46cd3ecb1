import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { StorageArgs } from "./data-statefulset";
import { componentLabels } from "./labels";
import { restrictedContainerSecurity, restrictedPodSecurity } from "./pod-security";
import { POSTGRES_UID, PostgresConnection } from "./postgres";

/** Backup settings of a Clickvote instance (settings/component-args.ts maps the stack's). */
export interface BackupSettings {
  /** Five-field cron schedule, e.g. "17 3 * * *" (the controller's time zone, usually UTC). */
  schedule: string;
  /** How many dumps the volume keeps; older ones are deleted after each run. */
  keep: number;
  storage: StorageArgs;
}

export interface PostgresBackupArgs extends BackupSettings {
  namespace: pulumi.Input<string>;
  instance: string;
  /** The database to dump; its image's pg_dump matches the server's major version. */
  postgres: PostgresConnection;
  /** Pulumi protect on the backup volume (prod). */
  protect: boolean;
  /** Provider for the retained volume, one that can adopt it after a destroy (upsert). */
  volumeProvider?: k8s.Provider;
}

export const BACKUP_DIR = "/backups";

/**
 * The dump the CronJob runs, also run by the restore test against a real server. libpq reads
 * PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE from the environment; BACKUP_DIR and BACKUP_KEEP
 * say where dumps go and how many stay. A dump is written under a temporary name and renamed
 * only when complete, so a failed run never leaves a truncated file that looks valid.
 */
export const BACKUP_SCRIPT = [
  "set -eu",
  'dir="${BACKUP_DIR:-/backups}"',
  'keep="${BACKUP_KEEP:-7}"',
  'stamp="$(date -u +%Y%m%dT%H%M%SZ)"',
  'partial="$dir/.clickvote-$stamp.dump.partial"',
  // Leftovers of an earlier run that failed half-way only take space.
  'rm -f "$dir"/.clickvote-*.dump.partial',
  'pg_dump --format=custom --no-owner --no-privileges --file="$partial"',
  'mv "$partial" "$dir/clickvote-$stamp.dump"',
  // Names sort by time: drop all but the newest $keep.
  'ls -1 "$dir" | grep -E "^clickvote-[0-9]{8}T[0-9]{6}Z\\.dump$" | sort -r | tail -n +"$((keep + 1))" | while read -r old; do rm -f "$dir/$old"; done',
  'echo "backup written: clickvote-$stamp.dump"',
].join("\n");

/** Restores one dump into the database libpq's environment points at (docs/guardrails.md, "Restore"). */
export const RESTORE_COMMAND = 'pg_restore --clean --if-exists --no-owner --no-privileges --exit-on-error --dbname="$PGDATABASE" "$DUMP"';

/**
 * Nightly pg_dump into a dedicated volume that is retained on destroy (and protected in prod),
 * keeping the newest N dumps.
 */
export class PostgresBackup extends pulumi.ComponentResource {
  public readonly claimName: pulumi.Output<string>;
  public readonly cronJobName: pulumi.Output<string>;

  constructor(name: string, args: PostgresBackupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("clickvote:index:PostgresBackup", name, {}, opts);
    const labels = componentLabels("backup", args.instance);

    const claim = new k8s.core.v1.PersistentVolumeClaim(
      `${name}-volume`,
      {
        metadata: {
          name: `${args.instance}-backups`,
          namespace: args.namespace,
          labels,
          // Binds when the first backup pod is scheduled (WaitForFirstConsumer classes); don't block the update on it.
          annotations: { "pulumi.com/skipAwait": "true" },
        },
        spec: {
          accessModes: ["ReadWriteOnce"],
          ...(args.storage.className ? { storageClassName: args.storage.className } : {}),
          resources: { requests: { storage: args.storage.size } },
        },
      },
      { parent: this, provider: args.volumeProvider, retainOnDelete: true, protect: args.protect },
    );
    this.claimName = claim.metadata.name;

    const script = new k8s.core.v1.ConfigMap(
      `${name}-script`,
      { metadata: { namespace: args.namespace, labels }, data: { "backup.sh": BACKUP_SCRIPT } },
      { parent: this },
    );

    const cronJob = new k8s.batch.v1.CronJob(
      `${name}-cronjob`,
      {
        metadata: { name: `${args.instance}-postgres-backup`, namespace: args.namespace, labels },
        spec: {
          schedule: args.schedule,
          concurrencyPolicy: "Forbid",
          // A run missed while the controller was down starts late (within 6h) rather than never;
          // without a deadline, >100 missed schedules stop the CronJob for good.
          startingDeadlineSeconds: 21600,
          successfulJobsHistoryLimit: 3,
          failedJobsHistoryLimit: 3,
          jobTemplate: {
            spec: {
              backoffLimit: 1,
              activeDeadlineSeconds: 3600,
              template: {
                metadata: { labels },
                spec: {
                  restartPolicy: "Never",
                  automountServiceAccountToken: false,
                  securityContext: restrictedPodSecurity(POSTGRES_UID, POSTGRES_UID),
                  containers: [
                    {
                      name: "pg-dump",
                      image: args.postgres.image,
                      command: ["sh", "/scripts/backup.sh"],
                      env: [
                        { name: "PGHOST", value: args.postgres.host },
                        { name: "PGPORT", value: String(args.postgres.port) },
                        { name: "PGUSER", value: args.postgres.user },
                        { name: "PGDATABASE", value: args.postgres.database },
                        { name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: args.postgres.secretName, key: "POSTGRES_PASSWORD" } } },
                        { name: "BACKUP_DIR", value: BACKUP_DIR },
                        { name: "BACKUP_KEEP", value: String(args.keep) },
                      ],
                      securityContext: restrictedContainerSecurity(),
                      resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
                      volumeMounts: [
                        { name: "backups", mountPath: BACKUP_DIR },
                        { name: "script", mountPath: "/scripts", readOnly: true },
                        { name: "tmp", mountPath: "/tmp" },
                      ],
                    },
                  ],
                  volumes: [
                    { name: "backups", persistentVolumeClaim: { claimName: claim.metadata.name } },
                    { name: "script", configMap: { name: script.metadata.name } },
                    { name: "tmp", emptyDir: {} },
                  ],
                },
              },
            },
          },
        },
      },
      { parent: this },
    );
    this.cronJobName = cronJob.metadata.name;
    this.registerOutputs({ claimName: this.claimName, cronJobName: this.cronJobName });
  }
}
