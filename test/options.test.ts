import { describe, expect, it } from "vitest";
import { runProgram } from "./harness";
import { get, Obj } from "./workloads";

const DIGEST = `sha256:${"cd34".repeat(16)}`;
const digestMode = { imageMode: "digest", imageDigest: DIGEST };

describe("optional features", () => {
  it("an HPA takes over the replica count: no replicas in the Deployment, and Pulumi ignores it", async () => {
    const run = await runProgram({ stack: "dev", overrides: { ...digestMode, hpaEnabled: "true", hpaMinReplicas: "2", hpaMaxReplicas: "5" } });
    const deployment = run.one("kubernetes:apps/v1:Deployment");
    expect(get(deployment.inputs, "spec.replicas")).toBeUndefined();
    expect(deployment.opts.ignoreChanges).toContain("spec.replicas");
    const hpa = run.one("kubernetes:autoscaling/v2:HorizontalPodAutoscaler");
    expect(get(hpa.inputs, "spec.minReplicas")).toBe(2);
    expect(get(hpa.inputs, "spec.maxReplicas")).toBe(5);
    expect(get(hpa.inputs, "spec.scaleTargetRef")).toMatchObject({ kind: "Deployment", name: "clickvote-app" });
    // More than one pod at minimum: the disruption budget comes with it.
    expect(run.byType("kubernetes:policy/v1:PodDisruptionBudget")).toHaveLength(1);
  });

  it("ClusterIP Services are not awaited themselves (their backends are, as the workloads); a LoadBalancer keeps the provider's wait", async () => {
    const run = await runProgram({ stack: "dev", overrides: digestMode });
    const services = run.byType("kubernetes:core/v1:Service");
    const awaited = services.filter((s) => get(s.inputs, "spec.clusterIP") !== "None");
    expect(awaited.map((s) => get(s.inputs, "metadata.name")).sort()).toEqual(["clickvote", "clickvote-postgres", "clickvote-redis"]);
    for (const s of awaited) expect(get(s.inputs, "metadata.annotations"), String(get(s.inputs, "metadata.name"))).toEqual({ "pulumi.com/skipAwait": "true" });
    const lb = await runProgram({ stack: "dev", overrides: { ...digestMode, serviceType: "LoadBalancer", networkPolicyAppClientCidrs: '["192.0.2.0/24"]' } });
    const app = lb.byType("kubernetes:core/v1:Service").find((s) => get(s.inputs, "metadata.name") === "clickvote");
    expect(get(app?.inputs ?? {}, "spec.type")).toBe("LoadBalancer");
    expect(get(app?.inputs ?? {}, "metadata.annotations")).toBeUndefined();
  });

  it("dev scrapes by annotations on the pod template", async () => {
    const run = await runProgram({ stack: "dev", overrides: digestMode });
    const annotations = get(run.one("kubernetes:apps/v1:Deployment").inputs, "spec.template.metadata.annotations") as Obj;
    expect(annotations).toMatchObject({ "prometheus.io/scrape": "true", "prometheus.io/port": "8080", "prometheus.io/path": "/metrics" });
    expect(run.byType("kubernetes:monitoring.coreos.com/v1:ServiceMonitor")).toHaveLength(0);
  });

  it("monitoring none, no network policies, no backups: those objects are left out", async () => {
    const run = await runProgram({
      stack: "dev",
      overrides: { ...digestMode, monitoring: "none", networkPolicyEnabled: "false", backupEnabled: "false" },
    });
    expect(get(run.one("kubernetes:apps/v1:Deployment").inputs, "spec.template.metadata.annotations")).toEqual({});
    expect(run.byType("kubernetes:networking.k8s.io/v1:NetworkPolicy")).toHaveLength(0);
    expect(run.byType("kubernetes:batch/v1:CronJob")).toHaveLength(0);
    expect(run.byType("kubernetes:core/v1:PersistentVolumeClaim")).toHaveLength(0);
  });

  it("an existing namespace is used as is, not created or labelled", async () => {
    const run = await runProgram({ stack: "dev", overrides: { ...digestMode, createNamespace: "false", namespace: "shared-apps" } });
    expect(run.byType("kubernetes:core/v1:Namespace")).toHaveLength(0);
    expect(get(run.one("kubernetes:apps/v1:Deployment").inputs, "metadata.namespace")).toBe("shared-apps");
    expect(run.outputs.namespace).toBe("shared-apps");
  });

  it("a LoadBalancer Service only when the config asks for one", async () => {
    const run = await runProgram({ stack: "dev", overrides: { ...digestMode, serviceType: "LoadBalancer", networkPolicyAppClientCidrs: '["0.0.0.0/0"]' } });
    expect(get(run.one("kubernetes:core/v1:Service", "app-service").inputs, "spec.type")).toBe("LoadBalancer");
  });
});
