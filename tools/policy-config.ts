// Writes the policy pack's config (policy/policies.ts) for one stack from that stack's settings,
// so the pack and the program agree on what the stack asks for:
//   - service-type-allowed.allowedServiceTypes: ClusterIP plus clickvote:serviceType
//   - data-volumes-retained.requireProtect: true when clickvote:environment is prod
// Usage: npm run policy:config -- <stack> [outFile]
//        pulumi preview --stack prod --policy-pack policy --policy-pack-config <outFile>
import * as fs from "node:fs";
import { SettingKey } from "../settings/settings";
import { stackConfig } from "../settings/stack-file";
import { parseSettings } from "../settings/validate";
import { fail, parseCommand } from "./cli";

export type PolicyPackConfig = Record<string, Record<string, unknown>>;

/** Policy pack config for a stack; overrides are extra settings without the namespace ("serviceType"). */
export function policyConfigFor(stack: string, overrides: Record<string, string> = {}): PolicyPackConfig {
  const settings = stackConfig(stack);
  for (const [key, value] of Object.entries(overrides)) settings[`clickvote:${key}`] = value;
  const config = parseSettings({ get: (key: SettingKey) => settings[`clickvote:${key}`], allKeys: () => Object.keys(settings) });
  return {
    "service-type-allowed": { allowedServiceTypes: [...new Set(["ClusterIP", config.serviceType])] },
    "data-volumes-retained": { requireProtect: config.environment === "prod" },
  };
}

if (require.main === module) {
  const usage = "usage: policy-config.ts <stack> [outFile]";
  const { positionals } = parseCommand({ args: process.argv.slice(2), options: {}, allowPositionals: true }, usage);
  const [stack, outFile, extra] = positionals;
  if (!stack || extra !== undefined) fail(usage);
  const json = JSON.stringify(policyConfigFor(stack), null, 2) + "\n";
  if (outFile) fs.writeFileSync(outFile, json);
  else process.stdout.write(json);
}
