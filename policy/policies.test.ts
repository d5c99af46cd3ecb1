// Unit tests of every CrossGuard policy in policies.ts, with passing and failing inputs,
// called directly (no Pulumi CLI, no analyzer server).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
  dataVolumesRetained,
  disruptionBudgets,
  imageDigestPinned,
  imageNotDenied,
  noPlainTextSecrets,
  podSecurityRestricted,
  policies,
  protectRequired,
  readinessProbes,
  resourceRequestsLimits,
  selectorMatches,
  serviceTypes,
  stackOfUrn,
} from "./policies";
import { checkResource, checkStack, Obj, policyResource, TestResource } from "./test-helpers";
import { deniedImageDigests, policyConfigFor } from "../tools/policy-config";

const ROOT = path.resolve(__dirname, "..");
const DIGEST = "sha256:" + "a".repeat(64);
const IMAGE = `ghcr.io/clickvote/clickvote@${DIGEST}`;
const LABELS = { "app.kubernetes.io/name": "clickvote", "app.kubernetes.io/component": "app" };

function container(name = "app", overrides: Obj = {}): Obj {
  return {
    name,
    image: IMAGE,
    securityContext: {
      allowPrivilegeEscalation: false,
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    },
    resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "128Mi" } },
    readinessProbe: { httpGet: { path: "/readyz", port: 8080 } },
    ...overrides,
  };
}

function podSpec(overrides: Obj = {}): Obj {
  return {
    securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } },
    containers: [container()],
    volumes: [{ name: "tmp", emptyDir: {} }],
    ...overrides,
  };
}

const deployment = (spec: Obj = podSpec(), extra: Obj = {}): TestResource => ({
  type: "kubernetes:apps/v1:Deployment",
  name: "app",
  props: {
    metadata: { name: "clickvote-app", namespace: "clickvote" },
    spec: { replicas: 1, selector: { matchLabels: LABELS }, template: { metadata: { labels: LABELS }, spec }, ...extra },
  },
});
const statefulSet = (spec: Obj = podSpec(), extra: Obj = {}, opts: TestResource["opts"] = {}): TestResource => ({
  type: "kubernetes:apps/v1:StatefulSet",
  name: "postgres",
  props: { metadata: { name: "clickvote-postgres", namespace: "clickvote" }, spec: { template: { spec }, ...extra } },
  opts,
});
const job = (spec: Obj = podSpec()): TestResource => ({ type: "kubernetes:batch/v1:Job", props: { spec: { template: { spec } } } });
const cronJob = (spec: Obj = podSpec()): TestResource => ({
  type: "kubernetes:batch/v1:CronJob",
  props: { spec: { schedule: "* * * * *", jobTemplate: { spec: { template: { spec } } } } },
});
const pod = (spec: Obj = podSpec()): TestResource => ({ type: "kubernetes:core/v1:Pod", props: { spec } });
const ALL_WORKLOADS = { deployment, statefulSet, job, cronJob, pod };

