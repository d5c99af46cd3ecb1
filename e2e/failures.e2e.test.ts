// Issue 6: failures and rollback, proven on the local cluster with the real engine and commands.
// Every preview and update here runs the policy pack (policy/) with the config the stack's
// settings give it, as CI and deploy:dev run it; rollback and deploy:atomic get --policy-pack and
// derive that config themselves. Each scenario prints its wall-clock duration
// ("[failures e2e] <scenario>: passed in Ns").
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EngineEvent } from "@pulumi/pulumi/automation";
import {
  changeCount,
  createStack,
  destroyAndRemove,
  digestOf,
  E2E_UNAVAILABLE,
  E2EStack,
  e2eSettings,
  kubectl,
  kubectlJson,
  KubeList,
  ROOT,
  setSettings,
  steps,
  toolchainBin,
} from "./lib";
import {
  childEnv,
  claims,
  deployment,
  deploymentImage,
  durations,
  killTree,
  largestGap,
  namespaceExists,
  pulumiCli,
  purgeNamespace,
  readyAppPods,
  run,
  sampleEndpoints,
  start,
  timed,
  volumePhase,
} from "./failures-helpers";
import { policyConfigFor } from "../tools/policy-config";

const GOOD_REPO = "ghcr.io/clickvote/clickvote";
const NEVER_READY_REPO = "ghcr.io/clickvote/never-ready";
const FAIL_MIGRATE_REPO = "ghcr.io/clickvote/fail-migrate";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const JOB = "kubernetes:batch/v1:Job";
/** Short, bounded waits: the minimum the config allows. */
const FAST = { appRolloutTimeoutSeconds: "30", migrationTimeoutSeconds: "30", dataRolloutTimeoutSeconds: "60" };

const PACK = path.join(ROOT, "policy");

/**
 * A policy pack config file: the stack's own (tools/policy-config.ts), plus any extra policy
 * config. It lives in the stack's project copy, so the stack's clean-up removes it.
 */
function policyConfigFile(s: E2EStack, extra: Record<string, Record<string, unknown>> = {}): string {
  const file = path.join(fs.mkdtempSync(path.join(s.workDir, ".policy-config-")), "config.json");
  fs.writeFileSync(file, JSON.stringify({ ...policyConfigFor(s.stack.name, {}, s.workDir), ...extra }));
  return file;
}

/** The same for the CLI. */
function policyArgs(s: E2EStack): string[] {
  return ["--policy-pack", PACK, "--policy-pack-config", policyConfigFile(s)];
}

/** The policy options of a preview or up, as CI runs them. */
function policy(s: E2EStack) {
  return { policyPacks: [PACK], policyPackConfigs: [policyConfigFile(s)] };
}

const record = (into: EngineEvent[]) => (e: EngineEvent) => into.push(e);
const quiet = () => undefined;
const SKIP = E2E_UNAVAILABLE ? ` (skipped: ${E2E_UNAVAILABLE})` : "";

/** Stacks created here, destroyed (and their namespaces purged) at the end whatever happened. */
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) {
    try {
      await c();
    } catch (err) {
      console.log(`[failures e2e] cleanup: ${String(err).slice(0, 300)}`);
    }
  }
  if (durations.length > 0) {
    console.log(`[failures e2e] durations:\n${durations.map((d) => `  ${d.label}: ${d.outcome} in ${d.seconds}s`).join("\n")}`);
  }
});

async function stackIn(name: string, namespace: string, settings: Record<string, string>, base = "dev", fresh = true): Promise<E2EStack> {
  if (fresh) purgeNamespace(namespace);
  const s = await createStack(name, e2eSettings({ namespace, ...FAST, ...settings }), base);
  cleanups.push(async () => {
    // Test cleanup only: a prod-like stack left protected by a failed assertion must still go.
    await pulumiCli(s, ["state", "unprotect", "--all", "--yes"]).catch(() => undefined);
    await destroyAndRemove(s);
    purgeNamespace(namespace);
    fs.rmSync(s.stateDir, { recursive: true, force: true });
  });
  return s;
}

