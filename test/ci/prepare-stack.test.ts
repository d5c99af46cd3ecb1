import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { GHCR_HOST } from "../../components/oci";
import { stackSetting } from "../../settings/stack-file";
import { ROOT, stubbedProject } from "./helpers";

const DEPLOYED = `sha256:${"b".repeat(64)}`;
const DENIED = `sha256:${"d".repeat(64)}`;

describe("ci/prepare-stack.ts", () => {
  // `pulumi stack output imageRef` answers with a deployed, digest-pinned reference.
  // The committed prod stack file: prepare-stack derives the policy pack's config from it.
  const project = stubbedProject({ "Pulumi.prod.yaml": readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8") }, ["pulumi", "npm"], {
    pulumi: `[ "$1 $2 $3" = "stack output imageRef" ] && echo "ghcr.io/o/clickvote@${DEPLOYED}"; exit 0`,
  });
  mkdirSync(path.join(project.dir, "policy"));
  writeFileSync(path.join(project.dir, "policy", "PulumiPolicy.yaml"), "runtime: nodejs\n");
  writeFileSync(path.join(project.dir, "policy", "denied-images.json"), JSON.stringify({ [DENIED]: "CVE-0000-0001 in the base image" }));
  afterAll(project.remove);
  const prepare = (args: string[], env: Record<string, string> = {}) => project.run("prepare-stack", args, env);

  it("selects the stack, applies the CI settings and outputs the policy pack and its config", () => {
    const r = prepare(["prod"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.log).toContain("pulumi stack select prod --non-interactive");
    expect(r.log).toContain("pulumi config set --stack prod clickvote:imageRepository ghcr.io/o/clickvote");
    expect(r.log).not.toContain("clickvote:imageDigest");
    expect(r.stdout.trim().split("\n")).toContain("policy-packs=policy");
    // The pack's config is derived from the stack, as the deploy commands derive it.
    const configLine = r.stdout.split("\n").find((l) => l.startsWith("policy-pack-configs="));
    const file = configLine?.slice("policy-pack-configs=".length) ?? "";
    expect(file.startsWith(project.dir), configLine).toBe(true);
    expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({
      "data-volumes-retained": { requireProtect: true },
      "image-not-denied": { deniedImageDigests: { [DENIED]: "CVE-0000-0001 in the base image" } },
    });
  });

  it("previews the dev stack against the GHCR repository of GITHUB_REPOSITORY, not dev's local registry", () => {
    writeFileSync(path.join(project.dir, "Pulumi.dev.yaml"), readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8"));
    expect(stackSetting(path.join(project.dir, "Pulumi.dev.yaml"), "clickvote:imageRepository")).toBe("localhost:5001/clickvote");
    const r = prepare(["dev"], { GITHUB_REPOSITORY: "Some-Owner/ClickVote" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.log).toContain(`pulumi config set --stack dev clickvote:imageRepository ${GHCR_HOST}/some-owner/clickvote --non-interactive`);
    expect(r.log).not.toContain("localhost:5001");
  });

  it.each([
    [["prod", "--pin-deployed-image"], {}],
    [["prod"], { PIN_DEPLOYED_IMAGE: "true" }],
  ])("%j %j previews against the deployed digest", (args, env) => {
    const r = prepare(args, env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.log).toContain("pulumi config set --stack prod clickvote:imageMode digest");
    expect(r.log).toContain(`pulumi config set --stack prod clickvote:imageDigest ${DEPLOYED}`);
    expect(r.stderr).toContain(`previewing prod against its deployed image ${DEPLOYED}`);
  });
});
