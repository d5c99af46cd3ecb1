// Which release a stack runs and which one to roll back to, read from the stack's own update
// history (each update records the config it ran with). Pure functions: the commands in this
// folder feed them `pulumi stack history` and apply what they return.

import { SETTINGS } from "../settings/settings";
import type { ImageMode } from "../components/image";

/** The part of an update history entry this module reads (Automation API UpdateSummary). */
export interface HistoryEntry {
  kind: string;
  result: string;
  version: number;
  startTime: Date | string;
  config: Record<string, { value?: string; secret?: boolean }>;
}

export interface Release {
  mode: ImageMode;
  /** clickvote:imageRepository at that update (the project default when the stack did not set it). */
  repository?: string;
  /** clickvote:version at that update. */
  version: string;
  /** The tag that identifies the image (build: version; tag: imageTag or version). */
  tag?: string;
  /** digest mode only: sha256:… */
  digest?: string;
  /** Stack update number it came from, when it came from history. */
  update?: number;
  startTime?: string;
}

const DEFAULT_VERSION = String(SETTINGS.version.default);
/** clickvote:imageRepository's default (Pulumi.yaml), the repository of a stack that does not set one. */
export const DEFAULT_REPOSITORY = String(SETTINGS.imageRepository.default);
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

function setting(entry: HistoryEntry, key: string): string | undefined {
  const value = entry.config[`clickvote:${key}`];
  return value && !value.secret ? value.value : undefined;
}

export function releaseOf(entry: HistoryEntry): Release {
  const rawMode = setting(entry, "imageMode") ?? "build";
  const mode: ImageMode = rawMode === "tag" || rawMode === "digest" ? rawMode : "build";
  const version = setting(entry, "version") ?? DEFAULT_VERSION;
  const repository = setting(entry, "imageRepository") || DEFAULT_REPOSITORY;
  const release: Release = { mode, repository, version, update: entry.version, startTime: new Date(entry.startTime).toISOString() };
  if (mode === "digest") release.digest = setting(entry, "imageDigest");
  else release.tag = mode === "tag" ? setting(entry, "imageTag") || version : version;
  return release;
}

/** The repository, when it is not the default one (it is then part of the release's identity). */
function otherRepository(r: Release): string | undefined {
  return r.repository && r.repository !== DEFAULT_REPOSITORY ? r.repository : undefined;
}

/** Two releases are the same when they deploy the same image reference (repository included). */
export function releaseKey(r: Release): string {
  const repo = otherRepository(r);
  const image = r.digest ? `digest:${r.digest}` : `tag:${r.tag ?? r.version}`;
  return repo ? `${image}@${repo}` : image;
}

export function describeRelease(r: Release): string {
  const repo = otherRepository(r);
  const image = `${repo ? `${repo} ` : ""}${r.digest ? r.digest.slice(0, 19) : `tag ${r.tag ?? r.version}`}`;
  const when = [r.update ? `update #${r.update}` : undefined, r.startTime].filter(Boolean).join(", ");
  const from = when ? ` (${when})` : "";
  return `version ${r.version}, ${image}${from}`;
}

export type RollbackPlan = { ok: true; current?: Release; target: Release } | { ok: false; reason: string };

/**
 * Newest first, deployments only (previews, refreshes and destroys are not releases). The file
 * backend numbers no updates (version 0 throughout), so the start time decides, then the order
 * `pulumi stack history` gave (newest first; the sort is stable).
 */
export function updates(history: HistoryEntry[]): HistoryEntry[] {
  const time = (h: HistoryEntry) => new Date(h.startTime).getTime() || 0;
  return history.filter((h) => h.kind === "update").sort((a, b) => (b.version || 0) - (a.version || 0) || time(b) - time(a));
}

/**
 * The release to roll back to: with `requested` (a version or a sha256 digest), that one;
 * otherwise the newest successful update whose image differs from the newest update's
 * (which may have failed, or succeeded with a bad release).
 */
export function planRollback(history: HistoryEntry[], requested?: string): RollbackPlan {
  const all = updates(history);
  const current = all[0] ? releaseOf(all[0]) : undefined;
  if (requested !== undefined) {
    if (DIGEST.test(requested)) {
      // A digest deployed before comes back from the repository it was deployed from.
      const known = all.find((h) => h.result === "succeeded" && releaseOf(h).digest === requested);
      const target: Release = known
        ? releaseOf(known)
        : { mode: "digest", repository: current?.repository, version: current?.version ?? DEFAULT_VERSION, digest: requested };
      return { ok: true, current, target };
    }
    if (SEMVER.test(requested)) {
      const known = all.find((h) => h.result === "succeeded" && releaseOf(h).version === requested);
      const target: Release = known ? releaseOf(known) : { mode: "tag", repository: current?.repository, version: requested, tag: requested };
      return { ok: true, current, target };
    }
    return { ok: false, reason: `--to must be a release version such as 1.4.2 or a digest sha256:<64 hex>, got "${requested}"` };
  }
  if (!current) return { ok: false, reason: "the stack has no deployments in its history: nothing to roll back to" };
  const target = all.find((h) => h.result === "succeeded" && releaseKey(releaseOf(h)) !== releaseKey(current));
  if (!target) {
    return {
      ok: false,
      reason: `no earlier successful release differs from the current one (${describeRelease(current)}): nothing to roll back to`,
    };
  }
  return { ok: true, current, target: releaseOf(target) };
}

/**
 * Stack settings that make `pulumi up` deploy the target release's image. Built images are
 * redeployed by their immutable release tag (resolved to its digest during preview), so a
 * rollback never rebuilds old source; digest releases come back by digest.
 */
export function rollbackSettings(target: Release): Record<string, string> {
  // The repository goes back too (a bad release may have come from another one); unknown means
  // the stack's current repository is left as it is.
  const repository: Record<string, string> = target.repository ? { imageRepository: target.repository } : {};
  if (target.digest) return { imageMode: "digest", ...repository, imageDigest: target.digest, version: target.version };
  return { imageMode: "tag", ...repository, imageTag: target.tag ?? target.version, imageDigest: "", version: target.version };
}
