import { readFileSync, rmSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, stubbedProject } from "./helpers";

describe("ci/review-env.ts", () => {
  const project = stubbedProject(
    {
      "Pulumi.dev.yaml": readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8"),
      "package.json": JSON.stringify({ name: "x", scripts: { "deploy:atomic": "x" } }),
    },
    ["pulumi", "npm", "kubectl"],
    {
      // a stack exists once `pulumi stack init` made it (in this run: each run starts without)
      pulumi:
        'case "$1 $2" in "stack init") touch "$CLICKVOTE_PROJECT_DIR/.stack-$3" ;; "stack select") [ -e "$CLICKVOTE_PROJECT_DIR/.stack-$3" ] || exit 1 ;; esac',
      kubectl: '[ "$1 $2" = "config current-context" ] && echo kind-clickvote-review; exit 0',
    },
  );
  const dir = project.dir;
  afterAll(project.remove);
  const reviewEnv = (args: string[]) => {
    rmSync(path.join(dir, ".stack-pr-7"), { force: true });
    return project.run("review-env", args, { GITHUB_ACTOR: "octocat", GITHUB_TOKEN: "ghs_pulltokenvalue" });
  };

  it("up: creates pr-<N> from dev's settings in build mode, sets the pull token on stdin, and deploys", () => {
    const r = reviewEnv(["up", "7"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.log).toContain("pulumi stack init pr-7 --secrets-provider passphrase --non-interactive");
    const config = (parse(readFileSync(path.join(dir, "Pulumi.pr-7.yaml"), "utf8")) as { config: Record<string, unknown> }).config;
    expect(config).toMatchObject({
      "clickvote:environment": "dev",
      "clickvote:imageMode": "build",
      "clickvote:version": "0.0.0-pr.7",
      "clickvote:buildPlatforms": ["linux/amd64"],
      "clickvote:imageRepository": "ghcr.io/o/clickvote",
      "clickvote:imagePullUsername": "octocat",
      "kubernetes:context": "kind-clickvote-review",
    });
    // the token reaches pulumi on standard input, never on its command line
    expect(r.log).toContain("pulumi config set --stack pr-7 clickvote:imagePullToken --secret --non-interactive\nstdin: ghs_pulltokenvalue");
    expect(
      r.log
        .split("\n")
        .filter((l) => !l.startsWith("stdin: "))
        .join("\n"),
    ).not.toContain("ghs_pulltokenvalue");
    expect(r.stdout + r.stderr).not.toContain("ghs_pulltokenvalue");
    expect(r.log).toContain("npm run deploy:atomic -- --stack pr-7");
  });

  it("destroy and remove leave a stack that does not exist alone", () => {
    const destroy = reviewEnv(["destroy", "7"]);
    expect(destroy.status, destroy.stderr).toBe(0);
    expect(destroy.stderr).toContain("pr-7 does not exist; nothing to destroy");
    const remove = reviewEnv(["remove", "7"]);
    expect(remove.status, remove.stderr).toBe(0);
    expect(remove.stderr).toContain("pr-7 does not exist; nothing to remove");
    expect(destroy.log + remove.log).not.toMatch(/pulumi (destroy|stack rm)/);
  });

  it.each([
    ["up", "0"],
    ["up", "x"],
    ["deploy", "7"],
  ])("refuses %s %s", (action, number) => {
    const r = reviewEnv([action, number]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("usage: ci/review-env.ts up|smoke|destroy|remove <pull request number>");
  });
});
