import { beforeAll, describe, expect, it } from "vitest";
import { ProgramRun, runProgram } from "./harness";
import { containersOf, DIGEST_PINNED, get, Obj, podSpecOf, restrictedViolations, workloads } from "./workloads";

let run: ProgramRun;

beforeAll(async () => {
  run = await runProgram({ stack: "prod" });
});

describe("prod stack", () => {
  it("runs at least two replicas behind a PodDisruptionBudget", () => {
    const d = run.one("kubernetes:apps/v1:Deployment");
    expect(get(d.inputs, "spec.replicas")).toBe(3);
    const pdb = run.one("kubernetes:policy/v1:PodDisruptionBudget");
    expect(get(pdb.inputs, "spec.maxUnavailable")).toBe(1);
    expect(get(pdb.inputs, "spec.selector.matchLabels")).toEqual(get(d.inputs, "spec.selector.matchLabels"));
  });

  it("protects what holds data", () => {
    for (const name of ["postgres", "redis"]) {
      expect(run.one("kubernetes:apps/v1:StatefulSet", name).opts.protect, name).toBe(true);
      expect(run.one("random:index/randomPassword:RandomPassword", name).opts.protect, name).toBe(true);
    }
    expect(run.one("kubernetes:core/v1:Secret", "postgres-credentials").opts.protect).toBe(true);
    expect(run.one("kubernetes:core/v1:Namespace").opts.protect).toBe(true);
    const backups = run.one("kubernetes:core/v1:PersistentVolumeClaim", "backup");
    expect(backups.opts).toMatchObject({ protect: true, retainOnDelete: true });
    // Stateless parts stay replaceable.
    expect(run.one("kubernetes:apps/v1:Deployment").opts.protect).toBe(false);
    expect(run.one("kubernetes:batch/v1:Job").opts.protect).toBe(false);
  });

  it("uses the larger volumes of Pulumi.prod.yaml", () => {
    const size = (name: string) => get(run.one("kubernetes:apps/v1:StatefulSet", name).inputs, "spec.volumeClaimTemplates.0.spec.resources.requests.storage");
    expect(size("postgres")).toBe("20Gi");
    expect(size("redis")).toBe("5Gi");
  });

  it("exposes the app through an Ingress with TLS", () => {
    const ingress = run.one("kubernetes:networking.k8s.io/v1:Ingress");
    expect(get(ingress.inputs, "spec.tls.0")).toEqual({ hosts: ["vote.example.com"], secretName: "clickvote-tls" });
    expect(get(ingress.inputs, "spec.rules.0.http.paths.0.backend.service.name")).toBe("clickvote");
    expect(run.outputs.url).toBe("https://vote.example.com");
  });

  it("turns monitoring on with a ServiceMonitor on the metrics path", () => {
    const sm = run.one("kubernetes:monitoring.coreos.com/v1:ServiceMonitor");
    expect(get(sm.inputs, "spec.endpoints.0.path")).toBe("/metrics");
  });

  it("runs in production mode with info logs", () => {
    const settings = run.one("kubernetes:core/v1:ConfigMap", "environment-settings");
    expect(settings.inputs.data).toMatchObject({ APP_MODE: "production", LOG_LEVEL: "info" });
  });

  it("keeps every pod restricted and every image digest-pinned", () => {
    for (const w of workloads(run)) {
      expect(restrictedViolations(podSpecOf(w)), w.name).toEqual([]);
      for (const c of containersOf(podSpecOf(w))) expect(String((c as Obj).image)).toMatch(DIGEST_PINNED);
    }
  });
});
