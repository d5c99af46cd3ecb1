// Updates a stack from CI:
//   npx tsx ci/deploy.ts <stack> [--image-digest sha256:<64 hex>]
//
// Writes the cluster credentials from KUBECONFIG_DATA, selects the stack in the self-managed
// backend, applies the settings CI derives from the repository and, with --image-digest, pins
// the stack to exactly that (already pushed and scanned) image instead of building one.
// Then it runs the atomic deploy (`npm run deploy:atomic`, which rolls back to the last good
// release when the update fails) when package.json has it, else a plain `pulumi up`, with the
// repository's policy pack when there is one.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseCommand } from "../tools/cli";
import { REPO_ROOT, applyCiSettings, die, log, npmRun, pinDigest, policyPackDir, run, runMain, selectStack, writeKubeconfig } from "./lib";

const USAGE = "usage: ci/deploy.ts <stack> [--image-digest sha256:...]";

function hasScript(name: string): boolean {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { scripts?: Record<string, string> };
  return Boolean(pkg.scripts?.[name]);
}

/** Selects, configures and updates the stack (atomic deploy when the project has it). */
export function deploy(stack: string, digest?: string): void {
  writeKubeconfig(stack);
  selectStack(stack);
  applyCiSettings(stack);
  if (digest !== undefined) pinDigest(stack, digest);
  const policy = policyPackDir();
  const policyArgs = policy ? ["--policy-pack", policy] : [];
  if (hasScript("deploy:atomic")) {
    log(`deploying ${stack} with npm run deploy:atomic`);
    npmRun("deploy:atomic", ["--stack", stack, ...policyArgs]);
  } else {
    log(`package.json has no deploy:atomic script; deploying ${stack} with pulumi up`);
    run("pulumi", ["up", "--stack", stack, "--yes", "--diff", "--non-interactive", ...policyArgs]);
  }
}

if (require.main === module) {
  runMain(() => {
    const { values, positionals } = parseCommand(
      { args: process.argv.slice(2), options: { "image-digest": { type: "string" } }, allowPositionals: true },
      USAGE,
    );
    if (positionals.length !== 1) die(USAGE);
    deploy(positionals[0], values["image-digest"]);
  });
}
