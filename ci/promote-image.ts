// Adds the moving tags to a scanned release image, from its digest (no rebuild, no pull):
//   npx tsx ci/promote-image.ts <X.Y.Z> <sha256:digest>
//
// Checks that <repo>:<X.Y.Z> still points at the digest that was scanned, then tags that
// digest X.Y and latest as ci/release-tags.ts allows. The docker CLI must be logged in to
// GHCR with a token that may write packages.
import { parseCommand } from "../tools/cli";
import { die, imageRepository, log, registryDigest, run, runMain } from "./lib";
import { RELEASE_VERSION, gitTags, movingTags } from "./release-tags";

const USAGE = "usage: ci/promote-image.ts <X.Y.Z> <sha256:digest>";

runMain(() => {
  const { positionals } = parseCommand({ args: process.argv.slice(2), options: {}, allowPositionals: true }, USAGE);
  const [version = "", digest = ""] = positionals;
  if (positionals.length !== 2 || !RELEASE_VERSION.test(version) || !/^sha256:[a-f0-9]{64}$/.test(digest)) die(USAGE);
  const repository = imageRepository();

  const current = registryDigest(`${repository}:${version}`);
  if (current !== digest) die(`${repository}:${version} is now ${current ?? "unreadable"}, not the scanned ${digest}; not promoting`);

  const { tags, held } = movingTags(version, gitTags());
  for (const note of held) log(note);
  if (tags.length === 0) {
    log(`no moving tag to update for ${version}`);
    return;
  }
  const tagArgs = tags.flatMap((tag) => ["--tag", `${repository}:${tag}`]);
  run("docker", ["buildx", "imagetools", "create", ...tagArgs, `${repository}@${digest}`]);
  log(`tagged ${repository}@${digest}: ${tags.join(" ")}`);
});
