import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { deriveArgs, deriveStackConfig } from "../../ci/derive-stack-config";
import { runCi } from "./helpers";

describe("ci/derive-stack-config.ts", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "derive-config-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const env = { CLICKVOTE_PROJECT_DIR: dir };

  it("copies plain settings, drops encrypted ones, applies overrides and keeps the new stack's salt", () => {
    writeFileSync(
      path.join(dir, "Pulumi.dev.yaml"),
      "config:\n  clickvote:environment: dev\n  clickvote:appReplicas: 1\n  clickvote:registryToken:\n    secure: v1:abc\n  clickvote:buildPlatforms:\n    - linux/amd64\n    - linux/arm64\n",
    );
    writeFileSync(path.join(dir, "Pulumi.pr-7.yaml"), "encryptionsalt: v1:salt\n");
    const r = runCi(
      "derive-stack-config",
      ["--from", "dev", "--to", "pr-7", "--set", "clickvote:version=0.0.0-pr.7", "--set-json", 'clickvote:buildPlatforms=["linux/amd64"]'],
      env,
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain("not copied (encrypted for dev): clickvote:registryToken");
    const written = parse(readFileSync(path.join(dir, "Pulumi.pr-7.yaml"), "utf8")) as { encryptionsalt: string; config: Record<string, unknown> };
    expect(written.encryptionsalt).toBe("v1:salt");
    expect(written.config).toEqual({
      "clickvote:environment": "dev",
      "clickvote:appReplicas": 1,
      "clickvote:buildPlatforms": ["linux/amd64"],
      "clickvote:version": "0.0.0-pr.7",
    });
  });

  it("refuses bad arguments", () => {
    expect(runCi("derive-stack-config", ["--from", "dev", "--to", "dev"], env).status).not.toBe(0);
    expect(runCi("derive-stack-config", ["--from", "dev", "--to", "x", "--set", "noequals"], env).status).not.toBe(0);
    expect(runCi("derive-stack-config", ["--from", "dev", "--to", "x", "--set", "version=1"], env).status).not.toBe(0);
    const unknown = runCi("derive-stack-config", ["--from", "dev", "--to", "x", "--sett", "a:b=1"], env);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("usage: ci/derive-stack-config.ts");
  });

  it("applies overrides in command-line order, --set as text and --set-json as JSON", () => {
    const args = deriveArgs("dev", "x", [
      ["set-json", "a:n=3"],
      ["set", "a:n=three"],
      ["set-json", "a:b=true"],
    ]);
    expect(args.overrides).toEqual([
      ["a:n", 3],
      ["a:n", "three"],
      ["a:b", true],
    ]);
    expect(() => deriveArgs("dev", "x", [["set-json", "a:n={"]])).toThrow(/not JSON/);
    expect(() => deriveArgs("dev", "bad name", [])).toThrow(/stack names/);
    const { content } = deriveStackConfig({ config: { "a:n": 1 } }, {}, args.overrides);
    expect(content.config).toEqual({ "a:n": "three", "a:b": true });
  });
});
