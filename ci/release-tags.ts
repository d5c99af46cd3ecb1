// Which moving tags a release may take, one a line:
//   npx tsx ci/release-tags.ts <X.Y.Z>
//
// X.Y when no later X.Y.* release is tagged, and latest when no later release at all is, so a
// patch to an older line never moves `latest` (or its line's tag) backwards. Reads the
// project's vX.Y.Z tags (a checkout with fetch-depth 0). Also the version order the release
// commands share: ci/check-release-tag.ts, ci/checkout-release.ts, ci/promote-image.ts.
import { parseCommand } from "../tools/cli";
import { capture, die, log, runMain } from "./lib";

/** A release version: X.Y.Z, no leading zeros, no pre-release or build suffix (prod only runs releases). */
export const RELEASE_VERSION = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

const parts = (version: string) => version.split(".").map(Number);

export function compareVersions(a: string, b: string): number {
  const [x, y] = [parts(a), parts(b)];
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
}

/** The release versions (X.Y.Z) among git tags (vX.Y.Z), oldest first, without duplicates. */
export function releaseVersions(tags: string[]): string[] {
  const versions = tags.filter((t) => t.startsWith("v") && RELEASE_VERSION.test(t.slice(1))).map((t) => t.slice(1));
  return [...new Set(versions)].sort(compareVersions);
}

/** The highest release tag (vX.Y.Z), or undefined when there is none. */
export function latestRelease(tags: string[]): string | undefined {
  const versions = releaseVersions(tags);
  return versions.length > 0 ? `v${versions[versions.length - 1]}` : undefined;
}

/** The moving tags `version` may take given the release tags, and why any is held back. */
export function movingTags(version: string, tags: string[]): { tags: string[]; held: string[] } {
  const releases = releaseVersions([...tags, `v${version}`]);
  const [major, minor] = parts(version);
  const line = `${major}.${minor}`;
  const highest = releases[releases.length - 1];
  const inLine = releases.filter((v) => v.startsWith(`${line}.`));
  const highestInLine = inLine[inLine.length - 1];
  const out = { tags: [] as string[], held: [] as string[] };
  if (highestInLine === version) out.tags.push(line);
  else out.held.push(`not moving ${line}: ${highestInLine} is later`);
  if (highest === version) out.tags.push("latest");
  else out.held.push(`not moving latest: ${highest} is later`);
  return out;
}

/** The project's git tags (vX.Y.Z and anything else). */
export function gitTags(): string[] {
  const listed = capture("git", ["tag", "--list", "v*"]);
  if (listed === undefined) die("git tag --list failed");
  return listed.split("\n").filter(Boolean);
}

if (require.main === module) {
  runMain(() => {
    const usage = "usage: ci/release-tags.ts <X.Y.Z>";
    const { positionals } = parseCommand({ args: process.argv.slice(2), options: {}, allowPositionals: true }, usage);
    const [version] = positionals;
    if (positionals.length !== 1 || !RELEASE_VERSION.test(version)) die(usage);
    const { tags, held } = movingTags(version, gitTags());
    for (const note of held) log(note);
    for (const tag of tags) process.stdout.write(`${tag}\n`);
  });
}
