// Gets an existing stack ready for a `pulumi preview` run by pulumi/actions in a later step:
//   npx tsx ci/prepare-stack.ts <stack> [--pin-deployed-image]
//
// - writes the cluster credentials from KUBECONFIG_DATA (a secret) to a private kubeconfig;
// - selects the stack in the self-managed backend (PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE);
// - applies the settings CI derives from the repository (GHCR repository, git revision);
// - --pin-deployed-image (or PIN_DEPLOYED_IMAGE=true): previews against the image digest the
//   stack runs now (prod is deployed from a scanned digest by the release workflow, so this
//   keeps previews and the drift check about infrastructure, not about an image rebuild);
// - step output `policy-packs`: "policy" when the repository has a policy pack, else empty;
//   `policy-pack-configs`: the pack's config for this stack (tools/policy-config.ts), as
//   deploy:dev, deploy:atomic and rollback derive it, so previews judge what deploys will.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseCommand } from "../tools/cli";
import { policyConfigFor } from "../tools/policy-config";
import { applyCiSettings, deployedDigest, die, log, output, pinDigest, policyPackDir, REPO_ROOT, runMain, selectStack, writeKubeconfig } from "./lib";

const USAGE = "usage: ci/prepare-stack.ts <stack> [--pin-deployed-image]";

runMain(() => {
  const { values, positionals } = parseCommand(
    { args: process.argv.slice(2), options: { "pin-deployed-image": { type: "boolean", default: false } }, allowPositionals: true },
    USAGE,
  );
  if (positionals.length !== 1) die(USAGE);
  const [stack] = positionals;
  const pin = values["pin-deployed-image"] || process.env.PIN_DEPLOYED_IMAGE === "true";
  writeKubeconfig(stack);
  selectStack(stack);
  applyCiSettings(stack);
  if (pin) {
    const digest = deployedDigest(stack);
    if (digest) {
      log(`previewing ${stack} against its deployed image ${digest}`);
      pinDigest(stack, digest);
    } else {
      log(`${stack} has no deployed image yet; previewing its configured image mode`);
    }
  }
  const pack = policyPackDir();
  output("policy-packs", pack);
  let configFile = "";
  if (pack) {
    configFile = path.join(fs.mkdtempSync(path.join(process.env.RUNNER_TEMP ?? os.tmpdir(), "clickvote-policy-")), `${stack}.json`);
    fs.writeFileSync(configFile, JSON.stringify(policyConfigFor(stack, {}, REPO_ROOT), null, 2));
  }
  output("policy-pack-configs", configFile);
});