describe("the pack", () => {
  it("has uniquely named policies, the safety ones mandatory", () => {
    const names = policies.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual([
      "pod-security-restricted",
      "container-resources",
      "image-digest-pinned",
      "image-not-denied",
      "readiness-probe",
      "no-plaintext-secret-env",
      "service-type-allowed",
      "pod-disruption-budget",
      "data-volumes-retained",
    ]);
    for (const p of policies) expect(p.enforcementLevel, p.name).toBe("mandatory");
  });

  it("depends on the same @pulumi/policy and @pulumi/pulumi versions as the program", () => {
    const root = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    const pack = JSON.parse(fs.readFileSync(path.join(ROOT, "policy/package.json"), "utf8"));
    const rootVersions = { ...root.dependencies, ...root.devDependencies };
    expect(pack.dependencies["@pulumi/policy"]).toBe(rootVersions["@pulumi/policy"]);
    expect(pack.dependencies["@pulumi/pulumi"]).toBe(rootVersions["@pulumi/pulumi"]);
    expect(fs.readFileSync(path.join(ROOT, "policy/PulumiPolicy.yaml"), "utf8")).toMatch(/^runtime: nodejs$/m);
    expect(fs.readFileSync(path.join(ROOT, "policy/index.ts"), "utf8")).toMatch(/new PolicyPack\(/);
  });
});

describe("pod-security-restricted", () => {
  for (const [kind, make] of Object.entries(ALL_WORKLOADS)) {
    it(`passes a restricted ${kind}`, async () => {
      expect(await checkResource(podSecurityRestricted, make())).toEqual([]);
    });
  }

  const bad: [string, Obj, RegExp][] = [
    [
      "runAsNonRoot missing",
      podSpec({
        securityContext: { seccompProfile: { type: "RuntimeDefault" } },
        containers: [container("app", { securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } })],
      }),
      /runAsNonRoot must be true/,
    ],
    ["runAsUser 0", podSpec({ securityContext: { runAsNonRoot: true, runAsUser: 0, seccompProfile: { type: "RuntimeDefault" } } }), /runAsUser must not be 0/],
    [
      "allowPrivilegeEscalation unset",
      podSpec({ containers: [container("app", { securityContext: { runAsNonRoot: true, capabilities: { drop: ["ALL"] } } })] }),
      /allowPrivilegeEscalation must be false/,
    ],
    [
      "capabilities not dropped",
      podSpec({ containers: [container("app", { securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["NET_RAW"] } } })] }),
      /drop must include ALL/,
    ],
    [
      "capability added",
      podSpec({
        containers: [container("app", { securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"], add: ["SYS_ADMIN"] } } })],
      }),
      /must not add capability SYS_ADMIN/,
    ],
    [
      "seccomp Unconfined",
      podSpec({
        securityContext: { runAsNonRoot: true, seccompProfile: { type: "Unconfined" } },
        containers: [container("app", { securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } })],
      }),
      /seccompProfile.type must be RuntimeDefault/,
    ],
    [
      "seccomp missing",
      podSpec({
        securityContext: { runAsNonRoot: true },
        containers: [container("app", { securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } })],
      }),
      /seccompProfile.type must be RuntimeDefault or Localhost \(is undefined\)/,
    ],
    [
      "privileged",
      podSpec({ containers: [container("app", { securityContext: { ...(container().securityContext as Obj), privileged: true } })] }),
      /privileged must not be true/,
    ],
    ["hostNetwork", podSpec({ hostNetwork: true }), /hostNetwork must not be true/],
    ["hostPID", podSpec({ hostPID: true }), /hostPID must not be true/],
    ["hostIPC", podSpec({ hostIPC: true }), /hostIPC must not be true/],
    ["hostPath volume", podSpec({ volumes: [{ name: "host", hostPath: { path: "/var/run/docker.sock" } }] }), /volume 'host' uses hostPath/],
    ["hostPort", podSpec({ containers: [container("app", { ports: [{ containerPort: 8080, hostPort: 80 }] })] }), /hostPort 80 is forbidden/],
    [
      "init container not restricted",
      podSpec({ initContainers: [container("init", { securityContext: {} })] }),
      /initContainer 'init': securityContext.allowPrivilegeEscalation must be false/,
    ],
    [
      "procMount Unmasked",
      podSpec({ containers: [container("app", { securityContext: { ...(container().securityContext as Obj), procMount: "Unmasked" } })] }),
      /procMount must be Default/,
    ],
  ];
  for (const [what, spec, message] of bad) {
    it(`fails on ${what}`, async () => {
      const found = await checkResource(podSecurityRestricted, deployment(spec));
      expect(found.join("\n")).toMatch(message);
    });
  }

  for (const [kind, make] of Object.entries(ALL_WORKLOADS)) {
    it(`finds a privileged container in a ${kind}`, async () => {
      const spec = podSpec({ containers: [container("app", { securityContext: { ...(container().securityContext as Obj), privileged: true } })] });
      expect(await checkResource(podSecurityRestricted, make(spec))).toHaveLength(1);
    });
  }

  it("ignores resources without pods", async () => {
    expect(await checkResource(podSecurityRestricted, { type: "kubernetes:core/v1:Service", props: { spec: { hostNetwork: true } } })).toEqual([]);
  });
});

