// Writes the Kubernetes objects of the bench's stack (dev with e2e/lib.ts's settings and the
// given namespace) as one YAML file, for the kubectl peer figures of e2e/bench/run.ts: the same
// objects `pulumi up` creates, rendered under mocks as tools/render-manifests.ts does (secrets
// become a placeholder, objects without a name get the mocks' deterministic one).
//   tsx e2e/bench/render.ts <namespace> <out.yaml> [settings.json]
// settings.json (e2e/bench/realpods.ts): the dev stack's settings to override instead of
// e2e/lib.ts's (keys without the clickvote: prefix); the namespace argument still wins. With it,
// secrets keep the mocks' values (tools/mock-program.ts's deterministic fake passwords) instead of
// the placeholder: the objects run as real pods there, and the app must reach PostgreSQL and Redis.
import * as fs from "node:fs";
import { stringify as toYaml } from "yaml";
import { autoName, redactSecrets, runProgram, unwrapSecrets } from "../../tools/mock-program";
import { apiVersionKind } from "../../tools/render-manifests";
import { e2eSettings } from "../lib";

async function main(): Promise<void> {
  const [namespace, out, settingsFile] = process.argv.slice(2);
  if (!namespace || !out) throw new Error("usage: render.ts <namespace> <out.yaml> [settings.json]");
  const settings = settingsFile ? { ...(JSON.parse(fs.readFileSync(settingsFile, "utf8")) as Record<string, string>), namespace } : e2eSettings({ namespace });
  const run = await runProgram({ stack: "dev", overrides: settings, quietMs: 250 });
  const docs: string[] = [];
  for (const r of run.resources) {
    const gvk = r.custom ? apiVersionKind(r.type) : undefined;
    if (!gvk) continue;
    const props = (settingsFile ? unwrapSecrets(r.rawProps) : redactSecrets(r.rawProps)) as Record<string, unknown>;
    const metadata = { ...((props.metadata as Record<string, unknown>) ?? {}) };
    if (!metadata.name) metadata.name = autoName(r.name);
    const rest = Object.fromEntries(Object.entries(props).filter(([k]) => !["apiVersion", "kind", "metadata"].includes(k)));
    docs.push(toYaml({ apiVersion: props.apiVersion ?? gvk.apiVersion, kind: props.kind ?? gvk.kind, metadata, ...rest }));
  }
  fs.writeFileSync(out, docs.join("---\n"));
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
