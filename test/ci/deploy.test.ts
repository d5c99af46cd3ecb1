import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { GHCR_HOST } from "../../components/oci";
import { stackSetting } from "../../settings/stack-file";
import { ROOT, stubbedProject } from "./helpers";

describe("ci/deploy.ts", () => {
  // A project of our own (package.json, Pulumi.dev.yaml, a git commit), with `pulumi` and `npm`
  // stubs on PATH that record their arguments.
  const project = stubbedProject({ "Pulumi.dev.yaml": readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8") }, ["pulumi", "npm"]);
  const dir = project.dir;
  afterAll(project.remove);

  const deploy = (scripts: Record<string, string>, args: string[], extraEnv: Record<string, string> = {}) => {
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "x", scripts }));
    return project.run("deploy", args, { GITHUB_REPOSITORY: "Some-Owner/ClickVote", ...extraEnv });
  };

  it("prefers npm run deploy:atomic when package.json has it", () => {
    const r = deploy({ "deploy:atomic": "x" }, ["dev"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.log).toContain("pulumi stack select dev --non-interactive");
    expect(r.log).toContain("pulumi config set --stack dev clickvote:imageRepository ghcr.io/some-owner/clickvote");
    expect(r.log).toMatch(/pulumi config set --stack dev clickvote:gitRevision [0-9a-f]{40}/);
    expect(r.log).toContain("npm run deploy:atomic -- --stack dev");
    expect(r.log).not.toMatch(/pulumi up/);
  });

  it("falls back to pulumi up without it, and pins a given digest", () => {
    const digest = `sha256:${"a".repeat(64)}`;
    const r = deploy({}, ["prod", "--image-digest", digest]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.log).toContain("pulumi config set --stack prod clickvote:imageMode digest");
    expect(r.log).toContain(`pulumi config set --stack prod clickvote:imageDigest ${digest}`);
    expect(r.log).toContain("pulumi up --stack prod --yes --diff --non-interactive");
    expect(r.log).not.toContain("npm run");
  });

  it("replaces the dev stack's loopback registry with the repository of GITHUB_REPOSITORY", () => {
    // The committed dev stack pushes to the local registry of `npm run dev:cluster`, which only a
    // developer's machine serves; CI's dev deploy must use the repository's own GHCR repository.
    expect(stackSetting(path.join(dir, "Pulumi.dev.yaml"), "clickvote:imageRepository")).toBe("localhost:5001/clickvote");
    const r = deploy({}, ["dev"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.log).toContain(`pulumi config set --stack dev clickvote:imageRepository ${GHCR_HOST}/some-owner/clickvote --non-interactive`);
    expect(r.log).not.toContain("localhost:5001");
    expect(r.stderr).toContain("names the loopback registry localhost:5001/clickvote, which CI cannot reach");
  });

  it.each(["127.0.0.1:5001/clickvote", "[::1]:5000/team/app"])("replaces any loopback registry (%s) too", (repository) => {
    writeFileSync(path.join(dir, "Pulumi.loopback.yaml"), `config:\n  clickvote:imageRepository: "${repository}"\n`);
    const r = deploy({}, ["loopback"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.log).toContain(`pulumi config set --stack loopback clickvote:imageRepository ${GHCR_HOST}/some-owner/clickvote --non-interactive`);
  });

  it("keeps the image repository a stack file names", () => {
    writeFileSync(path.join(dir, "Pulumi.named.yaml"), "config:\n  clickvote:imageRepository: ghcr.io/other/image\n");
    const r = deploy({}, ["named"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.log).not.toContain("clickvote:imageRepository");
    expect(r.stderr).toContain("image repository kept: Pulumi.named.yaml names ghcr.io/other/image");
    expect(r.log).toMatch(/pulumi config set --stack named clickvote:gitRevision [0-9a-f]{40}/);
  });

  it("writes the kubeconfig secret to a private file without printing it", () => {
    const r = deploy({}, ["dev"], { KUBECONFIG_DATA: "apiVersion: v1 # very-secret-token" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout + r.stderr + r.log).not.toContain("very-secret-token");
    const file = path.join(dir, "kubeconfig-dev");
    expect(readFileSync(file, "utf8")).toContain("very-secret-token");
    expect(spawnSync("stat", ["-c", "%a", file], { encoding: "utf8" }).stdout.trim()).toBe("600");
  });

  it("refuses to run without the backend secrets, and rejects a malformed digest", () => {
    const missing = deploy({}, ["dev"], { PULUMI_CONFIG_PASSPHRASE: "" });
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain("PULUMI_CONFIG_PASSPHRASE is not set");
    const bad = deploy({}, ["prod", "--image-digest", "sha256:nothex"]);
    expect(bad.status).not.toBe(0);
    expect(bad.log).not.toMatch(/pulumi up|npm run/);
  });
});
