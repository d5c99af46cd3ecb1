// Writes the Kubernetes objects of the bench's stack (dev with e2e/lib.ts's settings and the
// given namespace) as one YAML file, for the kubectl peer figures of e2e/bench/run.ts: the same
// objects `pulumi up` creates, rendered under mocks as tools/render-manifests.ts does (secrets
// become a placeholder, objects without a name get the mocks' deterministic one).
//   tsx e2e/bench/render.ts <namespace> <out.yaml>
import * as fs from "node:fs";
import { stringify as toYaml } from "yaml";
import { autoName, redactSecrets, runProgram } from "../../tools/mock-program";
import { apiVersionKind } from "../../tools/render-manifests";
import { e2eSettings } from "../lib";

async function main(): Promise<void> {
  const [namespace, out] = process.argv.slice(2);
  if (!namespace || !out) throw new Error("usage: render.ts <namespace> <out.yaml>");
  const run = await runProgram({ stack: "dev", overrides: e2eSettings({ namespace }), quietMs: 250 });
  const docs: string[] = [];
  for (const r of run.resources) {
    const gvk = r.custom ? apiVersionKind(r.type) : undefined;
    if (!gvk) continue;
    const props = redactSecrets(r.rawProps) as Record<string, unknown>;
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
