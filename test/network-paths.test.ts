// Issue kind "network paths a supported setup needs": every supported setting and common cluster
// feature (DNS variants, service types, ingress controllers, metrics, backups) either leaves open
// the traffic it needs or is refused with the reason. Each row runs the real program under mocks
// with some settings, builds the NetworkPolicy model from what it registers, and checks one path.
import { describe, expect, it } from "vitest";
import { runProgram } from "./harness";
import { get } from "./workloads";
import { Connection, Endpoint, NetworkModel, NetworkPolicy, NetworkPolicySpec, PodEndpoint } from "./network-policies-eval";
import { APP_PORT } from "../components/app-contract";

const tcp = (port: number): Connection => ({ port, protocol: "TCP" });
const udp = (port: number): Connection => ({ port, protocol: "UDP" });
const pod = (component: string): PodEndpoint => ({
  kind: "pod",
  name: component,
  namespace: "clickvote",
  labels: { "app.kubernetes.io/name": "clickvote", "app.kubernetes.io/instance": "clickvote", "app.kubernetes.io/component": component },
  namedPorts: component === "app" ? { http: APP_PORT } : {},
});
const external = (name: string, ip: string): Endpoint => ({ kind: "external", name, ip });
const podIn = (namespace: string, labels: Record<string, string> = { app: "x" }): Endpoint => ({ kind: "pod", name: `${namespace}-pod`, namespace, labels });

const ENDPOINTS: Record<string, Endpoint> = {
  app: pod("app"),
  postgres: pod("postgres"),
  redis: pod("redis"),
  migration: pod("migration"),
  backup: pod("backup"),
  kubeDnsPod: podIn("kube-system", { "k8s-app": "kube-dns" }),
  nodeLocalDns: external("NodeLocal DNSCache", "169.254.20.10"),
  kubeDnsClusterIp: external("kube-dns ClusterIP intercepted on the node", "10.96.0.10"),
  publicResolver: external("a resolver outside the cluster", "192.0.2.53"),
  internetClient: external("an internet client of a LoadBalancer", "198.51.100.7"),
  nodeIp: external("a node (host-network ingress controller, NodePort SNAT)", "10.0.0.5"),
  ingressNginx: podIn("ingress-nginx"),
  customIngress: podIn("edge"),
  prometheus: podIn("monitoring"),
  otherPrometheus: podIn("observability"),
};

interface Row {
  setup: string;
  settings: Record<string, string>;
  from: string;
  to: string;
  via: Connection;
  allowed: boolean;
}

