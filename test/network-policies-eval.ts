// A small evaluator of Kubernetes NetworkPolicy semantics (networking.k8s.io/v1), enough to
// decide whether one connection is allowed:
//   - a pod is isolated for ingress (egress) when any policy in its namespace selects it with
//     that policy type; a non-isolated direction allows everything;
//   - an isolated direction allows a connection when any selecting policy has a rule whose
//     peers (from/to; absent or empty = everyone) and ports (absent or empty = all) match;
//   - a connection between two endpoints is allowed iff egress is allowed at the source AND
//     ingress is allowed at the destination. Endpoints outside the cluster (an IP) have no
//     policies of their own and are matched only by ipBlock peers.
// Policy types default as the API server does: Ingress always, Egress when egress rules exist.

export type Labels = Record<string, string>;

export interface PodEndpoint {
  kind: "pod";
  name: string;
  namespace: string;
  labels: Labels;
  /** Named container ports, for rules that use a port name. */
  namedPorts?: Record<string, number>;
}

export interface ExternalEndpoint {
  kind: "external";
  name: string;
  ip: string;
}

export type Endpoint = PodEndpoint | ExternalEndpoint;

export interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

export interface PolicyPort {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}

export interface NetworkPolicySpec {
  podSelector: LabelSelector;
  policyTypes?: string[];
  ingress?: { from?: PolicyPeer[]; ports?: PolicyPort[] }[];
  egress?: { to?: PolicyPeer[]; ports?: PolicyPort[] }[];
}

export interface NetworkPolicy {
  name: string;
  namespace: string;
  spec: NetworkPolicySpec;
}

export interface Connection {
  port: number;
  protocol?: "TCP" | "UDP" | "SCTP";
}

/** Labels the API server puts on every namespace. */
export function namespaceLabels(namespace: string, extra: Labels = {}): Labels {
  return { "kubernetes.io/metadata.name": namespace, ...extra };
}

export function selects(selector: LabelSelector | undefined, labels: Labels): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const values = e.values ?? [];
    if (e.operator === "In" && !(has && values.includes(labels[e.key]))) return false;
    if (e.operator === "NotIn" && has && values.includes(labels[e.key])) return false;
    if (e.operator === "Exists" && !has) return false;
    if (e.operator === "DoesNotExist" && has) return false;
  }
  return true;
}

function ipToNumber(ip: string): number {
  return ip.split(".").reduce((n, part) => n * 256 + Number(part), 0);
}

export function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split("/");
  const size = Number(bits);
  if (size === 0) return true;
  const mask = size === 32 ? 0xffffffff : (0xffffffff << (32 - size)) >>> 0;
  return (ipToNumber(ip) & mask) >>> 0 === (ipToNumber(base) & mask) >>> 0;
}

function policyTypes(spec: NetworkPolicySpec): string[] {
  if (spec.policyTypes && spec.policyTypes.length > 0) return spec.policyTypes;
  return spec.egress && spec.egress.length > 0 ? ["Ingress", "Egress"] : ["Ingress"];
}

/** Whether a peer of a policy in `policyNamespace` matches an endpoint. */
function peerMatches(peer: PolicyPeer, policyNamespace: string, endpoint: Endpoint, nsLabels: (ns: string) => Labels): boolean {
  if (peer.ipBlock) {
    // ipBlock is meant for traffic leaving or entering the cluster; pod IPs are treated as not matching.
    if (endpoint.kind !== "external") return false;
    return inCidr(endpoint.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c) => inCidr(endpoint.ip, c));
  }
  if (endpoint.kind !== "pod") return false;
  if (peer.namespaceSelector) {
    if (!selects(peer.namespaceSelector, nsLabels(endpoint.namespace))) return false;
  } else if (endpoint.namespace !== policyNamespace) {
    return false;
  }
  return selects(peer.podSelector, endpoint.labels);
}

function portMatches(ports: PolicyPort[] | undefined, connection: Connection, destination: Endpoint): boolean {
  if (!ports || ports.length === 0) return true;
  const protocol = connection.protocol ?? "TCP";
  return ports.some((p) => {
    if ((p.protocol ?? "TCP") !== protocol) return false;
    if (p.port === undefined) return true;
    let port: number | undefined;
    if (typeof p.port === "number") port = p.port;
    else port = destination.kind === "pod" ? destination.namedPorts?.[p.port] : undefined;
    if (port === undefined) return false;
    return p.endPort !== undefined ? connection.port >= port && connection.port <= p.endPort : connection.port === port;
  });
}

export interface Verdict {
  allowed: boolean;
  egress: boolean;
  ingress: boolean;
}

export class NetworkModel {
  constructor(
    private readonly policies: NetworkPolicy[],
    private readonly extraNamespaceLabels: Record<string, Labels> = {},
  ) {}

  private nsLabels = (ns: string): Labels => namespaceLabels(ns, this.extraNamespaceLabels[ns]);

  private selecting(pod: PodEndpoint, type: "Ingress" | "Egress"): NetworkPolicy[] {
    return this.policies.filter((p) => p.namespace === pod.namespace && policyTypes(p.spec).includes(type) && selects(p.spec.podSelector, pod.labels));
  }

  egressAllowed(source: Endpoint, destination: Endpoint, connection: Connection): boolean {
    if (source.kind !== "pod") return true;
    const policies = this.selecting(source, "Egress");
    if (policies.length === 0) return true;
    return policies.some((p) =>
      (p.spec.egress ?? []).some(
        (rule) =>
          (!rule.to || rule.to.length === 0 || rule.to.some((peer) => peerMatches(peer, p.namespace, destination, this.nsLabels))) &&
          portMatches(rule.ports, connection, destination),
      ),
    );
  }

  ingressAllowed(source: Endpoint, destination: Endpoint, connection: Connection): boolean {
    if (destination.kind !== "pod") return true;
    const policies = this.selecting(destination, "Ingress");
    if (policies.length === 0) return true;
    return policies.some((p) =>
      (p.spec.ingress ?? []).some(
        (rule) =>
          (!rule.from || rule.from.length === 0 || rule.from.some((peer) => peerMatches(peer, p.namespace, source, this.nsLabels))) &&
          portMatches(rule.ports, connection, destination),
      ),
    );
  }

  check(source: Endpoint, destination: Endpoint, connection: Connection): Verdict {
    const egress = this.egressAllowed(source, destination, connection);
    const ingress = this.ingressAllowed(source, destination, connection);
    return { allowed: egress && ingress, egress, ingress };
  }
}
