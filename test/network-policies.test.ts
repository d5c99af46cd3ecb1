// The namespace's NetworkPolicies, checked path by path with an evaluator of the NetworkPolicy
// semantics (test/network-policies-eval.ts) against the pods the program really creates: their
// labels come from the dev stack's pod templates, run under mocks.
import { beforeAll, describe, expect, it } from "vitest";
import { ProgramRun, runProgram } from "./harness";
import { get, Obj, podSpecOf } from "./workloads";
import { Connection, Endpoint, NetworkModel, NetworkPolicy, NetworkPolicySpec, PodEndpoint, inCidr } from "./network-policies-eval";
import { networkPolicySpecs } from "../components/network-policies";
import { APP_PORT } from "../components/app-contract";

const NS = "clickvote";
const POSTGRES = 5432;
const REDIS = 6379;
const tcp = (port: number): Connection => ({ port, protocol: "TCP" });
const udp = (port: number): Connection => ({ port, protocol: "UDP" });

let run: ProgramRun;
let model: NetworkModel;
let pods: Record<string, Endpoint>;

/** A pod of the program: the labels and named ports of a workload's pod template. */
function podOf(type: string, nameIncludes: string, name: string): PodEndpoint {
  const r = run.one(type, nameIncludes);
  const templatePath = type.endsWith(":CronJob") ? "spec.jobTemplate.spec.template.metadata.labels" : "spec.template.metadata.labels";
  const labels = get(r.inputs, templatePath) as Record<string, string>;
  const namedPorts: Record<string, number> = {};
  for (const c of (podSpecOf(r).containers as Obj[]) ?? []) {
    for (const p of (c.ports as Obj[] | undefined) ?? []) if (typeof p.name === "string") namedPorts[p.name] = Number(p.containerPort);
  }
  return { kind: "pod", name, namespace: String(get(r.inputs, "metadata.namespace")), labels, namedPorts };
}

beforeAll(async () => {
  run = await runProgram({ stack: "dev" });
  const policies: NetworkPolicy[] = run.byType("kubernetes:networking.k8s.io/v1:NetworkPolicy").map((r) => ({
    name: String(get(r.inputs, "metadata.name")),
    namespace: String(get(r.inputs, "metadata.namespace")),
    spec: r.inputs.spec as NetworkPolicySpec,
  }));
  model = new NetworkModel(policies);
  pods = {
    app: podOf("kubernetes:apps/v1:Deployment", "app", "app"),
    postgres: podOf("kubernetes:apps/v1:StatefulSet", "postgres", "postgres"),
    redis: podOf("kubernetes:apps/v1:StatefulSet", "redis", "redis"),
    migration: podOf("kubernetes:batch/v1:Job", "migration", "migration"),
    backup: podOf("kubernetes:batch/v1:CronJob", "backup", "backup"),
    neighbour: { kind: "pod", name: "neighbour", namespace: NS, labels: { run: "debug" } },
    dns: { kind: "pod", name: "coredns", namespace: "kube-system", labels: { "k8s-app": "kube-dns" } },
    ingressController: { kind: "pod", name: "ingress-nginx", namespace: "ingress-nginx", labels: { "app.kubernetes.io/name": "ingress-nginx" } },
    prometheus: { kind: "pod", name: "prometheus", namespace: "monitoring", labels: { "app.kubernetes.io/name": "prometheus" } },
    otherNamespace: { kind: "pod", name: "other", namespace: "other", labels: { app: "other" } },
    internet: { kind: "external", name: "internet", ip: "93.184.216.34" },
  };
  // A pod elsewhere that copies the app's labels must not inherit the app's rights.
  pods.impostor = { ...(pods.app as PodEndpoint), name: "impostor", namespace: "other" };
});

function verdict(from: string, to: string, connection: Connection) {
  return model.check(pods[from], pods[to], connection);
}

