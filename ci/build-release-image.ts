// Builds and pushes the release image through the Pulumi program, without touching a cluster:
//   npx tsx ci/build-release-image.ts <version>        (X.Y.Z, already checked by check-release-tag.ts)
//
// A throw-away stack `release-build` in a local state directory of this runner gets prod's
// plain settings (ci/derive-stack-config.ts) in build mode, and `pulumi up --target` creates
// only the image resources: the program builds app/ for prod's buildPlatforms (multi-arch),
// with GHCR's registry cache (<repo>:buildcache), and pushes <repo>:<version>. The prod stack
// is not involved: the release workflow deploys the digest printed here after Trivy has
// scanned it. Needs GITHUB_TOKEN (packages: write) and a buildx builder; the docker CLI must
// be logged in to GHCR to read the digest back.
// Step outputs: image (<repo>), digest (sha256:...), ref (<repo>@<digest>).
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stackFile } from "../settings/stack-file";
import { parseCommand } from "../tools/cli";
import { writeDerivedStack } from "./derive-stack-config";
import { REPO_ROOT, die, gitRevision, imageRepository, log, output, registryDigest, requireEnv, run, runMain } from "./lib";
import { RELEASE_VERSION } from "./release-tags";

const USAGE = "usage: ci/build-release-image.ts <X.Y.Z>";
const STACK = "release-build";

runMain(() => {
  const { positionals } = parseCommand({ args: process.argv.slice(2), options: {}, allowPositionals: true }, USAGE);
  const [version = ""] = positionals;
  if (positionals.length !== 1 || !RELEASE_VERSION.test(version)) die(USAGE);
  requireEnv("GITHUB_TOKEN");
  const repository = imageRepository();

  const stateDir = path.join(process.env.RUNNER_TEMP || os.tmpdir(), "clickvote-release-build-state");
  fs.mkdirSync(stateDir, { recursive: true });
  // Only this runner ever sees this state and nothing in it outlives the job, so it gets a
  // passphrase of its own instead of the real one.
  process.env.PULUMI_BACKEND_URL = `file://${stateDir}?metadata=skip`; // as in Pulumi.yaml
  process.env.PULUMI_CONFIG_PASSPHRASE = randomBytes(24).toString("hex");

  const file = stackFile(STACK, REPO_ROOT);
  fs.rmSync(file, { force: true });
  run("pulumi", ["stack", "init", STACK, "--secrets-provider", "passphrase", "--non-interactive"]);
  writeDerivedStack({
    from: "prod",
    to: STACK,
    overrides: [
      ["clickvote:imageMode", "build"],
      ["clickvote:version", version],
      ["clickvote:imageRepository", repository],
      ["clickvote:gitRevision", gitRevision()],
    ],
  });
  // The image resource and the two components above it; nothing else is created.
  run("pulumi", [
    "up",
    "--stack",
    STACK,
    "--yes",
    "--diff",
    "--non-interactive",
    "--target",
    "**clickvote:index:Clickvote::*",
    "--target",
    "**clickvote:index:Image::*",
    "--target",
    "**$docker-build:index:Image::*",
  ]);

  const digest = registryDigest(`${repository}:${version}`) ?? die(`could not read the digest of ${repository}:${version}`);
  log(`pushed ${repository}:${version} as ${digest}`);
  output("image", repository);
  output("digest", digest);
  output("ref", `${repository}@${digest}`);
  fs.rmSync(file, { force: true });
});
