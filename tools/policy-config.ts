// Writes the policy pack's config (policy/policies.ts) for one stack from that stack's settings,
// so the pack and the program agree on what the stack asks for:
//   - service-type-allowed.allowedServiceTypes: ClusterIP plus clickvote:serviceType
//   - data-volumes-retained.requireProtect: true when clickvote:environment is prod
//   - image-not-denied.deniedImageDigests: policy/denied-images.json (the same for every stack)
// Usage: npm run policy:config -- <stack> [outFile] [--cwd <project dir>]
//        pulumi preview --stack prod --policy-pack policy --policy-pack-config <outFile>
import * as fs from "node:fs";
import * as path from "node:path";
import { SettingKey } from "../settings/settings";
import { PROJECT_DIR, stackConfig } from "../settings/stack-file";
import { parseSettings } from "../settings/validate";
import { fail, parseCommand } from "./cli";

export type PolicyPackConfig = Record<string, Record<string, unknown>>;

/** Where the denied image digests live, relative to the project directory. */
export const DENIED_IMAGES_FILE = path.join("policy", "denied-images.json");

/**
 * The denied image digests of a project: `{ "sha256:<64 hex>": "<why>" }` from
 * policy/denied-images.json; {} when the file is absent. Throws an Error naming the file and
 * the entry on anything else (a digest not in that form, an empty reason, not an object).
 */
export function deniedImageDigests(dir: string = PROJECT_DIR): Record<string, string> {
  const file = path.join(dir, DENIED_IMAGES_FILE);
  if (!fs.existsSync(file)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new Error(`${file}: must be a JSON object mapping "sha256:<64 lower-case hex>" to the reason the image is denied`);
  }
  for (const [digest, reason] of Object.entries(parsed)) {
    if (!/^sha256:[a-f0-9]{64}$/.test(digest)) throw new Error(`${file}: ${JSON.stringify(digest)} is not a digest (allowed: sha256:<64 lower-case hex>)`);
    if (typeof reason !== "string" || reason.trim() === "") throw new Error(`${file}: ${digest} needs a reason (a non-empty string)`);
  }
  return parsed as Record<string, string>;
}

/** Policy pack config for a stack; overrides are extra settings without the namespace ("serviceType"). */
export function policyConfigFor(stack: string, overrides: Record<string, string> = {}, dir: string = PROJECT_DIR): PolicyPackConfig {
  const settings = stackConfig(stack, dir);
  for (const [key, value] of Object.entries(overrides)) settings[`clickvote:${key}`] = value;
  const config = parseSettings({ get: (key: SettingKey) => settings[`clickvote:${key}`], allKeys: () => Object.keys(settings) });
  return {
    "service-type-allowed": { allowedServiceTypes: [...new Set(["ClusterIP", config.serviceType])] },
    "data-volumes-retained": { requireProtect: config.environment === "prod" },
    "image-not-denied": { deniedImageDigests: deniedImageDigests(dir) },
  };
}

if (require.main === module) {
  const usage = "usage: policy-config.ts <stack> [outFile] [--cwd <project dir>]";
  const { values, positionals } = parseCommand({ args: process.argv.slice(2), options: { cwd: { type: "string" } }, allowPositionals: true }, usage);
  const [stack, outFile, extra] = positionals;
  if (!stack || extra !== undefined) fail(usage);
  let json: string;
  try {
    json = JSON.stringify(policyConfigFor(stack, {}, values.cwd ? path.resolve(values.cwd) : PROJECT_DIR), null, 2) + "\n";
  } catch (err) {
    fail(`policy-config: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (outFile) fs.writeFileSync(outFile, json);
  else process.stdout.write(json);
}
