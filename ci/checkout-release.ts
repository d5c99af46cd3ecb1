// Checks out the latest release tag (highest vX.Y.Z), the code prod runs, for the drift check:
//   npx tsx ci/checkout-release.ts          (needs a checkout with tags: fetch-depth 0)
// With no release tag yet it stays on the current commit. Step output: ref.
import { gitRevision, log, output, run, runMain } from "./lib";
import { gitTags, latestRelease } from "./release-tags";

runMain(() => {
  const latest = latestRelease(gitTags());
  if (!latest) {
    log("no release tag yet; checking the current commit");
    output("ref", gitRevision());
    return;
  }
  run("git", ["checkout", "--quiet", "--detach", `refs/tags/${latest}`]);
  log(`checked out ${latest}`);
  output("ref", latest);
});
