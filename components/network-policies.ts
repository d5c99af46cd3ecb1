import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { APP_PORT } from "./app-contract";
import { componentLabels, selectorLabels } from "./labels";

/** Which outside namespaces may reach the app. */
export interface NetworkPolicySettings {
  /** Namespace of the ingress controller, e.g. "ingress-nginx". */
  ingressControllerNamespace: string;
  /** Namespace of the Prometheus that scrapes /metrics, e.g. "monitoring". */
  metricsNamespace: string;
  /**
   * DNS peers: "any" allows port 53 to every address; "cluster" to the kube-dns pods and
   * `cidrs` (e.g. NodeLocal DNSCache's 169.254.20.10/32).
   */
  dns: { peers: "any" } | { peers: "cluster"; cidrs: string[] };
  /** CIDRs outside the cluster allowed to reach the app port (NodePort, LoadBalancer, host-network ingress). */
  appClientCidrs: string[];
}

export interface NetworkPoliciesArgs extends NetworkPolicySettings {
  namespace: pulumi.Input<string>;
  instance: string;
  postgresPort: number;
  redisPort: number;
}

type PolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;

/** The pods of one component, by their stable selector labels. */
function pods(component: string, instance: string) {
  return { podSelector: { matchLabels: selectorLabels(component, instance) } };
}

function fromNamespace(name: string) {
  return { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } } };
}

/**
 * The namespace's traffic rules as plain specs, so tests can check every allowed and denied
 * path without a cluster. Everything not listed here is denied by "default-deny".
 */
export function networkPolicySpecs(args: NetworkPoliciesArgs): Record<string, PolicySpec> {
  const { instance } = args;
  const tcp = (port: number) => [{ protocol: "TCP", port }];
  return {
    "default-deny": { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    "allow-dns": {
      podSelector: {},
      policyTypes: ["Egress"],
      // A rule without `to` allows every destination: what a pod's resolv.conf points at varies
      // (kube-dns pods, NodeLocal DNSCache's link-local address, or the kube-dns ClusterIP that
      // NodeLocal DNSCache intercepts on the node, which no pod selector matches).
      egress: [
        {
          ...(args.dns.peers === "cluster"
            ? {
                to: [
                  { namespaceSelector: {}, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } },
                  ...args.dns.cidrs.map((cidr) => ({ ipBlock: { cidr } })),
                ],
              }
            : {}),
          ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ],
        },
      ],
    },
    "postgres-ingress": {
      ...pods("postgres", instance),
      policyTypes: ["Ingress"],
      ingress: [{ from: [pods("app", instance), pods("migration", instance), pods("backup", instance)], ports: tcp(args.postgresPort) }],
    },
    "redis-ingress": {
      ...pods("redis", instance),
      policyTypes: ["Ingress"],
      ingress: [{ from: [pods("app", instance)], ports: tcp(args.redisPort) }],
    },
    "app-ingress": {
      ...pods("app", instance),
      policyTypes: ["Ingress"],
      ingress: [
        { from: [fromNamespace(args.ingressControllerNamespace)], ports: tcp(APP_PORT) },
        { from: [fromNamespace(args.metricsNamespace)], ports: tcp(APP_PORT) },
        ...(args.appClientCidrs.length > 0 ? [{ from: args.appClientCidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: tcp(APP_PORT) }] : []),
      ],
    },
    "app-egress": {
      ...pods("app", instance),
      policyTypes: ["Egress"],
      egress: [
        { to: [pods("postgres", instance)], ports: tcp(args.postgresPort) },
        { to: [pods("redis", instance)], ports: tcp(args.redisPort) },
      ],
    },
    "migration-egress": {
      ...pods("migration", instance),
      policyTypes: ["Egress"],
      egress: [{ to: [pods("postgres", instance)], ports: tcp(args.postgresPort) }],
    },
    "backup-egress": {
      ...pods("backup", instance),
      policyTypes: ["Egress"],
      egress: [{ to: [pods("postgres", instance)], ports: tcp(args.postgresPort) }],
    },
  };
}

/** Default-deny NetworkPolicies for the namespace with the few paths Clickvote needs. */
export class NetworkPolicies extends pulumi.ComponentResource {
  public readonly policyNames: string[];

  constructor(name: string, args: NetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("clickvote:index:NetworkPolicies", name, {}, opts);
    const specs = networkPolicySpecs(args);
    this.policyNames = Object.keys(specs).map((suffix) => `${args.instance}-${suffix}`);
    for (const [suffix, spec] of Object.entries(specs)) {
      new k8s.networking.v1.NetworkPolicy(
        `${name}-${suffix}`,
        { metadata: { name: `${args.instance}-${suffix}`, namespace: args.namespace, labels: componentLabels("network", args.instance) }, spec },
        { parent: this },
      );
    }
    this.registerOutputs({ policyNames: this.policyNames });
  }
}
