// Checks a release tag before anything is built:
//   npx tsx ci/check-release-tag.ts <tag>      e.g. v1.4.2
//
// The tag must be vMAJOR.MINOR.PATCH (no pre-release or build suffix: prod only runs release
// versions) and must match clickvote:version in Pulumi.prod.yaml, the version the program
// tags and deploys. Step outputs: version (X.Y.Z) and minor (X.Y).
import * as fs from "node:fs";
import * as path from "node:path";
import { stackFile, stackSetting } from "../settings/stack-file";
import { parseCommand } from "../tools/cli";
import { REPO_ROOT, die, log, output, runMain } from "./lib";
import { RELEASE_VERSION } from "./release-tags";

export type TagCheck = { ok: true; version: string; minor: string } | { ok: false; reason: string };

/** The tag against the clickvote:version the prod stack file sets (file names the file in messages). */
export function checkReleaseTag(tag: string, configured: string | undefined, file = "Pulumi.prod.yaml"): TagCheck {
  const version = tag.startsWith("v") ? tag.slice(1) : "";
  if (!RELEASE_VERSION.test(version)) return { ok: false, reason: `release tag '${tag}' is not vMAJOR.MINOR.PATCH (e.g. v1.4.2)` };
  if (!configured) return { ok: false, reason: `clickvote:version is not set in ${file}` };
  if (configured !== version) {
    return {
      ok: false,
      reason: `release tag ${tag} does not match clickvote:version ${configured} in ${file}; bump the version there (or tag v${configured})`,
    };
  }
  const [major, minor] = version.split(".");
  return { ok: true, version, minor: `${major}.${minor}` };
}

if (require.main === module) {
  runMain(() => {
    const usage = "usage: ci/check-release-tag.ts <tag>";
    const { positionals } = parseCommand({ args: process.argv.slice(2), options: {}, allowPositionals: true }, usage);
    if (positionals.length !== 1) die(usage);
    const [tag] = positionals;
    const file = stackFile("prod", REPO_ROOT);
    if (!fs.existsSync(file)) die(`${file} not found`);
    const result = checkReleaseTag(tag, stackSetting(file, "clickvote:version"), path.basename(file));
    if (!result.ok) die(result.reason);
    log(`release ${tag} matches clickvote:version in ${path.basename(file)}`);
    output("version", result.version);
    output("minor", result.minor);
  });
}
