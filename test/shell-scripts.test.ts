// Every shell script of the project parses and passes shellcheck (settings in .shellcheckrc).
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..");

function shellScripts(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".sh"))
    .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)));
}

const scripts = [...["release", "ci", "e2e", "tools", "app/scripts"].flatMap(shellScripts), ".ci/run"].sort();
const hasShellcheck = spawnSync("shellcheck", ["--version"]).status === 0;

describe("shell scripts", () => {
  it("are found where expected", () => {
    expect(scripts).toEqual(
      expect.arrayContaining([".ci/run", "tools/test.sh", "e2e/toolchain.sh", "e2e/run.sh", "release/deploy-dev.sh", "app/scripts/test-services.sh"]),
    );
  });

  it("all parse with bash -n", () => {
    for (const file of scripts) {
      const result = spawnSync("bash", ["-n", file], { cwd: ROOT, encoding: "utf8" });
      expect(result.status, `${file}: ${result.stderr}`).toBe(0);
    }
  });

  it.skipIf(!hasShellcheck)(`all pass shellcheck${hasShellcheck ? "" : " (SKIPPED: shellcheck is not installed; apt-get install shellcheck)"}`, () => {
    const result = spawnSync("shellcheck", ["-x", "--severity=style", ...scripts], { cwd: ROOT, encoding: "utf8" });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });
});
