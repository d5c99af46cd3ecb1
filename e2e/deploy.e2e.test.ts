// Issue 4: the real Pulumi engine against the local cluster, through the Automation API.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { EngineEvent } from "@pulumi/pulumi/automation";
import {
  changeCount,
  createStack,
  deleteNamespace,
  E2E_UNAVAILABLE,
  destroyAndRemove,
  digestOf,
  E2EStack,
  e2eSettings,
  KubeList,
  kubectlJson,
  ROOT,
  setSettings,
  steps,
} from "./lib";

const NAMESPACE = "clickvote-e2e";
// The CrossGuard pack runs wherever preview runs: every preview and up here goes through it.
const policyPacks = [path.join(ROOT, "policy")];
let e2e: E2EStack;

const record = (into: EngineEvent[]) => (e: EngineEvent) => into.push(e);

beforeAll(async () => {
  if (E2E_UNAVAILABLE) return;
  deleteNamespace(NAMESPACE);
  e2e = await createStack("e2e", e2eSettings());
});

afterAll(async () => {
  if (e2e) await destroyAndRemove(e2e);
  deleteNamespace(NAMESPACE);
});

const EXPECTED_TYPES = [
  "clickvote:index:Clickvote",
  "kubernetes:core/v1:Namespace",
  "kubernetes:apps/v1:StatefulSet",
  "kubernetes:batch/v1:Job",
  "kubernetes:apps/v1:Deployment",
  "kubernetes:core/v1:Service",
  "kubernetes:batch/v1:CronJob",
  "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  "random:index/randomPassword:RandomPassword",
];

