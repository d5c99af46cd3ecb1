// The program runs transpile-only (Pulumi.yaml: tsx, no type checking on `pulumi preview`/`up`;
// the policy pack likewise, policy/main.js), so its types are checked only by
// `npm run typecheck`, which CI runs. This proves that command would fail on a type error in
// the program: the tsconfig it uses covers every program and policy file and keeps checking on,
// and an error put into a program file (in memory) is reported.
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..", "..");

function rootConfig(): ts.ParsedCommandLine {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    path.join(ROOT, "tsconfig.json"),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      },
    },
  );
  if (!parsed) throw new Error("tsconfig.json did not parse");
  return parsed;
}

const programFiles = (dir: string) =>
  fs
    .readdirSync(path.join(ROOT, dir))
    .filter((f) => f.endsWith(".ts"))
    .map((f) => path.join(ROOT, dir, f));

describe("npm run typecheck catches type errors the transpile-only runs skip", () => {
  it("is tsc over tsconfig.json, and CI runs it", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts.typecheck).toMatch(/^tsc -p \. /);
    const ci = parseYaml(fs.readFileSync(path.join(ROOT, ".github/workflows/ci.yml"), "utf8")) as {
      jobs: Record<string, { steps: { run?: string }[] }>;
    };
    const runs = Object.values(ci.jobs).flatMap((j) => j.steps.map((s) => s.run ?? ""));
    expect(runs).toContain("npm run typecheck");
  });

  it("covers every program and policy-pack file, with type checking on", () => {
    const config = rootConfig();
    expect(config.errors).toEqual([]);
    const files = new Set(config.fileNames.map((f) => path.resolve(f)));
    for (const f of [
      path.join(ROOT, "index.ts"),
      ...programFiles("settings"),
      ...programFiles("components"),
      path.join(ROOT, "policy/index.ts"),
      path.join(ROOT, "policy/policies.ts"),
    ]) {
      expect(files, f).toContain(f);
    }
    expect(config.options.noCheck).not.toBe(true);
  });

  it("reports a type error put into a program file", () => {
    const config = rootConfig();
    const target = path.join(ROOT, "components", "labels.ts");
    const probe = '\nexport const typeErrorProbe: number = "not a number";\n';
    const host = ts.createCompilerHost(config.options);
    const readFile = host.readFile.bind(host);
    host.readFile = (file) => (path.resolve(file) === target ? `${readFile(file) ?? ""}${probe}` : readFile(file));
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (file, lang, onError, fresh) => {
      if (path.resolve(file) !== target) return getSourceFile(file, lang, onError, fresh);
      return ts.createSourceFile(file, host.readFile(file) ?? "", lang);
    };
    const program = ts.createProgram({ rootNames: [target], options: config.options, host });
    const errors = ts.getPreEmitDiagnostics(program).filter((d) => d.category === ts.DiagnosticCategory.Error);
    expect(errors.map((d) => `${path.basename(d.file?.fileName ?? "")} TS${d.code}`)).toEqual(["labels.ts TS2322"]);
  });
});
