import { beforeAll, describe, expect, it } from "vitest";
import { GHCR_HOST } from "../components/oci";
import { plainStrings, ProgramRun, runProgram } from "./harness";
import { containersOf, DIGEST_PINNED, get, Obj, podSpecOf, restrictedViolations, workloads } from "./workloads";

let run: ProgramRun;
/** The dev stack with the repository CI gives it (ci/lib.ts: the GHCR repository of GITHUB_REPOSITORY). */
let ciRun: ProgramRun;
const GH_TOKEN = "ghp_devstacktesttoken0123456789";
const CI_REPOSITORY = `${GHCR_HOST}/clickvote/clickvote`;

beforeAll(async () => {
  // The committed dev stack, with GitHub credentials in the environment as on a developer's machine or in CI.
  run = await runProgram({ stack: "dev", env: { GITHUB_TOKEN: GH_TOKEN, GITHUB_ACTOR: "octocat" } });
});

beforeAll(async () => {
  ciRun = await runProgram({ stack: "dev", overrides: { imageRepository: CI_REPOSITORY }, env: { GITHUB_TOKEN: GH_TOKEN, GITHUB_ACTOR: "octocat" } });
});

const urnOf = (type: string, nameIncludes?: string) => run.one(type, nameIncludes).urn;

describe("dev stack resource set", () => {
  it("declares one component per concern under the Clickvote component", () => {
    const components = run.resources
      .filter((r) => r.type.startsWith("clickvote:"))
      .map((r) => r.type)
      .sort();
    expect(components).toEqual([
      "clickvote:index:App",
      "clickvote:index:AppEnvironment",
      "clickvote:index:Clickvote",
      "clickvote:index:Image",
      "clickvote:index:Migration",
      "clickvote:index:NetworkPolicies",
      "clickvote:index:Postgres",
      "clickvote:index:PostgresBackup",
      "clickvote:index:Redis",
    ]);
    const root = run.one("clickvote:index:Clickvote");
    for (const r of run.resources) {
      if (r !== root && r.type !== "pulumi:pulumi:Stack") expect(r.opts.parent, `${r.name} has a parent`).toBeTruthy();
    }
  });

  it("has exactly the Kubernetes objects dev needs", () => {
    const count = (type: string) => run.byType(type).length;
    expect(count("kubernetes:core/v1:Namespace")).toBe(1);
    expect(count("kubernetes:apps/v1:StatefulSet")).toBe(2);
    expect(count("kubernetes:apps/v1:Deployment")).toBe(1);
    expect(count("kubernetes:batch/v1:Job")).toBe(1);
    expect(count("kubernetes:batch/v1:CronJob")).toBe(1);
    expect(count("kubernetes:policy/v1:PodDisruptionBudget")).toBe(0);
    expect(count("kubernetes:networking.k8s.io/v1:Ingress")).toBe(0);
    expect(count("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")).toBe(0);
    expect(count("docker-build:index:Image")).toBe(1);
    expect(count("random:index/randomPassword:RandomPassword")).toBe(2);
    expect(count("kubernetes:networking.k8s.io/v1:NetworkPolicy")).toBeGreaterThanOrEqual(5);
  });

  it("runs one app replica in development mode", () => {
    const deployment = run.one("kubernetes:apps/v1:Deployment");
    expect(get(deployment.inputs, "spec.replicas")).toBe(1);
    const settings = run.one("kubernetes:core/v1:ConfigMap", "environment-settings");
    expect(settings.inputs.data).toMatchObject({ APP_MODE: "development", LOG_LEVEL: "debug", PORT: "8080" });
  });

  it("labels the namespace for the restricted Pod Security Standard", () => {
    const labels = get(run.one("kubernetes:core/v1:Namespace").inputs, "metadata.labels") as Obj;
    expect(labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
  });
});

describe("images", () => {
  it("builds multi-arch into the local registry of `npm run dev:cluster`, with a registry cache there, the release tag and OCI labels", () => {
    const image = run.one("docker-build:index:Image");
    expect(image.inputs.platforms).toEqual(["linux/amd64", "linux/arm64"]);
    expect(image.inputs.push).toBe(true);
    expect(image.inputs.tags).toEqual(["localhost:5001/clickvote:0.1.0-dev"]);
    expect(get(image.inputs, "cacheFrom.0.registry.ref")).toBe("localhost:5001/clickvote:buildcache");
    expect(get(image.inputs, "cacheTo.0.registry.mode")).toBe("max");
    const labels = image.inputs.labels as Obj;
    expect(labels["org.opencontainers.image.version"]).toBe("0.1.0-dev");
    // A local registry says nothing about where the source lives: no source label unless sourceUrl sets one.
    expect(labels["org.opencontainers.image.source"]).toBeUndefined();
    expect(labels["org.opencontainers.image.revision"]).toBeDefined();
    expect(String(get(image.inputs, "dockerfile.location"))).toMatch(/app\/Dockerfile$/);
  });

  it("with the repository CI gives it, builds to GHCR with a GHCR registry cache and the GitHub source label", () => {
    const image = ciRun.one("docker-build:index:Image");
    expect(image.inputs.tags).toEqual([`${CI_REPOSITORY}:0.1.0-dev`]);
    expect(get(image.inputs, "cacheFrom.0.registry.ref")).toBe(`${CI_REPOSITORY}:buildcache`);
    expect((image.inputs.labels as Obj)["org.opencontainers.image.source"]).toBe("https://github.com/clickvote/clickvote");
    expect(String(ciRun.outputs.imageRef)).toMatch(new RegExp(`^${CI_REPOSITORY.replace(/\./g, "\\.")}@sha256:[a-f0-9]{64}$`));
  });

  it("pins every container image by digest", () => {
    const images = workloads(run).flatMap((w) => containersOf(podSpecOf(w)).map((c) => `${w.name}/${String(c.name)}=${String(c.image)}`));
    expect(images.length).toBeGreaterThanOrEqual(6);
    for (const entry of images) expect(entry).toMatch(DIGEST_PINNED);
    expect(String(run.outputs.imageRef)).toMatch(/^localhost:5001\/clickvote@sha256:[a-f0-9]{64}$/);
  });

  it("runs the app and the migration from the same pushed digest", () => {
    const app = containersOf(podSpecOf(run.one("kubernetes:apps/v1:Deployment")))[0];
    const migrate = containersOf(podSpecOf(run.one("kubernetes:batch/v1:Job")))[0];
    expect(app.image).toBe(run.outputs.imageRef);
    expect(migrate.image).toBe(run.outputs.imageRef);
    expect(migrate.command).toEqual(["node", "dist/migrate.js"]);
  });
});

describe("release order comes from the dependency graph", () => {
  it("the Deployment depends on the migration Job", () => {
    const deployment = run.one("kubernetes:apps/v1:Deployment");
    expect(deployment.opts.dependsOn).toContain(urnOf("kubernetes:batch/v1:Job"));
  });

  it("the migration Job depends on the PostgreSQL StatefulSet", () => {
    const job = run.one("kubernetes:batch/v1:Job");
    expect(job.opts.dependsOn).toContain(urnOf("kubernetes:apps/v1:StatefulSet", "postgres"));
    expect(job.opts.dependsOn).not.toContain(urnOf("kubernetes:apps/v1:Deployment"));
  });

  it("the Deployment also waits for Redis", () => {
    const app = run.one("clickvote:index:App");
    expect(app.opts.dependsOn).toContain(urnOf("kubernetes:apps/v1:StatefulSet", "redis"));
  });

  it("every waiting resource has an explicit timeout", () => {
    for (const w of run.resources.filter((r) => /:(Deployment|StatefulSet|Job)$/.test(r.type))) {
      expect(w.opts.customTimeouts?.create, w.name).toMatch(/^\d+s$/);
      expect(w.opts.customTimeouts?.update, w.name).toMatch(/^\d+s$/);
    }
    expect(run.one("kubernetes:apps/v1:Deployment").opts.customTimeouts?.update).toBe("180s");
  });

  it("the migration Job has a backoff limit, a deadline, no TTL and a per-digest name", () => {
    const job = run.one("kubernetes:batch/v1:Job");
    expect(get(job.inputs, "spec.backoffLimit")).toBe(2);
    expect(get(job.inputs, "spec.activeDeadlineSeconds")).toBe(300);
    expect(get(job.inputs, "spec.ttlSecondsAfterFinished")).toBeUndefined();
    const digest = String(run.outputs.imageRef).split("@sha256:")[1];
    expect(get(job.inputs, "metadata.name")).toBe(`clickvote-migrate-${digest.slice(0, 12)}`);
  });
});

describe("zero-downtime rollout settings", () => {
  it("surges without unavailability and probes the contract paths", () => {
    const d = run.one("kubernetes:apps/v1:Deployment");
    expect(get(d.inputs, "spec.strategy.rollingUpdate")).toEqual({ maxUnavailable: 0, maxSurge: 1 });
    const c = containersOf(podSpecOf(d))[0];
    expect(get(c, "readinessProbe.httpGet.path")).toBe("/readyz");
    expect(get(c, "livenessProbe.httpGet.path")).toBe("/healthz");
    expect(get(c, "startupProbe.httpGet.path")).toBe("/healthz");
    expect(get(c, "lifecycle.preStop.sleep.seconds")).toBe(5);
    // preStop + the service's drain fit in the grace period.
    expect(podSpecOf(d).terminationGracePeriodSeconds).toBeGreaterThan(5 + 20);
    expect(podSpecOf(d).topologySpreadConstraints).toHaveLength(2);
    expect(get(c, "resources.limits.memory")).toBe("256Mi");
  });
});

describe("data safety", () => {
  it("StatefulSets have fixed names, retain their claims and replace delete-first", () => {
    for (const name of ["postgres", "redis"]) {
      const s = run.one("kubernetes:apps/v1:StatefulSet", name);
      expect(get(s.inputs, "metadata.name")).toBe(`clickvote-${name}`);
      expect(get(s.inputs, "spec.persistentVolumeClaimRetentionPolicy")).toEqual({ whenDeleted: "Retain", whenScaled: "Retain" });
      expect(get(s.inputs, "spec.volumeClaimTemplates.0.metadata.name")).toBe("data");
      expect(s.opts.deleteBeforeReplace).toBe(true);
      expect(s.opts.protect).toBe(false);
    }
    expect(run.outputs.dataVolumeClaims).toEqual(["data-clickvote-postgres-0", "data-clickvote-redis-0"]);
  });

  it("destroy keeps the namespace (which would take the claims with it) and the backup volume", () => {
    expect(run.one("kubernetes:core/v1:Namespace").opts.retainOnDelete).toBe(true);
    expect(run.one("kubernetes:core/v1:PersistentVolumeClaim", "backup").opts.retainOnDelete).toBe(true);
  });

  it("retained objects are created through the upserting provider, so the next up adopts them", () => {
    const provider = run.one("pulumi:providers:kubernetes");
    expect(provider.inputs.upsertExistingObjects).toBe("true");
    const adopting = (r: { opts: { provider?: string } }) => r.opts.provider?.startsWith(provider.urn) ?? false;
    expect(adopting(run.one("kubernetes:core/v1:Namespace"))).toBe(true);
    expect(adopting(run.one("kubernetes:core/v1:PersistentVolumeClaim", "backup"))).toBe(true);
    // Nothing else may upsert: a renamed resource would otherwise delete what it adopted.
    expect(adopting(run.one("kubernetes:apps/v1:Deployment"))).toBe(false);
    expect(adopting(run.one("kubernetes:apps/v1:StatefulSet", "postgres"))).toBe(false);
  });

  it("Redis persists with append-only files and never evicts", () => {
    const s = run.one("kubernetes:apps/v1:StatefulSet", "redis");
    expect(containersOf(podSpecOf(s))[0].command).toEqual(["redis-server", "/etc/redis/redis.conf"]);
    const stringData = get(run.one("kubernetes:core/v1:Secret", "redis-config").inputs, "stringData") as Obj;
    const conf = String(stringData["redis.conf"]);
    expect(conf).toMatch(/^appendonly yes$/m);
    expect(conf).toMatch(/^maxmemory-policy noeviction$/m);
    expect(conf).toMatch(/^requirepass \S{32}$/m);
  });

  it("PostgreSQL gets pg_isready probes and an in-memory /dev/shm", () => {
    const spec = podSpecOf(run.one("kubernetes:apps/v1:StatefulSet", "postgres"));
    const pg = containersOf(spec).find((c) => c.name === "postgres") as Obj;
    expect((get(pg, "readinessProbe.exec.command") as string[])[0]).toBe("pg_isready");
    expect((spec.volumes as Obj[]).find((v) => v.name === "shm")).toMatchObject({ emptyDir: { medium: "Memory" } });
  });
});

describe("pod security", () => {
  it("every pod meets the restricted Pod Security Standard", () => {
    const all = workloads(run);
    expect(all.length).toBe(5);
    for (const w of all) expect(restrictedViolations(podSpecOf(w)), w.name).toEqual([]);
  });

  it("the checker itself catches violations", () => {
    expect(restrictedViolations({ containers: [{ name: "x", securityContext: {} }] })).toHaveLength(4);
    expect(restrictedViolations({ hostNetwork: true, volumes: [{ name: "h", hostPath: { path: "/" } }], containers: [] })).toHaveLength(2);
  });
});

describe("secrets", () => {
  it("no generated password or token appears in plain text in any resource input", () => {
    expect(run.generatedSecrets).toHaveLength(2);
    const needles = [...run.generatedSecrets, GH_TOKEN];
    for (const r of run.resources) {
      const plain = plainStrings(r.rawProps).join("\n");
      for (const secret of needles) expect(plain.includes(secret), `${r.type} ${r.name} leaks a secret`).toBe(false);
    }
    // The values are there, only encrypted: the URLs do embed the password.
    const env = run.one("kubernetes:core/v1:Secret", "environment-secrets");
    expect(String(get(env.inputs, "stringData.DATABASE_URL"))).toContain(run.generatedSecrets[0]);
    expect(String(get(env.inputs, "stringData.REDIS_URL"))).toMatch(/^redis:\/\/default:/);
  });

  it("the committed dev stack pushes to its local registry with no credentials, GITHUB_TOKEN set or not", () => {
    const image = run.one("docker-build:index:Image");
    expect(get(image.inputs, "registries.0")).toBeUndefined();
  });

  it("on GHCR (the repository CI gives it), the registry token from GITHUB_TOKEN reaches the build only as a secret", () => {
    const image = ciRun.one("docker-build:index:Image");
    expect(get(image.inputs, "registries.0")).toMatchObject({ address: GHCR_HOST, username: "octocat", password: GH_TOKEN });
    for (const r of ciRun.resources) expect(plainStrings(r.rawProps).join("\n").includes(GH_TOKEN), `${r.type} ${r.name} leaks the token`).toBe(false);
  });

  it("container env takes credentials from Secrets, never literal values", () => {
    for (const w of workloads(run)) {
      for (const c of containersOf(podSpecOf(w))) {
        for (const e of (c.env as Obj[] | undefined) ?? []) {
          if (/PASSWORD|SECRET|TOKEN|_URL|AUTH/.test(String(e.name))) {
            expect(e.value, `${w.name}/${String(c.name)} ${String(e.name)}`).toBeUndefined();
            expect(get(e, "valueFrom.secretKeyRef.name")).toBeTruthy();
          }
        }
      }
    }
  });

  it("stack outputs carry no secret", () => {
    const text = JSON.stringify(run.outputs);
    for (const secret of run.generatedSecrets) expect(text).not.toContain(secret);
  });
});

describe("the image build matches app/Dockerfile", () => {
  it("passes exactly the build arguments the Dockerfile declares", async () => {
    const fs = await import("node:fs");
    const path = await import("node:path");
    const dockerfile = fs.readFileSync(path.join(__dirname, "..", "app", "Dockerfile"), "utf8");
    const declared = [...dockerfile.matchAll(/^ARG (\w+)/gm)].map((m) => m[1]);
    const passed = Object.keys(run.one("docker-build:index:Image").inputs.buildArgs as Obj);
    for (const arg of passed) expect(declared, `build arg ${arg}`).toContain(arg);
  });
});
