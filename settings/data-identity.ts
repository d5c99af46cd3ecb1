// Settings the data on the volumes is bound to. A change of one of them would reach the Secrets
// and the StatefulSets, but never the data already written (the role and database in PGDATA,
// its major version, the size of a claim a StatefulSet made), so the program refuses it up front
// instead. The values a stack was last updated with are its `dataIdentity` output, read back
// through a StackReference to the stack itself (pulumi/pulumi#3722 shows the pattern).
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, SettingValues, ValueKey } from "./settings";
import { ConfigValidationError } from "./validate";

/** What the data was created with; recorded as the stack output `dataIdentity`. */
export interface DataIdentity {
  postgresUser: string;
  postgresDatabase: string;
  /** Major version from the PostgreSQL image tag ("17" for postgres:17.6-alpine@…); absent without a tag. */
  postgresMajorVersion?: string;
  postgresStorageSize: string;
  redisStorageSize: string;
  /** StorageClass of each data claim ("" = the cluster default). */
  postgresStorageClass: string;
  redisStorageClass: string;
}

/** The stack output the identity is recorded as. */
export const DATA_IDENTITY_OUTPUT = "dataIdentity";

/** The major version in an image reference's tag: "…/postgres:17.6-alpine@sha256:…" → "17". */
export function majorVersionOf(image: string): string | undefined {
  const withoutDigest = image.split("@")[0];
  const tag = /:([^/:]+)$/.exec(withoutDigest)?.[1];
  return tag ? /^(\d+)(?:[.-]|$)/.exec(tag)?.[1] : undefined;
}

export function dataIdentityOf(v: SettingValues): DataIdentity {
  const major = majorVersionOf(v.postgresImage);
  return {
    postgresUser: v.postgresUser,
    postgresDatabase: v.postgresDatabase,
    ...(major ? { postgresMajorVersion: major } : {}),
    postgresStorageSize: v.postgresStorageSize,
    redisStorageSize: v.redisStorageSize,
    postgresStorageClass: v.postgresStorageClass,
    redisStorageClass: v.redisStorageClass,
  };
}

const CLAIMS: Partial<Record<ValueKey, string>> = {
  postgresStorageSize: "data-clickvote-postgres-0",
  redisStorageSize: "data-clickvote-redis-0",
  postgresStorageClass: "data-clickvote-postgres-0",
  redisStorageClass: "data-clickvote-redis-0",
};

/**
 * Why the new settings cannot be applied to data created with `previous`, one message per key
 * ("clickvote:<key>: …"); empty when they can. A previous identity that is missing or partial
 * (a stack never updated, or updated before this check existed) only checks what it has.
 */
export function dataIdentityProblems(previous: unknown, next: DataIdentity): string[] {
  if (previous === null || typeof previous !== "object") return [];
  const before = previous as Partial<Record<keyof DataIdentity, unknown>>;
  const problems: string[] = [];
  const changed = (key: keyof DataIdentity) => typeof before[key] === "string" && next[key] !== undefined && before[key] !== next[key];
  const say = (key: ValueKey, text: string) => problems.push(`${CONFIG_NAMESPACE}:${key}: ${text}`);
  if (changed("postgresUser")) {
    say(
      "postgresUser",
      `changed from ${JSON.stringify(before.postgresUser)} to ${JSON.stringify(next.postgresUser)}, but the data directory keeps its role: PostgreSQL cannot rename the role a server was initialised with while it is in use. Set it back to ${JSON.stringify(before.postgresUser)}.`,
    );
  }
  if (changed("postgresDatabase")) {
    say(
      "postgresDatabase",
      `changed from ${JSON.stringify(before.postgresDatabase)} to ${JSON.stringify(next.postgresDatabase)}: the app would connect to a new, empty database while the votes stay in the old one. Set it back to ${JSON.stringify(before.postgresDatabase)}.`,
    );
  }
  if (changed("postgresMajorVersion")) {
    say(
      "postgresImage",
      `moves PostgreSQL from major version ${String(before.postgresMajorVersion)} to ${String(next.postgresMajorVersion)}: a data directory needs pg_upgrade (or a dump and restore) for that, which this program does not run. Use a ${String(before.postgresMajorVersion)}.x image.`,
    );
  }
  for (const key of ["postgresStorageSize", "redisStorageSize"] as const) {
    if (changed(key)) {
      say(
        key,
        `changed from ${String(before[key])} to ${next[key]}, but a StatefulSet cannot resize the claim it made (${CLAIMS[key]}): the update would replace the StatefulSet and leave the volume at ${String(before[key])}. Set it back to ${String(before[key])}; to grow the volume, expand ${CLAIMS[key]} with kubectl where its StorageClass allows volume expansion (docs/data-safety.md).`,
      );
    }
  }
  for (const key of ["postgresStorageClass", "redisStorageClass"] as const) {
    if (changed(key)) {
      say(
        key,
        `changed from ${JSON.stringify(before[key])} to ${JSON.stringify(next[key])}, but the claim ${CLAIMS[key]} keeps the class it was provisioned with: the update would replace the StatefulSet and leave the data where it is. Set it back to ${JSON.stringify(before[key])}.`,
      );
    }
  }
  return problems;
}

/**
 * Reads the identity the stack's last update recorded and resolves once the new one may be
 * applied; rejects with a ConfigValidationError naming each key otherwise. Every cluster object
 * waits on it (Clickvote's `gate`), so a refused change changes nothing, in preview as in update.
 */
export function dataIdentityGate(identity: DataIdentity): pulumi.Output<boolean> {
  const self = new pulumi.StackReference("clickvote-previous-update", {
    name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`,
  });
  return self.getOutput(DATA_IDENTITY_OUTPUT).apply((previous) => {
    const problems = dataIdentityProblems(previous, identity);
    if (problems.length > 0) throw new ConfigValidationError(problems);
    return true;
  });
}
