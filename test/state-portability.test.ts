// Issue kind "provider inputs that leak": nothing derived from secret config or from the
// environment reaches a resource's or a provider's inputs in plain text, and no input holds a
// path of the machine that ran the program, so state recorded on one machine diffs clean on another.
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { plainStrings, ProgramRun, ROOT, runProgram } from "./harness";

const KUBECONFIG = [
  "apiVersion: v1",
  "kind: Config",
  "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:6443'}}]",
  "users: [{name: u, user: {token: kubeconfig-token-7f3a9c}}]",
  "contexts: [{name: ctx, context: {cluster: c, user: u}}]",
  "current-context: ctx",
].join("\n");
const ENV = { GITHUB_TOKEN: "ghs_envtoken_5b2e", GITHUB_ACTOR: "actor-from-env-91" };

describe.each([
  ["build", {}],
  ["tag", { imageMode: "tag" }],
])("%s mode with a secret kubeconfig, registry and pull tokens", (_mode, overrides) => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram({
      stack: "dev",
      overrides,
      secrets: { "kubernetes:kubeconfig": KUBECONFIG, imagePullToken: "pull-token-c4d1" },
      env: ENV,
    });
  });

  it("gives the explicit Kubernetes provider the kubeconfig as a secret", () => {
    const provider = run.one("pulumi:providers:kubernetes", "adopting");
    expect(provider.inputs.kubeconfig).toBe(KUBECONFIG);
    expect(plainStrings(provider.rawProps).join("\n")).not.toContain("kubeconfig-token-7f3a9c");
  });

  it("keeps every secret and environment value out of plain-text inputs", () => {
    const secrets = ["kubeconfig-token-7f3a9c", "pull-token-c4d1", ENV.GITHUB_TOKEN, ENV.GITHUB_ACTOR, ...run.generatedSecrets];
    for (const r of run.resources) {
      const plain = plainStrings(r.rawProps).join("\n");
      for (const s of secrets) expect(plain, `${r.type} ${r.name}`).not.toContain(s);
    }
  });

  it("holds no path of this machine", () => {
    for (const r of run.resources) {
      const plain = plainStrings(r.rawProps).join("\n");
      expect(plain, `${r.type} ${r.name}`).not.toContain(ROOT);
      expect(plain, `${r.type} ${r.name}`).not.toContain(path.dirname(ROOT) + path.sep);
    }
  });
});