describe("the NetworkPolicies the program creates", () => {
  it("are exactly networkPolicySpecs() in the stack's namespace", () => {
    const specs = networkPolicySpecs({
      namespace: NS,
      instance: "clickvote",
      postgresPort: POSTGRES,
      redisPort: REDIS,
      ingressControllerNamespace: "ingress-nginx",
      metricsNamespace: "monitoring",
      dns: { peers: "any" },
      appClientCidrs: [],
    });
    const recorded = Object.fromEntries(
      run.byType("kubernetes:networking.k8s.io/v1:NetworkPolicy").map((r) => [String(get(r.inputs, "metadata.name")), r.inputs.spec]),
    );
    expect(recorded).toEqual(Object.fromEntries(Object.entries(specs).map(([k, v]) => [`clickvote-${k}`, JSON.parse(JSON.stringify(v))])));
    for (const r of run.byType("kubernetes:networking.k8s.io/v1:NetworkPolicy")) expect(get(r.inputs, "metadata.namespace")).toBe(NS);
  });

  it("select every Clickvote pod (the selectors match the real pod labels)", () => {
    for (const name of ["app", "postgres", "redis", "migration", "backup"]) {
      const pod = pods[name] as PodEndpoint;
      expect(pod.namespace, name).toBe(NS);
      expect(pod.labels["app.kubernetes.io/component"], name).toBe(name);
    }
  });
});

describe("allowed paths", () => {
  const allowed: [string, string, Connection][] = [
    ["app", "postgres", tcp(POSTGRES)],
    ["app", "redis", tcp(REDIS)],
    ["migration", "postgres", tcp(POSTGRES)],
    ["backup", "postgres", tcp(POSTGRES)],
    ["ingressController", "app", tcp(APP_PORT)],
    ["prometheus", "app", tcp(APP_PORT)],
  ];
  for (const [from, to, c] of allowed) {
    it(`${from} → ${to} ${c.protocol}/${c.port}`, () => {
      expect(verdict(from, to, c)).toEqual({ allowed: true, egress: true, ingress: true });
    });
  }

  for (const from of ["app", "postgres", "redis", "migration", "backup", "neighbour"]) {
    it(`${from} → cluster DNS on UDP and TCP 53`, () => {
      expect(verdict(from, "dns", udp(53)).allowed).toBe(true);
      expect(verdict(from, "dns", tcp(53)).allowed).toBe(true);
    });
  }
});

describe("denied paths", () => {
  const denied: [string, string, Connection, string][] = [
    ["migration", "redis", tcp(REDIS), "the migration only needs PostgreSQL"],
    ["backup", "redis", tcp(REDIS), "the backup only needs PostgreSQL"],
    ["app", "postgres", tcp(5433), "only the PostgreSQL port"],
    ["app", "redis", tcp(POSTGRES), "only the Redis port"],
    ["redis", "postgres", tcp(POSTGRES), "Redis never talks to PostgreSQL"],
    ["postgres", "redis", tcp(REDIS), "PostgreSQL never talks to Redis"],
    ["postgres", "app", tcp(APP_PORT), "data pods have no egress but DNS"],
    ["redis", "app", tcp(APP_PORT), "data pods have no egress but DNS"],
    ["postgres", "internet", tcp(443), "data pods have no egress but DNS"],
    ["app", "internet", tcp(443), "the app has no internet egress"],
    ["migration", "internet", tcp(443), "the migration has no internet egress"],
    ["backup", "internet", tcp(443), "backups stay in the cluster"],
    ["app", "dns", tcp(80), "the DNS rule is for port 53 only"],
    ["app", "otherNamespace", tcp(8080), "no egress to other namespaces"],
    ["otherNamespace", "app", tcp(APP_PORT), "only the ingress controller and metrics namespaces reach the app"],
    ["otherNamespace", "postgres", tcp(POSTGRES), "PostgreSQL is private to the namespace's clients"],
    ["otherNamespace", "redis", tcp(REDIS), "Redis is private to the app"],
    ["impostor", "postgres", tcp(POSTGRES), "app labels in another namespace grant nothing"],
    ["ingressController", "postgres", tcp(POSTGRES), "the ingress controller only reaches the app"],
    ["ingressController", "app", tcp(9090), "only the app port"],
    ["prometheus", "redis", tcp(REDIS), "metrics scraping is for the app only"],
    ["internet", "app", tcp(APP_PORT), "no direct traffic from outside the cluster"],
    ["internet", "postgres", tcp(POSTGRES), "no direct traffic from outside the cluster"],
    ["neighbour", "postgres", tcp(POSTGRES), "other pods in the namespace don't reach PostgreSQL"],
    ["neighbour", "redis", tcp(REDIS), "other pods in the namespace don't reach Redis"],
    ["app", "app", tcp(APP_PORT), "app pods don't call each other"],
  ];
  for (const [from, to, c, why] of denied) {
    it(`${from} → ${to} ${c.protocol}/${c.port} (${why})`, () => {
      expect(verdict(from, to, c).allowed).toBe(false);
    });
  }

  it("a same-namespace pod reaches the app on neither side: no ingress rule admits it and its egress is denied", () => {
    expect(verdict("neighbour", "app", tcp(APP_PORT))).toEqual({ allowed: false, egress: false, ingress: false });
  });
});

