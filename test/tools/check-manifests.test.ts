// An external checker over the rendered manifests of both stacks: kube-score (installed by
// tools/install-manifest-checker.sh into a cache outside the repo) must report nothing at
// WARNING or CRITICAL beyond the justified exceptions of tools/kube-score-exceptions.yaml.
// The manifests come from tools/render-manifests.ts, the documented renderer, run as a script.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml, stringify as toYaml } from "yaml";
import { checkStack, formatFinding, loadSettings, runKubeScore, StackReport, unusedExceptions } from "../../tools/check-manifests";
import { SECRET_PLACEHOLDER } from "../../tools/render-manifests";

const ROOT = path.resolve(__dirname, "..", "..");

function installChecker(): { bin?: string; reason?: string } {
  const result = spawnSync("bash", [path.join(ROOT, "tools/install-manifest-checker.sh")], { encoding: "utf8", timeout: 15 * 60_000 });
  const bin = result.stdout.trim().split("\n").pop();
  if (result.status === 0 && bin && fs.existsSync(bin)) return { bin };
  return { reason: `kube-score could not be installed: ${(result.stderr || result.error?.message || "").trim().split("\n").pop()}` };
}

// At collection time, so the suite can be skipped visibly when the checker is unavailable.
const checker = installChecker();
const title = `kube-score over the rendered manifests${checker.reason ? ` (SKIPPED: ${checker.reason})` : ""}`;

describe.skipIf(checker.bin === undefined)(title, () => {
  const settings = loadSettings();
  let out: string;
  const reports: Record<string, StackReport> = {};
  const manifests = (stack: string) => fs.readdirSync(path.join(out, stack)).map((f) => ({ file: f, text: fs.readFileSync(path.join(out, stack, f), "utf8") }));

  beforeAll(() => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), "clickvote-manifests-"));
    const render = spawnSync(process.execPath, [require.resolve("tsx/cli"), path.join(ROOT, "tools/render-manifests.ts"), "--out", out], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, GITHUB_TOKEN: "", GITHUB_ACTOR: "" },
    });
    if (render.status !== 0) throw new Error(`render-manifests failed: ${render.stderr}${render.stdout}`);
    for (const stack of ["dev", "prod"]) reports[stack] = checkStack(checker.bin as string, out, stack, settings);
  }, 180_000);

  afterAll(() => {
    if (out) fs.rmSync(out, { recursive: true, force: true });
  });

  it("renders every Kubernetes object of both stacks, secrets as placeholders", () => {
    for (const stack of ["dev", "prod"]) {
      const docs = manifests(stack).map(
        (m) => parseYaml(m.text) as { apiVersion: string; kind: string; metadata: { name: string }; stringData?: Record<string, string> },
      );
      const kinds = docs.map((d) => `${d.apiVersion}/${d.kind}`);
      for (const k of [
        "apps/v1/Deployment",
        "apps/v1/StatefulSet",
        "batch/v1/Job",
        "batch/v1/CronJob",
        "v1/Service",
        "v1/Secret",
        "networking.k8s.io/v1/NetworkPolicy",
        "v1/PersistentVolumeClaim",
      ]) {
        expect(kinds, `${stack}: ${k}`).toContain(k);
      }
      for (const d of docs) expect(d.metadata.name, `${stack} ${d.kind}`).toBeTruthy();
      for (const s of docs.filter((d) => d.kind === "Secret")) {
        for (const v of Object.values(s.stringData ?? {})) expect(v).toBe(SECRET_PLACEHOLDER);
      }
      // The mocks' generated passwords (pw + 30 hex) never reach a file.
      for (const m of manifests(stack)) expect(m.text, m.file).not.toMatch(/pw[0-9a-f]{30}/);
    }
    const prodKinds = manifests("prod").map((m) => (parseYaml(m.text) as { kind: string }).kind);
    expect(prodKinds).toEqual(expect.arrayContaining(["PodDisruptionBudget", "Ingress", "ServiceMonitor"]));
  });

  for (const stack of ["dev", "prod"]) {
    it(`${stack}: no WARNING or CRITICAL finding beyond the justified exceptions`, () => {
      const report = reports[stack];
      expect(report.objects).toBeGreaterThan(20);
      expect(report.findings.map(formatFinding)).toEqual([]);
    });
  }

  it("keeps no stale exception: each still suppresses a finding kube-score would report", () => {
    expect(unusedExceptions(Object.values(reports), settings)).toEqual([]);
  });

  it("gives every exception a check id and a reason, and scopes object exceptions to named objects", () => {
    const rendered = new Set(
      ["dev", "prod"].flatMap((s) =>
        manifests(s).map((m) => {
          const d = parseYaml(m.text) as { kind: string; metadata: { name: string } };
          return `${d.kind}/${d.metadata.name}`;
        }),
      ),
    );
    for (const e of settings.exceptions) {
      expect(e.reason.length, e.check).toBeGreaterThan(40);
      for (const o of e.objects ?? []) expect(rendered, `${e.check} names ${o}`).toContain(o);
    }
  });

  it("does catch a broken workload (the checker is really running)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kube-score-broken-"));
    try {
      const source = manifests("prod").find((m) => m.file.includes("-deployment-"));
      const deployment = parseYaml(source!.text) as {
        spec: { template: { spec: { containers: { securityContext: Record<string, unknown>; resources?: unknown }[] } } };
      };
      const container = deployment.spec.template.spec.containers[0];
      container.securityContext = { ...container.securityContext, privileged: true, readOnlyRootFilesystem: false };
      delete container.resources;
      const file = path.join(dir, "deployment.yaml");
      fs.writeFileSync(file, toYaml(deployment));
      const checks = runKubeScore(checker.bin as string, [file], "prod", settings).map((f) => `${f.grade} ${f.check}`);
      expect(checks).toEqual(expect.arrayContaining(["CRITICAL container-security-context-privileged", "CRITICAL container-resources"]));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