describe("container-resources", () => {
  it("passes containers with a memory limit and CPU and memory requests", async () => {
    for (const make of Object.values(ALL_WORKLOADS)) expect(await checkResource(resourceRequestsLimits, make())).toEqual([]);
  });
  it("fails a container without a memory limit", async () => {
    const spec = podSpec({ containers: [container("app", { resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1" } } })] });
    expect(await checkResource(resourceRequestsLimits, deployment(spec))).toEqual([expect.stringMatching(/container 'app' has no resources.limits.memory$/)]);
  });
  it("fails a container without requests", async () => {
    const spec = podSpec({ containers: [container("app", { resources: { limits: { memory: "1Gi" } } })] });
    expect(await checkResource(resourceRequestsLimits, statefulSet(spec))).toEqual([
      expect.stringMatching(/has no resources.requests.cpu, resources.requests.memory$/),
    ]);
  });
  it("checks init containers too", async () => {
    const spec = podSpec({ initContainers: [container("sync", { resources: undefined })] });
    expect((await checkResource(resourceRequestsLimits, cronJob(spec))).join()).toMatch(/initContainer 'sync' has no resources.limits.memory/);
  });
});

describe("image-digest-pinned", () => {
  it("passes digest-pinned images, with or without a tag", async () => {
    const spec = podSpec({
      initContainers: [container("init", { image: `docker.io/library/postgres:17.6-alpine@${DIGEST}` })],
      containers: [container("app")],
    });
    expect(await checkResource(imageDigestPinned, job(spec))).toEqual([]);
  });
  for (const image of ["postgres:17", "ghcr.io/clickvote/clickvote:latest", "ghcr.io/x/y@sha256:abc", `ghcr.io/x/y@sha256:${"A".repeat(64)}`, undefined]) {
    it(`fails ${String(image)}`, async () => {
      const spec = podSpec({ containers: [container("app", { image })] });
      expect(await checkResource(imageDigestPinned, pod(spec))).toEqual([expect.stringMatching(/is not pinned by @sha256 digest/)]);
    });
  }
});

describe("image-not-denied", () => {
  const reason = "CVE-0000-0001 in the base image";
  const denied = { "image-not-denied": { deniedImageDigests: { [DIGEST]: reason } } };
  it("fails every container, init containers included, that runs a denied digest, naming the reason", async () => {
    const spec = podSpec({ initContainers: [container("migrate")], containers: [container("app")] });
    expect(await checkResource(imageNotDenied, deployment(spec), denied)).toEqual([
      expect.stringMatching(new RegExp(`initContainer 'migrate' image .*${DIGEST} is denied: ${reason}`)),
      expect.stringMatching(new RegExp(`container 'app' image .*${DIGEST} is denied: ${reason}`)),
    ]);
    expect(await checkResource(imageNotDenied, cronJob(spec), denied)).toHaveLength(2);
  });
  it("passes other digests, and everything when nothing is denied", async () => {
    const other = podSpec({ containers: [container("app", { image: `ghcr.io/clickvote/clickvote@sha256:${"b".repeat(64)}` })] });
    expect(await checkResource(imageNotDenied, deployment(other), denied)).toEqual([]);
    expect(await checkResource(imageNotDenied, deployment())).toEqual([]);
  });
});

describe("readiness-probe", () => {
  it("passes Deployments and StatefulSets whose containers have readiness probes", async () => {
    expect(await checkResource(readinessProbes, deployment())).toEqual([]);
    expect(await checkResource(readinessProbes, statefulSet())).toEqual([]);
  });
  it("fails a serving container without one", async () => {
    const spec = podSpec({ containers: [container("app"), container("sidecar", { readinessProbe: undefined })] });
    expect(await checkResource(readinessProbes, deployment(spec))).toEqual([expect.stringMatching(/container 'sidecar' has no readinessProbe/)]);
    expect(await checkResource(readinessProbes, statefulSet(spec))).toHaveLength(1);
  });
  it("does not ask Jobs, CronJobs or init containers for one", async () => {
    const spec = podSpec({ initContainers: [container("init", { readinessProbe: undefined })], containers: [container("run", { readinessProbe: undefined })] });
    expect(await checkResource(readinessProbes, job(spec))).toEqual([]);
    expect(await checkResource(readinessProbes, cronJob(spec))).toEqual([]);
    expect(await checkResource(readinessProbes, deployment(podSpec({ initContainers: [container("init", { readinessProbe: undefined })] })))).toEqual([]);
  });
});

describe("no-plaintext-secret-env", () => {
  const withEnv = (env: Obj[]) => deployment(podSpec({ containers: [container("app", { env })] }));
  it("passes credentials from Secrets and harmless plain values", async () => {
    const env = [
      { name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: "s", key: "DATABASE_URL" } } },
      { name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: "s", key: "POSTGRES_PASSWORD" } } },
      { name: "PGHOST", value: "clickvote-postgres.clickvote.svc.cluster.local" },
      { name: "PUBLIC_URL", value: "https://vote.example.com/path" },
      { name: "POSTGRES_PASSWORD_FILE", value: "/run/secrets/pw" },
      { name: "TOKEN_SECRET_NAME", value: "clickvote-token" },
      { name: "EMPTY_PASSWORD", value: "" },
      { name: "OAUTH_CALLBACK_URL", value: "https://vote.example.com/callback" },
      { name: "AUTHOR", value: "someone" },
    ];
    expect(await checkResource(noPlainTextSecrets, withEnv(env))).toEqual([]);
  });
  for (const [name, value] of [
    ["POSTGRES_PASSWORD", "hunter2"],
    ["API_TOKEN", "ghp_abc"],
    ["CLIENT_SECRET", "s3cr3t"],
    ["AWS_ACCESS_KEY_ID", "AKIA…"],
    ["DATABASE_URL", "postgresql://clickvote:pw123@db:5432/clickvote"],
    ["REDIS_URL", "redis://default:pw@redis:6379/0"],
    ["UPSTREAM", "https://user:pass@example.com"],
    ["PGPASSWORD", "pw"],
    ["REDISCLI_AUTH", "pw"],
  ]) {
    it(`fails ${name} in plain text`, async () => {
      expect(await checkResource(noPlainTextSecrets, withEnv([{ name, value }]))).toEqual([
        expect.stringMatching(new RegExp(`${name} (looks like a credential|holds a URL with a password)`)),
      ]);
    });
  }
  it("checks init containers, CronJobs and ConfigMaps", async () => {
    const spec = podSpec({ initContainers: [container("init", { env: [{ name: "PASSWORD", value: "x" }] })] });
    expect(await checkResource(noPlainTextSecrets, cronJob(spec))).toHaveLength(1);
    const cm = (data: Obj): TestResource => ({ type: "kubernetes:core/v1:ConfigMap", props: { data } });
    expect(await checkResource(noPlainTextSecrets, cm({ PORT: "8080", LOG_LEVEL: "info", "backup.sh": "pg_dump" }))).toEqual([]);
    expect(await checkResource(noPlainTextSecrets, cm({ DATABASE_URL: "postgres://u:p@h/db" }))).toEqual([expect.stringMatching(/put it in a Secret/)]);
  });
});

describe("service-type-allowed", () => {
  const service = (type?: string, clusterIP?: string): TestResource => ({
    type: "kubernetes:core/v1:Service",
    name: "svc",
    props: { spec: { ...(type ? { type } : {}), ...(clusterIP ? { clusterIP } : {}), ports: [{ port: 80 }] } },
  });
  it("allows ClusterIP (explicit, default and headless) by default", async () => {
    for (const s of [service("ClusterIP"), service(), service(undefined, "None")]) expect(await checkResource(serviceTypes, s)).toEqual([]);
  });
  it("refuses LoadBalancer and NodePort unless configured", async () => {
    expect(await checkResource(serviceTypes, service("LoadBalancer"))).toEqual([expect.stringMatching(/type LoadBalancer is not allowed/)]);
    expect(await checkResource(serviceTypes, service("NodePort"))).toEqual([expect.stringMatching(/type NodePort is not allowed/)]);
  });
  it("allows what allowedServiceTypes lists", async () => {
    const configs = { "service-type-allowed": { allowedServiceTypes: ["ClusterIP", "LoadBalancer"] } };
    expect(await checkResource(serviceTypes, service("LoadBalancer"), configs)).toEqual([]);
    expect(await checkResource(serviceTypes, service("NodePort"), configs)).toHaveLength(1);
  });
});

describe("pod-disruption-budget", () => {
  const pdb = (matchLabels: Obj, namespace = "clickvote"): TestResource => ({
    type: "kubernetes:policy/v1:PodDisruptionBudget",
    props: { metadata: { namespace }, spec: { maxUnavailable: 1, selector: { matchLabels } } },
  });
  const replicated = (replicas: number | undefined) => {
    const d = deployment();
    const spec = d.props.spec as Obj;
    if (replicas === undefined) delete spec.replicas;
    else spec.replicas = replicas;
    return d;
  };
  it("does not ask single-replica workloads for one", async () => {
    expect(await checkStack(disruptionBudgets, [replicated(1)])).toEqual([]);
    expect(await checkStack(disruptionBudgets, [replicated(undefined)])).toEqual([]);
  });
  it("passes a multi-replica Deployment with a PDB selecting its pods", async () => {
    expect(await checkStack(disruptionBudgets, [replicated(3), pdb(LABELS)])).toEqual([]);
    expect(await checkStack(disruptionBudgets, [replicated(3), pdb({ "app.kubernetes.io/component": "app" })])).toEqual([]);
  });
  it("fails without one, with one in another namespace or selecting other pods", async () => {
    expect(await checkStack(disruptionBudgets, [replicated(3)])).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/no PodDisruptionBudget/) }),
    ]);
    expect(await checkStack(disruptionBudgets, [replicated(2), pdb(LABELS, "other")])).toHaveLength(1);
    expect(await checkStack(disruptionBudgets, [replicated(2), pdb({ ...LABELS, "app.kubernetes.io/component": "redis" })])).toHaveLength(1);
  });
  it("counts an HPA's minReplicas", async () => {
    const d = replicated(undefined);
    const hpa = (minReplicas: number): TestResource => ({
      type: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
      props: {
        metadata: { namespace: "clickvote" },
        spec: { minReplicas, maxReplicas: 6, scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "clickvote-app" } },
      },
    });
    expect(await checkStack(disruptionBudgets, [d, hpa(2)])).toHaveLength(1);
    expect(await checkStack(disruptionBudgets, [d, hpa(2), pdb(LABELS)])).toEqual([]);
    expect(await checkStack(disruptionBudgets, [d, hpa(1)])).toEqual([]);
  });
  it("matches label selectors like Kubernetes", () => {
    const labels = { a: "1", b: "2" };
    expect(selectorMatches({ matchLabels: { a: "1" } }, labels)).toBe(true);
    expect(selectorMatches({ matchLabels: { a: "2" } }, labels)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: "b", operator: "In", values: ["2", "3"] }] }, labels)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: "b", operator: "NotIn", values: ["2"] }] }, labels)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: "c", operator: "Exists" }] }, labels)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: "c", operator: "DoesNotExist" }] }, labels)).toBe(true);
    expect(selectorMatches({}, labels)).toBe(true);
    expect(selectorMatches(undefined, labels)).toBe(false);
  });
});