async function expectNoChanges(s: E2EStack): Promise<void> {
  const preview = await s.stack.preview({ diff: true, ...policy(s) });
  expect(changeCount(preview.changeSummary as Record<string, number>), JSON.stringify(preview.changeSummary)).toBe(0);
}

function stackFile(s: E2EStack): string {
  return fs.readFileSync(path.join(s.workDir, `Pulumi.${s.stack.name}.yaml`), "utf8");
}

/** A command's output without the toolchain's "using pulumi-resource-… from $PATH" warnings. */
function quietLines(r: { stdout: string; stderr: string }): string[] {
  return (r.stdout + "\n" + r.stderr)
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !/from \$PATH at/.test(l));
}

/** `npm run <script> -- … --policy-pack policy --cwd <the stack's project copy>` from the repository, as CI runs it. */
function npmRun(s: E2EStack, script: string, args: string[]) {
  return run("npm", ["run", "--silent", script, "--", "--stack", s.stack.name, ...args, "--policy-pack", PACK, "--cwd", s.workDir], {
    cwd: ROOT,
    env: childEnv(s),
  });
}

// ---------------------------------------------------------------------------------------------
// 1–4: one stack, releases one after another.
// ---------------------------------------------------------------------------------------------
describe.skipIf(E2E_UNAVAILABLE)(`failed releases and rollback${SKIP}`, () => {
  const NS = "clickvote-f1";
  const GOOD = digestOf("clickvote-f1-good");
  const GOOD_REF = `${GOOD_REPO}@${GOOD}`;
  let f1: E2EStack;

  it("1. a rollout that never becomes ready fails the up within the timeout; the old pods keep serving throughout", async () => {
    await timed("1 failed rollout", async () => {
      f1 = await stackIn("f1", NS, { appReplicas: "2", imageDigest: GOOD });
      const first = await f1.stack.up({ ...policy(f1), onOutput: quiet });
      expect(first.summary.result).toBe("succeeded");
      expect(deploymentImage(NS)).toBe(GOOD_REF);
      expect(readyAppPods(NS)).toHaveLength(2);

      const bad = digestOf("clickvote-f1-never-ready");
      await setSettings(f1.stack, { imageRepository: NEVER_READY_REPO, imageDigest: bad });
      const events: EngineEvent[] = [];
      const sampler = sampleEndpoints(NS, "clickvote");
      const t0 = Date.now();
      let error: unknown;
      try {
        await f1.stack.up({ ...policy(f1), onEvent: record(events), onOutput: quiet });
      } catch (err) {
        error = err;
      }
      const tEnd = Date.now();
      const upSeconds = (tEnd - t0) / 1000;
      const samples = await sampler.stop();
      expect(error, "the up must fail").toBeDefined();
      console.log(
        `[failures e2e] 1: up failed after ${upSeconds.toFixed(1)}s; ${samples.length} endpoint samples, ready counts ${[...new Set(samples.map((x) => x.ready))].join("/")}, largest gap ${largestGap(samples).toFixed(2)}s`,
      );

      // The new release's migration Job did complete (kwok's never-ready marker only affects readiness).
      const jobName = `clickvote-migrate-${bad.slice("sha256:".length, "sha256:".length + 12)}`;
      const job = kubectlJson<{ status: { succeeded?: number } }>("get", "job", jobName, "-n", NS);
      expect(job.status.succeeded).toBe(1);

      // The Deployment step is the one that failed, at its timeout (30 s), not before and not long after.
      const s = steps(events);
      const depStart = s.find((x) => x.type === DEPLOYMENT && x.kind === "pre");
      const depFailed = s.find((x) => x.type === DEPLOYMENT && x.kind === "failed");
      expect(depStart?.op).toBe("update");
      expect(depFailed, "a failed Deployment step").toBeDefined();
      const awaited = depFailed!.time - depStart!.time;
      console.log(`[failures e2e] 1: Deployment awaited ${awaited}s before failing (appRolloutTimeoutSeconds 30)`);
      expect(awaited).toBeGreaterThanOrEqual(25);
      expect(awaited).toBeLessThanOrEqual(60);
      expect(String(error)).toMatch(/clickvote-app/);

      // Sampled about every second from the start of the up to its end (no two samples, nor the
      // last one and the end, more than 2.5 s apart: under load a kubectl call can take longer
      // than a second, so the count alone says less), both old pods were ready endpoints.
      expect(samples[0].at).toBeLessThanOrEqual(t0);
      expect(largestGap([...samples, { at: tEnd, ready: 0, addresses: [] }])).toBeLessThan(2.5);
      expect(samples.filter((x) => x.error)).toEqual([]);
      expect(samples.filter((x) => x.ready < 2)).toEqual([]);
      // …and they were the same two (old) pods throughout: the never-ready pod never became an endpoint.
      expect(new Set(samples.map((x) => [...x.addresses].sort().join(","))).size).toBe(1);
      const ready = readyAppPods(NS);
      expect(ready.map((p) => p.image)).toEqual([GOOD_REF, GOOD_REF]);
      // The new ReplicaSet's pod exists but is not ready.
      const d = deployment(NS);
      expect(d.spec.template.spec.containers[0].image).toBe(`${NEVER_READY_REPO}@${bad}`);
      expect(d.status.readyReplicas).toBe(2);
    });
  });

  it("2. npm run rollback restores the last good image (repository and digest); the next preview shows no changes", async () => {
    expect(f1, "scenario 1 created the stack").toBeDefined();
    await timed("2 rollback", async () => {
      const result = await npmRun(f1, "rollback", ["--yes"]);
      console.log(
        `[failures e2e] 2: rollback exited ${result.code} after ${result.seconds.toFixed(1)}s\n${result.stdout
          .split("\n")
          .filter((l) => /current:|target:|preview:|rolled back/.test(l))
          .join("\n")}`,
      );
      expect(result.code, result.stderr + result.stdout.slice(-2000)).toBe(0);
      expect(result.stdout).toMatch(/rolled back f1 to version 0\.1\.0-dev, sha256:/);
      expect(deploymentImage(NS)).toBe(GOOD_REF);
      const d = deployment(NS);
      expect(d.status.readyReplicas).toBe(2);
      expect(readyAppPods(NS).map((p) => p.image)).toEqual([GOOD_REF, GOOD_REF]);
      const file = stackFile(f1);
      expect(file).toContain(`clickvote:imageRepository: ${GOOD_REPO}`);
      expect(file).toContain(`clickvote:imageDigest: ${GOOD}`);
      await expectNoChanges(f1);
    });
  });

  it("3. npm run deploy:atomic of a bad release exits non-zero naming the failure and leaves the old release in place", async () => {
    expect(f1, "scenario 1 created the stack").toBeDefined();
    await timed("3 atomic deploy", async () => {
      await setSettings(f1.stack, { imageRepository: NEVER_READY_REPO, imageDigest: digestOf("clickvote-f1-never-ready-2") });
      const result = await npmRun(f1, "deploy:atomic", []);
      console.log(`[failures e2e] 3: deploy:atomic exited ${result.code} after ${result.seconds.toFixed(1)}s; stderr:\n${result.stderr.trim()}`);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/failed and was rolled back to version 0\.1\.0-dev/);
      expect(result.stderr).toMatch(/clickvote-app/);
      expect(deploymentImage(NS)).toBe(GOOD_REF);
      expect(readyAppPods(NS).map((p) => p.image)).toEqual([GOOD_REF, GOOD_REF]);
      expect(deployment(NS).status.readyReplicas).toBe(2);
      await expectNoChanges(f1);
    });
  });

  it("4. a failing migration Job stops the update before the Deployment changes", async () => {
    expect(f1, "scenario 1 created the stack").toBeDefined();
    await timed("4 failing migration", async () => {
      const before = deployment(NS).metadata;
      const bad = digestOf("clickvote-f1-fail-migrate");
      await setSettings(f1.stack, { imageRepository: FAIL_MIGRATE_REPO, imageDigest: bad, migrationBackoffLimit: "0" });
      const events: EngineEvent[] = [];
      let error: unknown;
      const t0 = Date.now();
      try {
        await f1.stack.up({ ...policy(f1), onEvent: record(events), onOutput: quiet });
      } catch (err) {
        error = err;
      }
      console.log(`[failures e2e] 4: up failed after ${((Date.now() - t0) / 1000).toFixed(1)}s`);
      expect(error, "the up must fail").toBeDefined();
      const s = steps(events);
      expect(s.filter((x) => x.type === JOB && x.kind === "failed").length, "the Job step failed").toBeGreaterThan(0);
      expect(s.filter((x) => x.type === DEPLOYMENT && x.op !== "same" && x.op !== "read").map((x) => `${x.kind} ${x.op}`)).toEqual([]);
      const after = deployment(NS).metadata;
      expect(after.resourceVersion).toBe(before.resourceVersion);
      expect(after.generation).toBe(before.generation);
      expect(deploymentImage(NS)).toBe(GOOD_REF);
      const job = kubectlJson<{ status: { failed?: number; conditions?: Array<{ type: string; status: string }> } }>(
        "get",
        "job",
        `clickvote-migrate-${bad.slice(7, 19)}`,
        "-n",
        NS,
      );
      expect(job.status.conditions?.some((c) => c.type === "Failed" && c.status === "True")).toBe(true);
      expect(readyAppPods(NS)).toHaveLength(2);
    });
  });

  it("8. npm run deploy:atomic of a release a mandatory policy refuses stops before any change, naming the policy; nothing to roll back", async () => {
    expect(f1, "scenario 1 created the stack").toBeDefined();
    await timed("8 policy-refused deploy", async () => {
      const before = deployment(NS).metadata;
      const updatesBefore = (await f1.stack.history()).length;
      const denied = digestOf("clickvote-f1-denied");
      const reason = "CVE-0000-0008 found in the base image";
      await setSettings(f1.stack, { imageRepository: GOOD_REPO, imageDigest: denied, migrationBackoffLimit: "2" });
      const config = policyConfigFile(f1, { "image-not-denied": { deniedImageDigests: { [denied]: reason } } });
      const result = await npmRun(f1, "deploy:atomic", ["--policy-pack-config", config]);
      console.log(`[failures e2e] 8: deploy:atomic exited ${result.code} after ${result.seconds.toFixed(1)}s; stderr:\n${result.stderr.trim().slice(0, 800)}`);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/stopped before any change/);
      expect(result.stderr).toMatch(new RegExp(`image-not-denied: .*${denied}.* is denied: ${reason}`));
      expect(result.stdout + result.stderr).not.toMatch(/rolling back/);
      // Nothing ran: no migration Job for the refused image, the Deployment untouched, no update recorded.
      const jobs = kubectlJson<KubeList>("get", "jobs", "-n", NS).items.map((j) => j.metadata.name);
      expect(jobs).not.toContain(`clickvote-migrate-${denied.slice(7, 19)}`);
      const after = deployment(NS).metadata;
      expect(after.resourceVersion).toBe(before.resourceVersion);
      expect(deploymentImage(NS)).toBe(GOOD_REF);
      expect((await f1.stack.history()).length).toBe(updatesBefore);
    });
  });

  it("9. npm run rollback to a release today's policies refuse says so, changes nothing and leaves the stack file as it was", async () => {
    expect(f1, "scenario 1 created the stack").toBeDefined();
    await timed("9 policy-refused rollback", async () => {
      // A second good release, so that the first one (GOOD) is what a rollback goes back to.
      const good2 = digestOf("clickvote-f1-good-2");
      await setSettings(f1.stack, { imageRepository: GOOD_REPO, imageDigest: good2 });
      expect((await f1.stack.up({ ...policy(f1), onOutput: quiet })).summary.result).toBe("succeeded");
      expect(deploymentImage(NS)).toBe(`${GOOD_REPO}@${good2}`);
      const before = deployment(NS).metadata;
      const fileBefore = stackFile(f1);

      const reason = "CVE-0000-0009: do not run this release again";
      const config = policyConfigFile(f1, { "image-not-denied": { deniedImageDigests: { [GOOD]: reason } } });
      const result = await npmRun(f1, "rollback", ["--yes", "--policy-pack-config", config]);
      console.log(`[failures e2e] 9: rollback exited ${result.code} after ${result.seconds.toFixed(1)}s; stderr:\n${result.stderr.trim().slice(0, 800)}`);
      expect(result.code).not.toBe(0);
      expect(result.stdout).toMatch(new RegExp(`target: +version 0\\.1\\.0-dev, ${GOOD.slice(0, 19)}`));
      expect(result.stderr).toMatch(/rollback to .* refused: today's policy pack refuses it/);
      expect(result.stderr).toMatch(new RegExp(`image-not-denied: .*${GOOD}.* is denied: ${reason}`));
      expect(result.stderr).toMatch(/Nothing changed/);
      expect(stackFile(f1)).toBe(fileBefore);
      expect(deployment(NS).metadata.resourceVersion).toBe(before.resourceVersion);
      expect(deploymentImage(NS)).toBe(`${GOOD_REPO}@${good2}`);
      await expectNoChanges(f1);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// 5: destroy keeps the data volumes; a new stack in the same namespace binds them again.
// ---------------------------------------------------------------------------------------------
describe.skipIf(E2E_UNAVAILABLE)(`data survives destroy${SKIP}`, () => {
  const NS = "clickvote-f5";
  it("5. destroy leaves the namespace, claims and volumes; a new stack's up adopts and re-binds the same volumes", async () => {
    await timed("5 destroy keeps volumes", async () => {
      const first = await stackIn("f5a", NS, { imageDigest: digestOf("clickvote-f5") });
      expect((await first.stack.up({ ...policy(first), onOutput: quiet })).summary.result).toBe("succeeded");
      const before = claims(NS);
      expect(Object.keys(before).sort()).toEqual(["clickvote-backups", "data-clickvote-postgres-0", "data-clickvote-redis-0"]);

      await first.stack.destroy({ onOutput: quiet });
      expect(namespaceExists(NS)).toBe(true);
      expect(kubectlJson<KubeList>("get", "statefulsets,deployments", "-n", NS).items).toEqual([]);
      const kept = claims(NS);
      expect(kept).toEqual(before);
      for (const c of Object.values(kept)) expect(volumePhase(c.volume), c.volume).toBe("Bound");
      await first.stack.workspace.removeStack(first.stack.name, { force: true });

      // A brand-new stack (new state, new passwords) on the same namespace.
      const second = await stackIn("f5b", NS, { imageDigest: digestOf("clickvote-f5") }, "dev", false);
      const events: EngineEvent[] = [];
      expect((await second.stack.up({ ...policy(second), onEvent: record(events), onOutput: quiet })).summary.result).toBe("succeeded");
      const after = claims(NS);
      expect(after).toEqual(before);
      for (const c of Object.values(after)) expect(volumePhase(c.volume), c.volume).toBe("Bound");
      // The namespace and backup claim were adopted (created through the upsert provider), not refused.
      const created = steps(events)
        .filter((x) => x.kind === "outputs" && x.op === "create")
        .map((x) => x.type);
      expect(created).toContain("kubernetes:core/v1:Namespace");
      expect(created).toContain("kubernetes:core/v1:PersistentVolumeClaim");
      await expectNoChanges(second);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// 6: prod-like protection.
// ---------------------------------------------------------------------------------------------
describe.skipIf(E2E_UNAVAILABLE)(`protected data in a prod-like stack${SKIP}`, () => {
  const NS = "clickvote-f6";
  it("6. a replacement of a protected data resource and destroy are refused, the data kept; unprotect then destroy cleans up", async () => {
    await timed("6 protected prod", async () => {
      const f6 = await stackIn(
        "f6",
        NS,
        {
          imageDigest: digestOf("clickvote-f6"),
          appReplicas: "2",
          ingressEnabled: "false",
          monitoring: "annotations",
          // prod refuses rollout timeouts shorter than the startup budgets; nothing here waits on them.
          appRolloutTimeoutSeconds: "90",
          dataRolloutTimeoutSeconds: "210",
        },
        "prod",
      );
      const up = await f6.stack.up({ ...policy(f6), onOutput: quiet });
      expect(up.summary.result).toBe("succeeded");
      expect(readyAppPods(NS)).toHaveLength(2);
      // What holds data: StatefulSets, their claims, the backup claim, the credential Secrets (not the app's env Secret).
      const uids = () =>
        kubectlJson<KubeList>("get", "statefulset,secret,pvc", "-n", NS)
          .items.filter((i) => !i.metadata.name.startsWith("clickvote-environment"))
          .map((i) => `${i.metadata.name}=${i.metadata.uid}`)
          .sort();
      const data = uids();
      const appBefore = deployment(NS).metadata;

      // A volume-size change would replace the StatefulSet (its claim templates are immutable):
      // the program's data-identity check refuses it first, naming the setting; nothing touched.
      await setSettings(f6.stack, { postgresStorageSize: "21Gi" });
      let identityError = "";
      await f6.stack.up({ ...policy(f6), onOutput: quiet }).catch((err: unknown) => (identityError = String(err)));
      expect(identityError).toMatch(/clickvote:postgresStorageSize: changed from 20Gi to 21Gi/);
      console.log(`[failures e2e] 6: size change refused: ${/[^\n]*clickvote:postgresStorageSize[^\n]*/.exec(identityError)?.[0]?.trim().slice(0, 200)}`);
      expect(uids()).toEqual(data);
      await setSettings(f6.stack, { postgresStorageSize: "20Gi" });

      // A replacement that reaches the engine (here asked for explicitly, as `pulumi up --replace`
      // would) is refused by protect while planning: nothing touched.
      const exported = (await f6.stack.exportStack()).deployment as { resources: Array<{ urn: string; type: string }> };
      const postgres = exported.resources.find((r) => r.type === "kubernetes:apps/v1:StatefulSet" && /postgres/.test(r.urn.split("::").pop() ?? ""));
      expect(postgres, "the PostgreSQL StatefulSet in the state").toBeDefined();
      let replaceError = "";
      await f6.stack.up({ ...policy(f6), replace: [postgres!.urn], onOutput: quiet }).catch((err: unknown) => (replaceError = String(err)));
      expect(replaceError).toMatch(/marked for protection/);
      console.log(`[failures e2e] 6: replacement refused: ${/[^\n]*marked for protection[^\n]*/.exec(replaceError)?.[0]?.trim().slice(0, 300)}`);
      expect(uids()).toEqual(data);
      expect(deployment(NS).metadata.resourceVersion).toBe(appBefore.resourceVersion);
      expect(claims(NS)["data-clickvote-postgres-0"].phase).toBe("Bound");

      // destroy: refused at the first protected resource. The engine checks protect when it
      // reaches a resource's delete step, so what is not protected (the app) is deleted first.
      const events: EngineEvent[] = [];
      let destroyError = "";
      await f6.stack.destroy({ onEvent: record(events), onOutput: quiet }).catch((err: unknown) => (destroyError = String(err)));
      expect(destroyError).toMatch(/protected/);
      const deleted = steps(events)
        .filter((x) => x.kind === "outputs" && x.op === "delete")
        .map((x) => x.type);
      const refused = steps(events)
        .filter((x) => x.kind === "failed")
        .map((x) => x.type);
      console.log(
        `[failures e2e] 6: destroy refused (${/[^\n]*protected[^\n]*/.exec(destroyError)?.[0]?.trim().slice(0, 300)}); deleted before the refusal: ${JSON.stringify(deleted)}; refused: ${JSON.stringify(refused)}`,
      );
      expect(uids()).toEqual(data);
      expect(namespaceExists(NS)).toBe(true);

      const unprotect = await pulumiCli(f6, ["state", "unprotect", "--all", "--yes"]);
      expect(unprotect.code, unprotect.stderr).toBe(0);
      const destroyed = await f6.stack.destroy({ onOutput: quiet });
      expect(destroyed.summary.result).toBe("succeeded");
      expect(kubectlJson<KubeList>("get", "statefulset,deployment", "-n", NS).items).toEqual([]);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// 7: an up killed mid-way, and the documented recovery.
// ---------------------------------------------------------------------------------------------
describe.skipIf(E2E_UNAVAILABLE)(`interrupted update${SKIP}`, () => {
  const NS = "clickvote-f7";
  it("7. pulumi up killed with SIGKILL mid-update: cancel, refresh --yes --clear-pending-creates, an adopting up converges without editing state", async () => {
    await timed("7 killed up recovery", async () => {
      const f7 = await stackIn("f7", NS, { imageDigest: digestOf("clickvote-f7"), appReplicas: "2" });
      const { child, done } = start(
        path.join(toolchainBin(), "pulumi"),
        ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", "f7", ...policyArgs(f7)],
        {
          cwd: f7.workDir,
          env: childEnv(f7),
        },
      );
      // Kill (the whole process group: CLI, language host, providers) as soon as the migration Job exists.
      let killedAt = "";
      const deadline = Date.now() + 180_000;
      while (Date.now() < deadline && child.exitCode === null) {
        const jobs = (() => {
          try {
            return kubectlJson<KubeList>("get", "jobs", "-n", NS).items;
          } catch {
            return [];
          }
        })();
        if (jobs.length > 0) {
          const hasDeployment = kubectlJson<KubeList>("get", "deployments", "-n", NS).items.length > 0;
          killedAt = `migration Job ${jobs[0].metadata.name} existed (succeeded=${String(jobs[0].status?.succeeded ?? 0)}), Deployment ${hasDeployment ? "existed" : "not yet created"}`;
          killTree(child.pid!);
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      const killed = await done;
      console.log(`[failures e2e] 7: killed after ${killed.seconds.toFixed(1)}s (signal ${killed.signal}) while ${killedAt}`);
      expect(killed.signal).toBe("SIGKILL");

      const exported = await pulumiCli(f7, ["stack", "export"]);
      const pending =
        (
          JSON.parse(exported.stdout) as {
            deployment: { pending_operations?: Array<{ type: string; resource: { urn: string; inputs?: Record<string, unknown> } }> };
          }
        ).deployment.pending_operations ?? [];
      console.log(
        `[failures e2e] 7: pending operations after the kill: ${JSON.stringify(pending.map((p) => `${p.type} ${p.resource.urn.split("::").pop()}`))}`,
      );

      // 1. The lock: the killed CLI leaves the file backend's lock behind; without cancel the next
      // command is refused.
      const locked = await pulumiCli(f7, ["refresh", "--yes", "--skip-preview"]);
      console.log(
        `[failures e2e] 7: refresh before cancel exited ${locked.code}: ${quietLines(locked)
          .filter((l) => /lock|error/i.test(l))
          .slice(0, 2)
          .join(" | ")}`,
      );
      const cancel = await pulumiCli(f7, ["cancel", "--yes"]);
      console.log(`[failures e2e] 7: pulumi cancel exited ${cancel.code}: ${quietLines(cancel).slice(-2).join(" | ")}`);
      expect(cancel.code, cancel.stdout + cancel.stderr).toBe(0);

      // 2. refresh. Non-interactive, it keeps pending creates ("pulumi refresh will need to be run
      // interactively to clear pending CREATE operations") and the next up fails with "already
      // exists". --import-pending-creates <urn> <namespace/name> is accepted, but this CLI
      // (3.259) drops the op without adding the resource, so it behaves like
      // --clear-pending-creates, the explicit flag used here.
      const refresh = await pulumiCli(f7, ["refresh", "--yes", "--skip-preview", "--clear-pending-creates"]);
      console.log(
        `[failures e2e] 7: pulumi refresh --yes --clear-pending-creates exited ${refresh.code}: ${quietLines(refresh)
          .filter((l) => /pending|Resources|error|~ |- /i.test(l))
          .slice(0, 6)
          .join(" | ")}`,
      );
      expect(refresh.code, refresh.stdout + refresh.stderr).toBe(0);
      const afterRefresh = JSON.parse((await pulumiCli(f7, ["stack", "export"])).stdout) as { deployment: { pending_operations?: unknown[] } };
      expect(afterRefresh.deployment.pending_operations ?? []).toEqual([]);

      // 3a. A StatefulSet whose create was cut off (and reached the API server) is deleted with
      // --cascade=orphan (its pod and claim stay): the API server fills defaults into its
      // volumeClaimTemplates, an atomic list owned by the create's field manager, so the adopting
      // apply of the same manifest conflicts.
      const cutOffSets = pending.filter((p) => p.type === "creating" && p.resource.urn.includes("$kubernetes:apps/v1:StatefulSet::"));
      for (const p of cutOffSets) {
        const name = String((p.resource.inputs?.metadata as { name?: string } | undefined)?.name ?? "");
        expect(name, `the name of ${p.resource.urn}`).not.toBe("");
        // a pending create may not have reached the API server: then there is nothing to delete
        const out = kubectl("delete", "statefulset", name, "-n", NS, "--cascade=orphan", "--wait=true", "--ignore-not-found").trim();
        console.log(`[failures e2e] 7: cut-off StatefulSet ${name}: ${out || "not in the cluster, nothing to delete"} (README step 3a)`);
      }

      // 3. up. The object whose create was interrupted exists in the cluster but not in the state;
      // since pulumi-kubernetes 4.29 a create of an existing object fails, so this one up adopts
      // such objects (server-side apply over them) with the provider's environment switch.
      const plainUp = await pulumiCli(f7, ["preview", ...policyArgs(f7)]);
      console.log(
        `[failures e2e] 7: preview after refresh: ${quietLines(plainUp)
          .filter((l) => /create|Resources|to create|to update/i.test(l))
          .slice(0, 4)
          .join(" | ")}`,
      );
      const up = await run(path.join(toolchainBin(), "pulumi"), ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", "f7", ...policyArgs(f7)], {
        cwd: f7.workDir,
        env: childEnv(f7, { PULUMI_K8S_UPSERT_EXISTING_OBJECTS: "true" }),
      });
      console.log(
        `[failures e2e] 7: PULUMI_K8S_UPSERT_EXISTING_OBJECTS=true pulumi up exited ${up.code}: ${quietLines(up)
          .filter((l) => /pending|error|Resources|created|updated|replaced|unchanged|^\d+ /i.test(l))
          .slice(0, 8)
          .join(" | ")}`,
      );
      expect(up.code, up.stdout + up.stderr).toBe(0);
      await expectNoChanges(f7);
      expect(readyAppPods(NS)).toHaveLength(2);
      expect(deploymentImage(NS)).toBe(`${GOOD_REPO}@${digestOf("clickvote-f7")}`);
    });
  });
});
