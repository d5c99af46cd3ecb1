// Review environment of a pull request: stack pr-<N> in the self-managed backend, deployed to
// the kind cluster the job created on its runner (the current kubeconfig context).
//   npx tsx ci/review-env.ts up <N>       (re)create pr-<N> from dev's settings and deploy it
//   npx tsx ci/review-env.ts smoke <N>    readiness, then a vote round trip through the Service
//   npx tsx ci/review-env.ts destroy <N>  destroy pr-<N>'s resources (end of every run)
//   npx tsx ci/review-env.ts remove <N>   remove the stack pr-<N> (PR closed or label removed)
//
// The cluster lives only as long as the job, so every run starts from a fresh stack and ends
// with `destroy`; between runs pr-<N> is an empty stack that keeps the last run's history until
// `remove`. The image is built by the program (build mode, linux/amd64 only) and pushed to
// GHCR as <repo>:0.0.0-pr.<N> with the job's GITHUB_TOKEN, which the cluster also pulls with.
// Needs PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE, GITHUB_TOKEN and GITHUB_ACTOR.
import * as fs from "node:fs";
import { stackFile } from "../settings/stack-file";
import { parseCommand } from "../tools/cli";
import { deploy } from "./deploy";
import { writeDerivedStack } from "./derive-stack-config";
import { REPO_ROOT, capture, die, imageRepository, log, requireEnv, run, runMain, setSecretConfig } from "./lib";
import { smokeTest } from "./smoke-test";

const USAGE = "usage: ci/review-env.ts up|smoke|destroy|remove <pull request number>";

runMain(async () => {
  const { positionals } = parseCommand({ args: process.argv.slice(2), options: {}, allowPositionals: true }, USAGE);
  const [action, number = "", extra] = positionals;
  if (!/^[1-9][0-9]*$/.test(number) || extra !== undefined) die(USAGE);
  const stack = `pr-${number}`;
  requireEnv("PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE");
  const exists = () => capture("pulumi", ["stack", "select", stack, "--non-interactive"]) !== undefined;
  // --force: whatever a run left in the state lived in that run's kind cluster, which ended with its job.
  const removeStack = () => run("pulumi", ["stack", "rm", stack, "--yes", "--force", "--non-interactive"]);

  switch (action) {
    case "up": {
      requireEnv("GITHUB_TOKEN", "GITHUB_ACTOR");
      if (exists()) {
        log(`removing the previous ${stack}`);
        removeStack();
      }
      fs.rmSync(stackFile(stack, REPO_ROOT), { force: true });
      run("pulumi", ["stack", "init", stack, "--secrets-provider", "passphrase", "--non-interactive"]);
      const context = capture("kubectl", ["config", "current-context"]) ?? die("kubectl config current-context failed");
      writeDerivedStack({
        from: "dev",
        to: stack,
        overrides: [
          ["clickvote:imageMode", "build"],
          ["clickvote:version", `0.0.0-pr.${number}`],
          ["clickvote:buildPlatforms", ["linux/amd64"]],
          ["clickvote:imageRepository", imageRepository()],
          ["clickvote:imagePullUsername", String(process.env.GITHUB_ACTOR)],
          ["kubernetes:context", context],
        ],
      });
      setSecretConfig(stack, "clickvote:imagePullToken", "GITHUB_TOKEN");
      deploy(stack);
      return;
    }
    case "smoke": {
      const outputOf = (name: string) => capture("pulumi", ["stack", "output", name, "--stack", stack]) ?? die(`pulumi stack output ${name} failed`);
      await smokeTest({ namespace: outputOf("namespace"), service: outputOf("serviceName") });
      return;
    }
    case "destroy":
      if (exists()) run("pulumi", ["destroy", "--stack", stack, "--yes", "--skip-preview", "--non-interactive"]);
      else log(`${stack} does not exist; nothing to destroy`);
      return;
    case "remove":
      if (exists()) {
        removeStack();
        log(`removed ${stack}`);
      } else {
        log(`${stack} does not exist; nothing to remove`);
      }
      return;
    default:
      die(USAGE);
  }
});
