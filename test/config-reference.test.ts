import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { SettingSpec as ConfigKeySpec } from "../settings/declare";
import { SETTINGS as CONFIG_KEYS } from "../settings/settings";
import { declaredDescription, README_BEGIN, README_END, readmeConfigTable, renderPulumiYaml } from "../tools/config-docs";
import { ROOT } from "./harness";

interface DeclaredKey {
  type: string;
  description: string;
  default?: unknown;
  items?: { type: string };
}

const pulumiYamlText = fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8");
const pulumiYaml = parseYaml(pulumiYamlText) as { name: string; runtime: unknown; config: Record<string, DeclaredKey> };

describe("Pulumi.yaml declares every setting", () => {
  it("is exactly what npm run config:docs generates", () => {
    expect(pulumiYamlText).toBe(renderPulumiYaml(pulumiYamlText));
  });

  it("declares each non-secret key with the same type, description and default as the program", () => {
    const entries = Object.entries(CONFIG_KEYS) as [string, ConfigKeySpec][];
    const plain = entries.filter(([, spec]) => !spec.secret);
    expect(Object.keys(pulumiYaml.config).sort()).toEqual(plain.map(([k]) => `clickvote:${k}`).sort());
    for (const [key, spec] of plain) {
      const declared = pulumiYaml.config[`clickvote:${key}`];
      expect(declared.type, key).toBe(spec.type);
      expect(declared.description, key).toBe(declaredDescription(spec));
      expect(declared.default, key).toEqual(spec.default);
    }
  });

  it("leaves secrets undeclared (a declared key without default would be required) but documented", () => {
    const secrets = Object.entries(CONFIG_KEYS as Record<string, ConfigKeySpec>)
      .filter(([, s]) => s.secret)
      .map(([k]) => k);
    expect(secrets.sort()).toEqual(["imagePullToken", "registryToken"]);
    for (const k of secrets) expect(pulumiYaml.config[`clickvote:${k}`]).toBeUndefined();
  });

  it("stack files only set declared keys and hold no plain-text secret", () => {
    for (const stack of ["dev", "prod"]) {
      const text = fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8");
      const config = (parseYaml(text) as { config: Record<string, unknown> }).config;
      for (const key of Object.keys(config)) {
        if (key.startsWith("clickvote:")) expect(Object.keys(CONFIG_KEYS), `${stack}: ${key}`).toContain(key.slice("clickvote:".length));
      }
      expect(text).not.toMatch(/registryToken|imagePullToken|password|ghp_/i);
    }
  });

  it("stack files hold only what differs from the defaults", () => {
    for (const stack of ["dev", "prod"]) {
      const config = (parseYaml(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> }).config;
      const same = Object.entries(config).filter(([key, value]) => {
        const spec = (CONFIG_KEYS as Record<string, ConfigKeySpec>)[key.replace("clickvote:", "")];
        return spec !== undefined && JSON.stringify(spec.default) === JSON.stringify(value) && key !== "clickvote:environment";
      });
      expect(
        same.map(([k]) => k),
        stack,
      ).toEqual([]);
    }
  });
});

describe("README config reference", () => {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  it("is the generated table, in step with the key list", () => {
    const start = readme.indexOf(README_BEGIN);
    const end = readme.indexOf(README_END);
    expect(start).toBeGreaterThan(0);
    expect(readme.slice(start + README_BEGIN.length, end).trim()).toBe(readmeConfigTable());
  });
});