describe("the evaluator", () => {
  const pod = (name: string, namespace: string, labels: Record<string, string>): PodEndpoint => ({ kind: "pod", name, namespace, labels });
  const a = pod("a", "ns", { app: "a" });
  const b = pod("b", "ns", { app: "b" });
  const c = pod("c", "other", { app: "a" });
  const policy = (spec: NetworkPolicySpec, namespace = "ns"): NetworkPolicy => ({ name: "p", namespace, spec });

  it("allows everything when no policy selects a pod", () => {
    expect(new NetworkModel([]).check(a, b, tcp(1)).allowed).toBe(true);
    expect(new NetworkModel([policy({ podSelector: { matchLabels: { app: "x" } }, policyTypes: ["Ingress", "Egress"] })]).check(a, b, tcp(1)).allowed).toBe(
      true,
    );
  });
  it("isolates ingress by default and egress only with egress rules or policyTypes", () => {
    expect(new NetworkModel([policy({ podSelector: {} })]).check(a, b, tcp(1))).toEqual({ allowed: false, egress: true, ingress: false });
    const egressOnly = policy({ podSelector: {}, policyTypes: ["Egress"] });
    expect(new NetworkModel([egressOnly]).check(a, b, tcp(1))).toEqual({ allowed: false, egress: false, ingress: true });
  });
  it("ANDs namespaceSelector and podSelector in one peer, ORs separate peers", () => {
    const and = policy({
      podSelector: { matchLabels: { app: "b" } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "other" } }, podSelector: { matchLabels: { app: "z" } } }] }],
    });
    expect(new NetworkModel([and]).check(c, b, tcp(1)).allowed).toBe(false);
    const or = policy({
      podSelector: { matchLabels: { app: "b" } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "other" } } }, { podSelector: { matchLabels: { app: "z" } } }] }],
    });
    expect(new NetworkModel([or]).check(c, b, tcp(1)).allowed).toBe(true);
  });
  it("reads a podSelector-only peer in the policy's own namespace", () => {
    const p = policy({ podSelector: { matchLabels: { app: "b" } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: "a" } } }] }] });
    expect(new NetworkModel([p]).check(a, b, tcp(1)).allowed).toBe(true);
    expect(new NetworkModel([p]).check(c, b, tcp(1)).allowed).toBe(false);
  });
  it("matches ports by number, name, protocol and range, and ipBlocks by CIDR", () => {
    const named: PodEndpoint = { ...b, namedPorts: { http: 8080 } };
    const p = policy({
      podSelector: { matchLabels: { app: "b" } },
      ingress: [{ ports: [{ port: "http" }, { protocol: "UDP", port: 53 }, { port: 9000, endPort: 9010 }] }],
    });
    const m = new NetworkModel([p]);
    expect(m.check(a, named, tcp(8080)).allowed).toBe(true);
    expect(m.check(a, named, tcp(53)).allowed).toBe(false);
    expect(m.check(a, named, udp(53)).allowed).toBe(true);
    expect(m.check(a, named, tcp(9005)).allowed).toBe(true);
    expect(m.check(a, named, tcp(9011)).allowed).toBe(false);
    expect(inCidr("10.1.2.3", "10.0.0.0/8")).toBe(true);
    expect(inCidr("11.1.2.3", "10.0.0.0/8")).toBe(false);
    const out = policy({ podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] } }] }] });
    const m2 = new NetworkModel([out]);
    expect(m2.check(a, { kind: "external", name: "x", ip: "1.1.1.1" }, tcp(443)).allowed).toBe(true);
    expect(m2.check(a, { kind: "external", name: "x", ip: "10.1.1.1" }, tcp(443)).allowed).toBe(false);
  });
});
