import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PROJECT_DIR, engineString, isSecure, plainConfig, readStackFile, stackConfig, stackFile, stackSetting } from "../../settings/stack-file";

const dir = mkdtempSync(path.join(tmpdir(), "stack-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = path.join(dir, "Pulumi.ci.yaml");
writeFileSync(
  file,
  [
    "encryptionsalt: v1:salt",
    "config:",
    '  clickvote:version: "2.3.4" # released',
    "  clickvote:appReplicas: 3",
    "  clickvote:protectData: true",
    "  clickvote:buildPlatforms:",
    "    - linux/amd64",
    "  clickvote:registryToken:",
    "    secure: v1:abc",
    "  kubernetes:context: kind-x",
    "",
  ].join("\n"),
);

describe("settings/stack-file", () => {
  it("finds a stack's file in the project directory", () => {
    expect(stackFile("dev")).toBe(path.join(PROJECT_DIR, "Pulumi.dev.yaml"));
    expect(stackFile("ci", dir)).toBe(file);
  });

  it("reads the whole document, keys other than config included", () => {
    const doc = readStackFile(file);
    expect(doc.encryptionsalt).toBe("v1:salt");
    expect(Object.keys(doc.config ?? {})).toHaveLength(6);
    const empty = path.join(dir, "Pulumi.empty.yaml");
    writeFileSync(empty, "");
    expect(readStackFile(empty)).toEqual({});
    expect(() => readStackFile(path.join(dir, "Pulumi.none.yaml"))).toThrow(/ENOENT/);
  });

  it("hands settings over as the engine does: strings as they are, the rest as JSON, encrypted ones left out", () => {
    expect(engineString("1.0.0")).toBe("1.0.0");
    expect(engineString(3)).toBe("3");
    expect(engineString(["a"])).toBe('["a"]');
    expect(isSecure({ secure: "v1:abc" })).toBe(true);
    expect(isSecure(["secure"])).toBe(false);
    expect(plainConfig(readStackFile(file))).toEqual({
      "clickvote:version": "2.3.4",
      "clickvote:appReplicas": "3",
      "clickvote:protectData": "true",
      "clickvote:buildPlatforms": '["linux/amd64"]',
      "kubernetes:context": "kind-x",
    });
    expect(stackConfig("ci", dir)).toEqual(plainConfig(readStackFile(file)));
  });

  it("reads one plain setting, quotes and comments removed", () => {
    expect(stackSetting(file, "clickvote:version")).toBe("2.3.4");
    expect(stackSetting(file, "clickvote:registryToken")).toBeUndefined();
    expect(stackSetting(file, "clickvote:imageRepository")).toBeUndefined();
  });

  it("reads the repository's own stack files", () => {
    expect(stackConfig("dev")["clickvote:environment"]).toBe("dev");
    expect(stackConfig("prod")["clickvote:environment"]).toBe("prod");
  });
});