describe("data-volumes-retained", () => {
  const templates = { volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { resources: { requests: { storage: "1Gi" } } } }] };
  const retain = { persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" } };
  const sts = (extra: Obj, opts: TestResource["opts"] = {}, stack = "dev"): TestResource => ({
    ...statefulSet(podSpec(), extra, opts),
    urn: `urn:pulumi:${stack}::clickvote::kubernetes:apps/v1:StatefulSet::postgres`,
  });
  const pvc = (opts: TestResource["opts"], stack = "dev"): TestResource => ({
    type: "kubernetes:core/v1:PersistentVolumeClaim",
    name: "backups",
    urn: `urn:pulumi:${stack}::clickvote::kubernetes:core/v1:PersistentVolumeClaim::backups`,
    props: { metadata: { name: "clickvote-backups", namespace: "clickvote" }, spec: {} },
    opts,
  });
  const ns = (opts: TestResource["opts"], stack = "dev"): TestResource => ({
    type: "kubernetes:core/v1:Namespace",
    urn: `urn:pulumi:${stack}::clickvote::kubernetes:core/v1:Namespace::ns`,
    props: { metadata: { name: "clickvote" } },
    opts,
  });
  const messages = async (resources: TestResource[], configs = {}) => (await checkStack(dataVolumesRetained, resources, configs)).map((v) => v.message);

  it("passes retained StatefulSet claims and retainOnDelete PVCs outside prod", async () => {
    expect(await messages([sts({ ...templates, ...retain }), pvc({ retainOnDelete: true }), ns({})])).toEqual([]);
  });
  it("ignores StatefulSets without volumeClaimTemplates", async () => {
    expect(await messages([sts({})])).toEqual([]);
  });
  it("fails a StatefulSet whose claims would be deleted or that leaves the policy unset", async () => {
    expect(await messages([sts({ ...templates, persistentVolumeClaimRetentionPolicy: { whenDeleted: "Delete", whenScaled: "Retain" } })])).toEqual([
      expect.stringMatching(/whenDeleted must be Retain \(is Delete\)/),
    ]);
    expect(await messages([sts(templates)])).toHaveLength(2);
  });
  it("fails a PVC that destroy would delete", async () => {
    expect(await messages([pvc({ retainOnDelete: false })])).toEqual([expect.stringMatching(/must be retainOnDelete: true/)]);
  });
  it("skips the retainOnDelete check when the analyzer does not report the option (@pulumi/policy 1.21)", async () => {
    expect(await messages([pvc({})])).toEqual([]);
  });
  it("requires protect in prod, detected from the stack name", async () => {
    const unprotected = [sts({ ...templates, ...retain }, {}, "prod"), pvc({ retainOnDelete: true }, "prod"), ns({}, "prod")];
    const found = await messages(unprotected);
    expect(found).toHaveLength(3);
    expect(found.join("\n")).toMatch(/StatefulSet 'postgres' holds data and must be protected/);
    expect(found.join("\n")).toMatch(/PersistentVolumeClaim 'backups' holds data and must be protected/);
    expect(found.join("\n")).toMatch(/Namespace 'test' holds data volumes and must be protected/);
    const protectedSet = [
      sts({ ...templates, ...retain }, { protect: true }, "prod"),
      pvc({ retainOnDelete: true, protect: true }, "prod"),
      ns({ protect: true }, "prod"),
    ];
    expect(await messages(protectedSet)).toEqual([]);
  });
  it("lets requireProtect override the stack-name detection both ways", async () => {
    const devUnprotected = [sts({ ...templates, ...retain }, {}, "dev"), pvc({ retainOnDelete: true }, "dev")];
    expect(await messages(devUnprotected, { "data-volumes-retained": { requireProtect: true } })).toHaveLength(2);
    const prodUnprotected = [sts({ ...templates, ...retain }, {}, "prod")];
    expect(await messages(prodUnprotected, { "data-volumes-retained": { requireProtect: false } })).toEqual([]);
  });
  it("reads the stack from URNs and matches prod-like names", () => {
    expect(stackOfUrn("urn:pulumi:prod::clickvote::pulumi:pulumi:Stack::clickvote-prod")).toBe("prod");
    const at = (stack: string) => [policyResource({ type: "x", props: {}, urn: `urn:pulumi:${stack}::p::x::y` })];
    for (const s of ["prod", "production", "eu-prod", "org.prod"]) expect(protectRequired({}, at(s)), s).toBe(true);
    for (const s of ["dev", "staging", "product", "pr-42"]) expect(protectRequired({}, at(s)), s).toBe(false);
    expect(protectRequired({ prodStackPattern: "^live$" }, at("live"))).toBe(true);
  });
});

