import { describe, expect, it } from "vitest";
import { tagResolutionAuth } from "../components/image";
import { GHCR_HOST } from "../components/oci";
import { plainStrings, runProgram } from "./harness";
import { get } from "./workloads";

const DIGEST = `sha256:${"ab12".repeat(16)}`;

describe("image modes", () => {
  it("tag mode resolves an existing tag to its digest during preview, without building", async () => {
    const run = await runProgram({ stack: "prod", overrides: { imageMode: "tag" }, preview: true });
    expect(run.byType("docker-build:index:Image")).toHaveLength(0);
    expect(String(run.outputs.imageRef)).toMatch(/^ghcr\.io\/clickvote\/clickvote@sha256:[a-f0-9]{64}$/);
    expect(get(run.one("kubernetes:apps/v1:Deployment").inputs, "spec.template.spec.containers.0.image")).toBe(run.outputs.imageRef);
  });

  it("tag mode asks a loopback registry over plain HTTP, as it serves, and others over HTTPS", async () => {
    // The docker provider resolves tags over https:// unless the registryAuth address says http://.
    const registryAuth = async (stack: "dev" | "prod") => {
      const run = await runProgram({ stack, overrides: { imageMode: "tag" }, preview: true });
      const raw = get(run.one("pulumi:providers:docker").inputs, "registryAuth");
      return typeof raw === "string" ? JSON.parse(raw) : raw;
    };
    expect(await registryAuth("dev")).toEqual([{ address: "http://localhost:5001", authDisabled: true }]);
    expect(await registryAuth("prod")).toBeUndefined();
  });

  it("tagResolutionAuth keeps the credentials and only changes a loopback address", () => {
    const creds = { address: "127.0.0.1:5000", username: "ci", password: "token" };
    expect(tagResolutionAuth("127.0.0.1:5000/team/app", creds)).toEqual([{ ...creds, address: "http://127.0.0.1:5000" }]);
    expect(tagResolutionAuth("[::1]:5000/app")).toEqual([{ address: "http://[::1]:5000", authDisabled: true }]);
    expect(tagResolutionAuth("registry.example.com:5000/team/app", { ...creds, address: "registry.example.com:5000" })).toEqual([
      { ...creds, address: "registry.example.com:5000" },
    ]);
    expect(tagResolutionAuth(`${GHCR_HOST}/clickvote/clickvote`)).toBeUndefined();
  });

  it("build mode keeps the pushed image when the Image resource leaves the stack (destroy, or a switch to tag or digest mode)", async () => {
    // The docker-build provider's delete removes the pushed manifest from the registry; retained, a
    // release image stays for rollbacks and for other stacks that pin its digest.
    const run = await runProgram({ stack: "dev" });
    const image = run.one("docker-build:index:Image");
    expect(image.opts.retainOnDelete).toBe(true);
    expect(get(image.inputs, "push")).toBe(true);
  });

  it("digest mode deploys the given digest as is", async () => {
    const run = await runProgram({ stack: "dev", overrides: { imageMode: "digest", imageDigest: DIGEST } });
    // from the dev stack's repository: the local registry of `npm run dev:cluster`
    expect(run.outputs.imageRef).toBe(`localhost:5001/clickvote@${DIGEST}`);
    expect(run.byType("docker-build:index:Image")).toHaveLength(0);
    expect(get(run.one("kubernetes:batch/v1:Job").inputs, "metadata.name")).toBe(`clickvote-migrate-${"ab12".repeat(3)}`);
  });

  it("a read-only pull token becomes a dockerconfigjson imagePullSecret on every app pod", async () => {
    // a private repository on GHCR, as CI's dev stack uses (ci/lib.ts), not the dev stack's open local registry
    const run = await runProgram({
      stack: "dev",
      overrides: { imageMode: "digest", imageDigest: DIGEST, imagePullUsername: "reader", imageRepository: `${GHCR_HOST}/clickvote/clickvote` },
      secrets: { imagePullToken: "ghp_readonlypulltoken42" },
    });
    const pull = run.byType("kubernetes:core/v1:Secret").find((s) => get(s.inputs, "type") === "kubernetes.io/dockerconfigjson");
    expect(pull).toBeDefined();
    const json = JSON.parse(String((get(pull!.inputs, "stringData") as Record<string, string>)[".dockerconfigjson"]));
    expect(json.auths[GHCR_HOST].username).toBe("reader");
    for (const type of ["kubernetes:apps/v1:Deployment", "kubernetes:batch/v1:Job"]) {
      expect(String(get(run.one(type).inputs, "spec.template.spec.imagePullSecrets.0.name"))).toMatch(/^clickvote-image-pull-/);
    }
    expect(run.resources.flatMap((r) => plainStrings(r.rawProps)).join("\n")).not.toContain("ghp_readonlypulltoken42");
  });
});