const DNS_ANY = {};
const DNS_CLUSTER = { networkPolicyDnsPeers: "cluster" };
const ROWS: Row[] = [
  // DNS variants: the default reaches every resolver a pod's resolv.conf may point at.
  ...["app", "migration", "backup", "postgres", "redis"].map((from) => ({
    setup: "default DNS",
    settings: DNS_ANY,
    from,
    to: "kubeDnsPod",
    via: udp(53),
    allowed: true,
  })),
  { setup: "default DNS", settings: DNS_ANY, from: "app", to: "nodeLocalDns", via: udp(53), allowed: true },
  { setup: "default DNS", settings: DNS_ANY, from: "app", to: "kubeDnsClusterIp", via: udp(53), allowed: true },
  { setup: "default DNS", settings: DNS_ANY, from: "app", to: "kubeDnsClusterIp", via: tcp(53), allowed: true },
  { setup: "default DNS", settings: DNS_ANY, from: "app", to: "publicResolver", via: tcp(443), allowed: false },
  { setup: "strict DNS", settings: DNS_CLUSTER, from: "app", to: "kubeDnsPod", via: udp(53), allowed: true },
  { setup: "strict DNS", settings: DNS_CLUSTER, from: "app", to: "nodeLocalDns", via: udp(53), allowed: true },
  { setup: "strict DNS", settings: DNS_CLUSTER, from: "app", to: "kubeDnsClusterIp", via: udp(53), allowed: false },
  { setup: "strict DNS", settings: DNS_CLUSTER, from: "app", to: "publicResolver", via: udp(53), allowed: false },
  {
    setup: "strict DNS + intercepted ClusterIP",
    settings: { ...DNS_CLUSTER, networkPolicyDnsCidrs: '["169.254.20.10/32","10.96.0.10/32"]' },
    from: "app",
    to: "kubeDnsClusterIp",
    via: udp(53),
    allowed: true,
  },
  // Service types: a NodePort or LoadBalancer reaches the app only from the CIDRs it lists.
  { setup: "ClusterIP", settings: {}, from: "internetClient", to: "app", via: tcp(APP_PORT), allowed: false },
  {
    setup: "LoadBalancer",
    settings: { serviceType: "LoadBalancer", networkPolicyAppClientCidrs: '["0.0.0.0/0"]' },
    from: "internetClient",
    to: "app",
    via: tcp(APP_PORT),
    allowed: true,
  },
  {
    setup: "LoadBalancer",
    settings: { serviceType: "LoadBalancer", networkPolicyAppClientCidrs: '["0.0.0.0/0"]' },
    from: "internetClient",
    to: "postgres",
    via: tcp(5432),
    allowed: false,
  },
  {
    setup: "LoadBalancer",
    settings: { serviceType: "LoadBalancer", networkPolicyAppClientCidrs: '["0.0.0.0/0"]' },
    from: "internetClient",
    to: "app",
    via: tcp(9090),
    allowed: false,
  },
  {
    setup: "NodePort",
    settings: { serviceType: "NodePort", networkPolicyAppClientCidrs: '["10.0.0.0/24"]' },
    from: "nodeIp",
    to: "app",
    via: tcp(APP_PORT),
    allowed: true,
  },
  {
    setup: "NodePort",
    settings: { serviceType: "NodePort", networkPolicyAppClientCidrs: '["10.0.0.0/24"]' },
    from: "internetClient",
    to: "app",
    via: tcp(APP_PORT),
    allowed: false,
  },
  // Ingress controllers: in their namespace, or on the host network.
  {
    setup: "Ingress",
    settings: { ingressEnabled: "true", ingressHost: "vote.example.com" },
    from: "ingressNginx",
    to: "app",
    via: tcp(APP_PORT),
    allowed: true,
  },
  {
    setup: "Ingress, own namespace",
    settings: { ingressEnabled: "true", ingressHost: "vote.example.com", ingressControllerNamespace: "edge" },
    from: "customIngress",
    to: "app",
    via: tcp(APP_PORT),
    allowed: true,
  },
  {
    setup: "Ingress, own namespace",
    settings: { ingressEnabled: "true", ingressHost: "vote.example.com", ingressControllerNamespace: "edge" },
    from: "ingressNginx",
    to: "app",
    via: tcp(APP_PORT),
    allowed: false,
  },
  {
    setup: "Ingress, host-network controller",
    settings: { ingressEnabled: "true", ingressHost: "vote.example.com" },
    from: "nodeIp",
    to: "app",
    via: tcp(APP_PORT),
    allowed: false,
  },
  {
    setup: "Ingress, host-network controller",
    settings: { ingressEnabled: "true", ingressHost: "vote.example.com", networkPolicyAppClientCidrs: '["10.0.0.0/24"]' },
    from: "nodeIp",
    to: "app",
    via: tcp(APP_PORT),
    allowed: true,
  },
  // Metrics: annotations and ServiceMonitor are scraped from the metrics namespace.
  { setup: "annotations", settings: { monitoring: "annotations" }, from: "prometheus", to: "app", via: tcp(APP_PORT), allowed: true },
  { setup: "ServiceMonitor", settings: { monitoring: "serviceMonitor" }, from: "prometheus", to: "app", via: tcp(APP_PORT), allowed: true },
  { setup: "own metrics namespace", settings: { metricsNamespace: "observability" }, from: "otherPrometheus", to: "app", via: tcp(APP_PORT), allowed: true },
  { setup: "own metrics namespace", settings: { metricsNamespace: "observability" }, from: "prometheus", to: "app", via: tcp(APP_PORT), allowed: false },
  // Release and backups.
  { setup: "migration", settings: {}, from: "migration", to: "postgres", via: tcp(5432), allowed: true },
  { setup: "backup", settings: {}, from: "backup", to: "postgres", via: tcp(5432), allowed: true },
  { setup: "backup", settings: {}, from: "backup", to: "redis", via: tcp(6379), allowed: false },
];

const models = new Map<string, NetworkModel>();
async function modelFor(settings: Record<string, string>): Promise<NetworkModel> {
  const key = JSON.stringify(settings);
  if (!models.has(key)) {
    const run = await runProgram({ stack: "dev", overrides: settings });
    const policies: NetworkPolicy[] = run.byType("kubernetes:networking.k8s.io/v1:NetworkPolicy").map((r) => ({
      name: String(get(r.inputs, "metadata.name")),
      namespace: String(get(r.inputs, "metadata.namespace")),
      spec: r.inputs.spec as NetworkPolicySpec,
    }));
    expect(policies.length).toBeGreaterThan(0);
    models.set(key, new NetworkModel(policies));
  }
  return models.get(key) as NetworkModel;
}

describe("network paths per setup", () => {
  it.each(ROWS)("$setup: $from → $to $via.protocol/$via.port allowed=$allowed", async ({ settings, from, to, via, allowed }) => {
    const model = await modelFor(settings);
    expect(model.check(ENDPOINTS[from], ENDPOINTS[to], via).allowed).toBe(allowed);
  });
});

describe("setups the policies cannot serve are refused up front", () => {
  it.each(["NodePort", "LoadBalancer"])("%s without client CIDRs", async (serviceType) => {
    const failure = await runProgram({ stack: "dev", overrides: { serviceType } }).then(
      () => undefined,
      (err: Error & { run?: { resources: unknown[] } }) => err,
    );
    expect(failure?.message).toMatch(/clickvote:networkPolicyAppClientCidrs: must list the clients of the (NodePort|LoadBalancer) Service/);
    expect(failure?.run?.resources.filter((r) => (r as { custom: boolean }).custom)).toEqual([]);
  });

  it("NodePort without NetworkPolicies needs no client CIDRs", async () => {
    const run = await runProgram({ stack: "dev", overrides: { serviceType: "NodePort", networkPolicyEnabled: "false" } });
    expect(run.byType("kubernetes:networking.k8s.io/v1:NetworkPolicy")).toEqual([]);
  });
});