describe.skipIf(E2E_UNAVAILABLE)(`end to end on the local cluster${E2E_UNAVAILABLE ? ` (skipped: ${E2E_UNAVAILABLE})` : ""}`, () => {
  it("1. preview of the empty stack succeeds and lists the expected resources", async () => {
    const events: EngineEvent[] = [];
    const result = await e2e.stack.preview({ onEvent: record(events), policyPacks });
    const planned = steps(events).filter((s) => s.kind === "pre" && s.op === "create");
    const types = new Set(planned.map((s) => s.type));
    for (const t of EXPECTED_TYPES) expect(types, t).toContain(t);
    // Step events and the summary differ only by the stack and default providers.
    expect(Math.abs((result.changeSummary.create ?? 0) - planned.length)).toBeLessThanOrEqual(3);
    expect(planned.length).toBeGreaterThanOrEqual(35);
    expect(planned.filter((s) => s.type === "kubernetes:apps/v1:StatefulSet")).toHaveLength(2);
  });

  it("2. up creates everything; the migration Job completes before the Deployment is created; pods are admitted as restricted", async () => {
    const events: EngineEvent[] = [];
    let output = "";
    const result = await e2e.stack.up({ onEvent: record(events), onOutput: (o) => (output += o), policyPacks });
    expect(result.summary.result).toBe("succeeded");
    // The guardrails pack ran and passed (its rules are mandatory: a violation fails the update).
    expect(output).toMatch(/✅ clickvote-guardrails@v[\d.]+/);
    expect(events.filter((e) => e.policyEvent?.enforcementLevel === "mandatory")).toEqual([]);
    const s = steps(events);
    const jobDone = s.find((x) => x.type === "kubernetes:batch/v1:Job" && x.kind === "outputs");
    const deploymentStart = s.find((x) => x.type === "kubernetes:apps/v1:Deployment" && x.kind === "pre");
    const postgresReady = s.find((x) => x.type === "kubernetes:apps/v1:StatefulSet" && x.kind === "outputs" && x.urn.includes("postgres"));
    expect(jobDone && deploymentStart && postgresReady).toBeTruthy();
    expect(postgresReady!.sequence).toBeLessThan(s.find((x) => x.type === "kubernetes:batch/v1:Job" && x.kind === "pre")!.sequence);
    expect(jobDone!.sequence).toBeLessThan(deploymentStart!.sequence);

    // Cluster timestamps agree: the Job completed no later than the Deployment was created.
    const job = kubectlJson<KubeList>("get", "jobs", "-n", NAMESPACE).items.find((j) => j.metadata.name.startsWith("clickvote-migrate-"))!;
    const deployment = kubectlJson<KubeList>("get", "deployments", "-n", NAMESPACE).items[0];
    expect(Date.parse(String(job.status!.completionTime))).toBeLessThanOrEqual(Date.parse(deployment.metadata.creationTimestamp));

    // The namespace enforces "restricted"; a pod that broke it would have been refused, so every
    // workload having its pods proves admission.
    const ns = kubectlJson<{ metadata: { labels: Record<string, string> } }>("get", "namespace", NAMESPACE);
    expect(ns.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    const pods = kubectlJson<KubeList>("get", "pods", "-n", NAMESPACE).items;
    const components = new Set(pods.map((p) => p.metadata.labels?.["app.kubernetes.io/component"]));
    for (const c of ["app", "postgres", "redis", "migration"]) expect(components, c).toContain(c);
    const refused = kubectlJson<KubeList>("get", "events", "-n", NAMESPACE).items.filter(
      (e) => (e as unknown as { reason?: string }).reason === "FailedCreate",
    );
    expect(refused.map((e) => (e as unknown as { message?: string }).message)).toEqual([]);
    // Claims bound to volumes.
    const claims = kubectlJson<KubeList>("get", "pvc", "-n", NAMESPACE).items;
    const phases = Object.fromEntries(claims.map((c) => [c.metadata.name, c.status?.phase]));
    expect(phases["data-clickvote-postgres-0"]).toBe("Bound");
    expect(phases["data-clickvote-redis-0"]).toBe("Bound");
  });

  it("3. a second preview reports no changes and a second up changes nothing", async () => {
    const preview = await e2e.stack.preview({ diff: true, policyPacks });
    expect(changeCount(preview.changeSummary as Record<string, number>), JSON.stringify(preview.changeSummary)).toBe(0);
    const before = kubectlJson<KubeList>("get", "deployments,statefulsets,jobs", "-n", NAMESPACE).items.map((i) => i.metadata.resourceVersion);
    const up = await e2e.stack.up({ policyPacks });
    expect(changeCount(up.summary.resourceChanges as Record<string, number>), JSON.stringify(up.summary.resourceChanges)).toBe(0);
    const after = kubectlJson<KubeList>("get", "deployments,statefulsets,jobs", "-n", NAMESPACE).items.map((i) => i.metadata.resourceVersion);
    expect(after).toEqual(before);
    // The backend URL's metadata=skip (Pulumi.yaml, e2e/lib.ts) took: after a preview and two ups,
    // the state holds no .attrs sidecar, whose non-atomic rewrite races the program's read of its
    // own stack's outputs ("failed to load checkpoint: EOF").
    const files = fs.readdirSync(path.join(e2e.stateDir, "backend"), { recursive: true }).map(String);
    expect(
      files.some((f) => f.endsWith(path.join("stacks", "clickvote", `${e2e.stack.name}.json`))),
      files.join(" "),
    ).toBe(true);
    expect(files.filter((f) => f.endsWith(".attrs"))).toEqual([]);
  });

  it("4. a new digest: the new migration Job completes before the pod template changes; data services untouched", async () => {
    const dataBefore = kubectlJson<KubeList>("get", "statefulsets,pvc", "-n", NAMESPACE).items.map((i) => [i.metadata.uid, i.metadata.resourceVersion]);
    await setSettings(e2e.stack, { imageDigest: digestOf("clickvote-e2e-release-2") });
    const events: EngineEvent[] = [];
    const result = await e2e.stack.up({ onEvent: record(events), policyPacks });
    expect(result.summary.result).toBe("succeeded");
    const s = steps(events);
    const newJobDone = s.find(
      (x) => x.type === "kubernetes:batch/v1:Job" && x.kind === "outputs" && ["create-replacement", "replace", "create"].includes(x.op),
    );
    const deploymentUpdate = s.find((x) => x.type === "kubernetes:apps/v1:Deployment" && x.kind === "pre" && x.op === "update");
    expect(newJobDone, "a new Job ran").toBeTruthy();
    expect(deploymentUpdate, "the Deployment was updated").toBeTruthy();
    expect(newJobDone!.sequence).toBeLessThan(deploymentUpdate!.sequence);
    const touched = s.filter((x) => x.kind === "pre" && x.op !== "same" && /StatefulSet|RandomPassword|PersistentVolumeClaim/.test(x.type));
    expect(touched.map((x) => `${x.op} ${x.urn}`)).toEqual([]);
    const dataAfter = kubectlJson<KubeList>("get", "statefulsets,pvc", "-n", NAMESPACE).items.map((i) => [i.metadata.uid, i.metadata.resourceVersion]);
    expect(dataAfter.map(([uid]) => uid)).toEqual(dataBefore.map(([uid]) => uid));
    const image = (
      kubectlJson<KubeList>("get", "deployments", "-n", NAMESPACE).items[0].spec as { template: { spec: { containers: Array<{ image: string }> } } }
    ).template.spec.containers[0].image;
    expect(image).toBe(`ghcr.io/clickvote/clickvote@${digestOf("clickvote-e2e-release-2")}`);
    // The old release's Job was replaced (deleted), not left behind.
    const jobs = kubectlJson<KubeList>("get", "jobs", "-n", NAMESPACE).items.map((j) => j.metadata.name);
    expect(jobs).toHaveLength(1);
  });

  it("5. a bad config fails the preview with the validation message and leaves the cluster unchanged", async () => {
    const before = kubectlJson<KubeList>("get", "all", "-n", NAMESPACE)
      .items.map((i) => `${i.metadata.name}@${i.metadata.resourceVersion}`)
      .sort();
    await setSettings(e2e.stack, { appReplicas: "0", postgresStorageSize: "lots" });
    let message = "";
    try {
      await e2e.stack.up();
    } catch (err) {
      message = String(err instanceof Error ? err.message : err);
    }
    expect(message).toContain("clickvote:appReplicas: must be an integer from 1 to 20");
    expect(message).toContain("clickvote:postgresStorageSize");
    const after = kubectlJson<KubeList>("get", "all", "-n", NAMESPACE)
      .items.map((i) => `${i.metadata.name}@${i.metadata.resourceVersion}`)
      .sort();
    expect(after).toEqual(before);
    await setSettings(e2e.stack, { appReplicas: "1", postgresStorageSize: "1Gi" });
  });
});
