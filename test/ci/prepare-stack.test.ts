import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gitRepo, runCi, stubCommands } from "./helpers";

const DEPLOYED = `sha256:${"b".repeat(64)}`;

describe("ci/prepare-stack.ts", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "prepare-stack-"));
  const bin = path.join(dir, "bin");
  const calls = path.join(dir, "calls.log");
  beforeAll(() => {
    writeFileSync(path.join(dir, "Pulumi.prod.yaml"), "config:\n  clickvote:environment: prod\n");
    mkdirSync(path.join(dir, "policy"));
    writeFileSync(path.join(dir, "policy", "PulumiPolicy.yaml"), "runtime: nodejs\n");
    // `pulumi stack output imageRef` answers with a deployed, digest-pinned reference.
    stubCommands(bin, calls, ["pulumi", "npm"], { pulumi: `[ "$1 $2 $3" = "stack output imageRef" ] && echo "ghcr.io/o/clickvote@${DEPLOYED}"; exit 0` });
    gitRepo(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const prepare = (args: string[], env: Record<string, string> = {}) => {
    rmSync(calls, { force: true });
    const r = runCi("prepare-stack", args, {
      PATH: `${bin}:${process.env.PATH}`,
      CLICKVOTE_PROJECT_DIR: dir,
      PULUMI_BACKEND_URL: "file:///nowhere",
      PULUMI_CONFIG_PASSPHRASE: "not-a-real-one",
      GITHUB_REPOSITORY: "o/clickvote",
      ...env,
    });
    return { ...r, log: readFileSync(calls, "utf8") };
  };

  it("selects the stack, applies the CI settings and outputs the policy pack", () => {
    const r = prepare(["prod"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.log).toContain("pulumi stack select prod --non-interactive");
    expect(r.log).toContain("pulumi config set --stack prod clickvote:imageRepository ghcr.io/o/clickvote");
    expect(r.log).not.toContain("clickvote:imageDigest");
    expect(r.stdout.trim().split("\n")).toContain("policy-packs=policy");
  });

  it.each([[["prod", "--pin-deployed-image"], {}], [["prod"], { PIN_DEPLOYED_IMAGE: "true" }]])("%j %j previews against the deployed digest", (args, env) => {
    const r = prepare(args, env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.log).toContain("pulumi config set --stack prod clickvote:imageMode digest");
    expect(r.log).toContain(`pulumi config set --stack prod clickvote:imageDigest ${DEPLOYED}`);
    expect(r.stderr).toContain(`previewing prod against its deployed image ${DEPLOYED}`);
  });
});