describe("tools/policy-config.ts", () => {
  it("derives the pack config from each stack's settings", () => {
    expect(policyConfigFor("dev")).toEqual({
      "service-type-allowed": { allowedServiceTypes: ["ClusterIP"] },
      "data-volumes-retained": { requireProtect: false },
      "image-not-denied": { deniedImageDigests: {} },
    });
    expect(policyConfigFor("prod")).toEqual({
      "service-type-allowed": { allowedServiceTypes: ["ClusterIP"] },
      "data-volumes-retained": { requireProtect: true },
      "image-not-denied": { deniedImageDigests: {} },
    });
    expect(policyConfigFor("dev", { serviceType: "LoadBalancer", networkPolicyAppClientCidrs: '["0.0.0.0/0"]' })["service-type-allowed"]).toEqual({
      allowedServiceTypes: ["ClusterIP", "LoadBalancer"],
    });
  });
});

describe("policy/denied-images.json (tools/policy-config.ts)", () => {
  const project = (text?: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "denied-"));
    fs.mkdirSync(path.join(dir, "policy"));
    if (text !== undefined) fs.writeFileSync(path.join(dir, "policy", "denied-images.json"), text);
    return dir;
  };
  it("is committed empty, reads entries, and is {} when absent", () => {
    expect(deniedImageDigests(ROOT)).toEqual({});
    expect(deniedImageDigests(project(JSON.stringify({ [DIGEST]: "CVE" })))).toEqual({ [DIGEST]: "CVE" });
    expect(deniedImageDigests(project())).toEqual({});
  });
  it.each([
    ["[]", /must be a JSON object/],
    ["{", /not valid JSON/],
    [JSON.stringify({ "sha256:abc": "x" }), /"sha256:abc" is not a digest \(allowed: sha256:<64 lower-case hex>\)/],
    [JSON.stringify({ [DIGEST]: " " }), /needs a reason/],
  ])("refuses %s, naming the file", (text, message) => {
    expect(() => deniedImageDigests(project(text))).toThrow(message);
    expect(() => deniedImageDigests(project(text))).toThrow(/denied-images\.json/);
  });
});
