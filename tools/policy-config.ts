// Writes the policy pack's config (policy/policies.ts) for one stack from that stack's settings,
// so the pack and the program agree on what the stack asks for:
//   - service-type-allowed.allowedServiceTypes: ClusterIP plus clickvote:serviceType
//   - data-volumes-retained.requireProtect: true when clickvote:environment is prod
// Usage: npm run policy:config -- <stack> [outFile]
//        pulumi preview --stack prod --policy-pack policy --policy-pack-config <outFile>
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { ConfigKey } from "../components/config-keys";
import { parseConfig } from "../components/config";

const ROOT = path.resolve(__dirname, "..");

export type PolicyPackConfig = Record<string, Record<string, unknown>>;

/** The settings of Pulumi.<stack>.yaml as strings, the way the engine hands them to the program. */
function stackSettings(stack: string, overrides: Record<string, string>): Record<string, string> {
  const file = path.join(ROOT, `Pulumi.${stack}.yaml`);
  const parsed = parseYaml(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed?.config ?? {})) {
    out[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  for (const [key, value] of Object.entries(overrides)) out[`clickvote:${key}`] = value;
  return out;
}

/** Policy pack config for a stack; overrides are extra settings without the namespace ("serviceType"). */
export function policyConfigFor(stack: string, overrides: Record<string, string> = {}): PolicyPackConfig {
  const settings = stackSettings(stack, overrides);
  const config = parseConfig(
    {
      get: (key: ConfigKey) => settings[`clickvote:${key}`],
      hasSecret: () => false,
      allKeys: () => Object.keys(settings),
    },
    stack,
  );
  return {
    "service-type-allowed": { allowedServiceTypes: [...new Set(["ClusterIP", config.serviceType])] },
    "data-volumes-retained": { requireProtect: config.environment === "prod" },
  };
}

if (require.main === module) {
  const [stack, outFile] = process.argv.slice(2);
  if (!stack) {
    console.error("usage: policy-config.ts <stack> [outFile]");
    process.exit(2);
  }
  const json = JSON.stringify(policyConfigFor(stack), null, 2) + "\n";
  if (outFile) fs.writeFileSync(outFile, json);
  else process.stdout.write(json);
}
