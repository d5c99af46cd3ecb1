// The Clickvote guardrails as CrossGuard policies. This module only exports policy objects and
// pure helpers; policy/index.ts wraps them in a PolicyPack (which starts the analyzer server),
// so tests import this file and call validateResource/validateStack directly.
import type {
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";

type Obj = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Small helpers

function isObj(value: unknown): value is Obj {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function get(obj: unknown, path: string): unknown {
  let current: unknown = obj;
  for (const key of path.split(".")) {
    if (!isObj(current)) return undefined;
    current = current[key];
  }
  return current;
}

function list(value: unknown): Obj[] {
  return Array.isArray(value) ? value.filter(isObj) : [];
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

export const TYPES = {
  pod: "kubernetes:core/v1:Pod",
  deployment: "kubernetes:apps/v1:Deployment",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  daemonSet: "kubernetes:apps/v1:DaemonSet",
  replicaSet: "kubernetes:apps/v1:ReplicaSet",
  job: "kubernetes:batch/v1:Job",
  cronJob: "kubernetes:batch/v1:CronJob",
  service: "kubernetes:core/v1:Service",
  configMap: "kubernetes:core/v1:ConfigMap",
  pvc: "kubernetes:core/v1:PersistentVolumeClaim",
  namespace: "kubernetes:core/v1:Namespace",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  stack: "pulumi:pulumi:Stack",
} as const;

/** Where each workload kind keeps its pod template's spec. */
const POD_SPEC_PATHS: Record<string, string> = {
  [TYPES.pod]: "spec",
  [TYPES.deployment]: "spec.template.spec",
  [TYPES.statefulSet]: "spec.template.spec",
  [TYPES.daemonSet]: "spec.template.spec",
  [TYPES.replicaSet]: "spec.template.spec",
  [TYPES.job]: "spec.template.spec",
  [TYPES.cronJob]: "spec.jobTemplate.spec.template.spec",
};

export const WORKLOAD_TYPES = Object.keys(POD_SPEC_PATHS);

/** Deployments and StatefulSets serve traffic through a Service: they need readiness probes. */
const SERVING_TYPES: readonly string[] = [TYPES.deployment, TYPES.statefulSet];

/** The pod spec of a workload's inputs, or undefined for other resource types. */
export function podSpecOf(type: string, props: Obj): Obj | undefined {
  const path = POD_SPEC_PATHS[type];
  if (path === undefined) return undefined;
  const spec = get(props, path);
  return isObj(spec) ? spec : {};
}

interface NamedContainer {
  kind: "initContainer" | "container" | "ephemeralContainer";
  name: string;
  spec: Obj;
}

function containersOf(podSpec: Obj): NamedContainer[] {
  const out: NamedContainer[] = [];
  const add = (kind: NamedContainer["kind"], field: string) => {
    for (const c of list(podSpec[field])) out.push({ kind, name: String(c.name ?? "?"), spec: c });
  };
  add("initContainer", "initContainers");
  add("container", "containers");
  add("ephemeralContainer", "ephemeralContainers");
  return out;
}

/** Resource validation that only runs for workload kinds and gets their pod spec. */
function forPodSpecs(check: (podSpec: Obj, args: ResourceValidationArgs, report: ReportViolation) => void) {
  return (args: ResourceValidationArgs, reportViolation: ReportViolation): void => {
    const podSpec = podSpecOf(args.type, args.props);
    if (podSpec === undefined) return;
    check(podSpec, args, reportViolation);
  };
}

function namespaceOf(props: Obj): string {
  const ns = get(props, "metadata.namespace");
  return typeof ns === "string" && ns !== "" ? ns : "default";
}

function describe(args: { type: string; name: string }): string {
  return `${args.type.split(":").pop()} '${args.name}'`;
}

// ---------------------------------------------------------------------------------------------
// Pod security: the "restricted" Pod Security Standard, field by field.

/** Volume sources the restricted standard allows (everything else, hostPath first, is refused). */
export const RESTRICTED_VOLUME_SOURCES = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];

/** Every way a pod spec breaks the restricted Pod Security Standard. */
export function podSecurityViolations(podSpec: Obj): string[] {
  const problems: string[] = [];
  const podSc = isObj(podSpec.securityContext) ? podSpec.securityContext : {};
  for (const field of ["hostNetwork", "hostPID", "hostIPC"]) {
    if (podSpec[field] === true) problems.push(`${field} must not be true`);
  }
  for (const volume of list(podSpec.volumes)) {
    for (const source of Object.keys(volume).filter((k) => k !== "name")) {
      if (!RESTRICTED_VOLUME_SOURCES.includes(source)) problems.push(`volume '${String(volume.name)}' uses ${source}, which the restricted standard forbids`);
    }
  }
  if (podSc.runAsUser === 0) problems.push("pod securityContext.runAsUser must not be 0");
  const podSeccomp = get(podSc, "seccompProfile.type");
  if (podSeccomp !== undefined && podSeccomp !== "RuntimeDefault" && podSeccomp !== "Localhost") {
    problems.push(`pod seccompProfile.type must be RuntimeDefault or Localhost (is ${String(podSeccomp)})`);
  }
  for (const sysctl of list(podSc.sysctls)) problems.push(`pod sets sysctl ${String(sysctl.name)}`);

  for (const c of containersOf(podSpec)) {
    const where = `${c.kind} '${c.name}'`;
    const sc = isObj(c.spec.securityContext) ? c.spec.securityContext : {};
    if (sc.privileged === true) problems.push(`${where}: privileged must not be true`);
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${where}: securityContext.allowPrivilegeEscalation must be false`);
    if ((sc.runAsNonRoot ?? podSc.runAsNonRoot) !== true) problems.push(`${where}: runAsNonRoot must be true (container or pod securityContext)`);
    if ((sc.runAsUser ?? podSc.runAsUser) === 0) problems.push(`${where}: runAsUser must not be 0`);
    const seccomp = get(sc, "seccompProfile.type") ?? podSeccomp;
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") {
      problems.push(`${where}: seccompProfile.type must be RuntimeDefault or Localhost (is ${String(seccomp)})`);
    }
    if (!strings(get(sc, "capabilities.drop")).includes("ALL")) problems.push(`${where}: securityContext.capabilities.drop must include ALL`);
    for (const cap of strings(get(sc, "capabilities.add"))) {
      if (cap !== "NET_BIND_SERVICE") problems.push(`${where}: must not add capability ${cap}`);
    }
    if (sc.procMount !== undefined && sc.procMount !== "Default") problems.push(`${where}: procMount must be Default`);
    for (const port of list(c.spec.ports)) {
      if (port.hostPort !== undefined && port.hostPort !== 0) problems.push(`${where}: hostPort ${String(port.hostPort)} is forbidden`);
    }
  }
  return problems;
}

export const podSecurityRestricted: ResourceValidationPolicy = {
  name: "pod-security-restricted",
  description:
    "Pods follow the restricted Pod Security Standard: runAsNonRoot, no privilege escalation, capabilities drop ALL, " +
    "seccomp RuntimeDefault, no privileged containers, hostPath volumes, host namespaces or host ports.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateResource: forPodSpecs((podSpec, args, report) => {
    for (const problem of podSecurityViolations(podSpec)) report(`${describe(args)}: ${problem}`);
  }),
};

// ---------------------------------------------------------------------------------------------
// Requests and limits

export const resourceRequestsLimits: ResourceValidationPolicy = {
  name: "container-resources",
  description: "Every container, init containers included, sets a memory limit and CPU and memory requests.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: forPodSpecs((podSpec, args, report) => {
    for (const c of containersOf(podSpec)) {
      if (c.kind === "ephemeralContainer") continue; // ephemeral containers cannot set resources
      const missing = ["limits.memory", "requests.cpu", "requests.memory"].filter((field) => {
        const value = get(c.spec.resources, field);
        return value === undefined || value === null || value === "";
      });
      if (missing.length > 0) report(`${describe(args)}: ${c.kind} '${c.name}' has no resources.${missing.join(", resources.")}`);
    }
  }),
};

// ---------------------------------------------------------------------------------------------
// Digest-pinned images

export const DIGEST_PINNED_IMAGE = /@sha256:[a-f0-9]{64}$/;

export const imageDigestPinned: ResourceValidationPolicy = {
  name: "image-digest-pinned",
  description: "Every container image is pinned by digest (…@sha256:<64 hex>), so a moved tag never changes what runs.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: forPodSpecs((podSpec, args, report) => {
    for (const c of containersOf(podSpec)) {
      const image = c.spec.image;
      if (typeof image !== "string" || !DIGEST_PINNED_IMAGE.test(image)) {
        report(`${describe(args)}: ${c.kind} '${c.name}' image ${JSON.stringify(image)} is not pinned by @sha256 digest`);
      }
    }
  }),
};

/** `image-not-denied` config: image digest → why it must not run (policy/denied-images.json). */
export interface DeniedImagesConfig {
  deniedImageDigests: Record<string, string>;
}

/** The digest an image reference is pinned to (sha256:<64 hex>), or undefined. */
export function digestOfImage(image: unknown): string | undefined {
  return typeof image === "string" ? /@(sha256:[a-f0-9]{64})$/.exec(image)?.[1] : undefined;
}

// A released image found vulnerable after the fact stays in the registry and in the stack's
// history; listing its digest here stops a deploy of it, a rollback to it included.
export const imageNotDenied: ResourceValidationPolicy = {
  name: "image-not-denied",
  description:
    "No container runs an image whose digest is denied (deniedImageDigests: digest → reason, from policy/denied-images.json through tools/policy-config.ts), " +
    "for example a release a later scan found vulnerable.",
  enforcementLevel: "mandatory",
  severity: "critical",
  configSchema: {
    properties: {
      deniedImageDigests: {
        type: "object",
        additionalProperties: { type: "string" },
        default: {},
      },
    },
  },
  validateResource: forPodSpecs((podSpec, args, report) => {
    const denied = args.getConfig<Partial<DeniedImagesConfig>>().deniedImageDigests ?? {};
    for (const c of containersOf(podSpec)) {
      const digest = digestOfImage(c.spec.image);
      if (digest !== undefined && Object.prototype.hasOwnProperty.call(denied, digest)) {
        report(`${describe(args)}: ${c.kind} '${c.name}' image ${String(c.spec.image)} is denied: ${denied[digest]}`);
      }
    }
  }),
};

// ---------------------------------------------------------------------------------------------
// Readiness probes on serving workloads

export const readinessProbes: ResourceValidationPolicy = {
  name: "readiness-probe",
  description: "Every container of a Deployment or StatefulSet has a readiness probe, so rollouts and Services only use ready pods.",
  enforcementLevel: "mandatory",
  severity: "medium",
  validateResource: (args, report) => {
    if (!SERVING_TYPES.includes(args.type)) return;
    const podSpec = podSpecOf(args.type, args.props) ?? {};
    const containers = list(podSpec.containers);
    if (containers.length === 0) report(`${describe(args)}: has no containers`);
    for (const c of containers) {
      if (!isObj(c.readinessProbe)) report(`${describe(args)}: container '${String(c.name)}' has no readinessProbe`);
    }
  },
};

// ---------------------------------------------------------------------------------------------
// No credentials in plain-text environment values

/** Names whose values are credentials: they must come from a Secret (valueFrom). */
export const SECRET_NAME = /(PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL|(^|_)AUTH(_|$))/i;
/** Names that hold a reference to a credential (a path, a Secret's name), not the credential. */
export const REFERENCE_NAME = /(_FILE|_PATH|_DIR|_NAME|_REF)$/i;
/** A URL with user:password@ in it. */
export const URL_WITH_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^\s/@:]*:[^\s/@]+@/i;

/** Why a plain (not valueFrom) variable looks like a leaked credential, or undefined. */
export function plainSecretReason(name: string, value: unknown): string | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  if (URL_WITH_PASSWORD.test(value)) return `${name} holds a URL with a password in plain text`;
  if (SECRET_NAME.test(name) && !REFERENCE_NAME.test(name)) return `${name} looks like a credential but has a plain-text value`;
  return undefined;
}

export const noPlainTextSecrets: ResourceValidationPolicy = {
  name: "no-plaintext-secret-env",
  description:
    "Environment variables that look like credentials (*PASSWORD*, *SECRET*, *TOKEN*, URLs with user:pass@) use valueFrom a Secret, " +
    "and ConfigMaps hold no such values.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateResource: (args, report) => {
    if (args.type === TYPES.configMap) {
      const data = isObj(args.props.data) ? args.props.data : {};
      for (const [key, value] of Object.entries(data)) {
        const reason = plainSecretReason(key, value);
        if (reason) report(`${describe(args)}: ${reason}; put it in a Secret`);
      }
      return;
    }
    const podSpec = podSpecOf(args.type, args.props);
    if (podSpec === undefined) return;
    for (const c of containersOf(podSpec)) {
      for (const env of list(c.spec.env)) {
        if (env.valueFrom !== undefined) continue;
        const reason = plainSecretReason(String(env.name), env.value);
        if (reason) report(`${describe(args)}: ${c.kind} '${c.name}': ${reason}; use valueFrom.secretKeyRef`);
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------
// Service types

export interface ServiceTypeConfig {
  allowedServiceTypes: string[];
}

export const serviceTypes: ResourceValidationPolicy = {
  name: "service-type-allowed",
  description:
    "Services are ClusterIP unless the stack asks for more: allowedServiceTypes (default [ClusterIP]) is set from clickvote:serviceType " +
    "by tools/policy-config.ts.",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: {
    properties: {
      allowedServiceTypes: {
        type: "array",
        items: { type: "string", enum: ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"] },
        default: ["ClusterIP"],
      },
    },
  },
  validateResource: (args, report) => {
    if (args.type !== TYPES.service) return;
    const allowed = args.getConfig<Partial<ServiceTypeConfig>>().allowedServiceTypes ?? ["ClusterIP"];
    const type = get(args.props, "spec.type") ?? "ClusterIP";
    if (typeof type !== "string" || !allowed.includes(type)) {
      report(`${describe(args)}: type ${String(type)} is not allowed (allowedServiceTypes: ${allowed.join(", ")}); set clickvote:serviceType to ask for it`);
    }
  },
};

// ---------------------------------------------------------------------------------------------
// Stack policies

/** Whether a label selector (matchLabels + matchExpressions) selects a set of labels. */
export function selectorMatches(selector: unknown, labels: Record<string, string>): boolean {
  if (!isObj(selector)) return false;
  const matchLabels = isObj(selector.matchLabels) ? selector.matchLabels : {};
  const expressions = list(selector.matchExpressions);
  if (Object.keys(matchLabels).length === 0 && expressions.length === 0) return true;
  for (const [k, v] of Object.entries(matchLabels)) if (labels[k] !== v) return false;
  for (const e of expressions) {
    const key = String(e.key);
    const values = strings(e.values);
    const has = Object.prototype.hasOwnProperty.call(labels, key);
    switch (e.operator) {
      case "In":
        if (!has || !values.includes(labels[key])) return false;
        break;
      case "NotIn":
        if (has && values.includes(labels[key])) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

function labelsAt(props: Obj, path: string): Record<string, string> {
  const labels = get(props, path);
  if (!isObj(labels)) return {};
  return Object.fromEntries(Object.entries(labels).filter((e): e is [string, string] => typeof e[1] === "string"));
}

/** The replica count a Deployment or StatefulSet runs with at least, counting an HPA's minReplicas. */
function minimumReplicas(workload: PolicyResource, resources: PolicyResource[]): number {
  const name = get(workload.props, "metadata.name");
  const namespace = namespaceOf(workload.props);
  const kind = workload.type.split(":").pop();
  const hpa = resources.find(
    (r) =>
      r.type.startsWith("kubernetes:autoscaling/") &&
      r.type.endsWith(":HorizontalPodAutoscaler") &&
      namespaceOf(r.props) === namespace &&
      get(r.props, "spec.scaleTargetRef.kind") === kind &&
      get(r.props, "spec.scaleTargetRef.name") === name,
  );
  if (hpa) {
    const min = get(hpa.props, "spec.minReplicas");
    return typeof min === "number" ? min : 1;
  }
  const replicas = get(workload.props, "spec.replicas");
  return typeof replicas === "number" ? replicas : 1;
}

export const disruptionBudgets: StackValidationPolicy = {
  name: "pod-disruption-budget",
  description:
    "Every Deployment or StatefulSet that runs more than one replica (or whose HPA allows more than one at minimum) has a PodDisruptionBudget selecting its pods.",
  enforcementLevel: "mandatory",
  severity: "medium",
  validateStack: (args, report) => {
    const pdbs = args.resources.filter((r) => r.type === TYPES.pdb || r.type === "kubernetes:policy/v1beta1:PodDisruptionBudget");
    for (const w of args.resources.filter((r) => SERVING_TYPES.includes(r.type))) {
      if (minimumReplicas(w, args.resources) <= 1) continue;
      const labels = labelsAt(w.props, "spec.template.metadata.labels");
      const namespace = namespaceOf(w.props);
      const covered = pdbs.some((p) => namespaceOf(p.props) === namespace && selectorMatches(get(p.props, "spec.selector"), labels));
      if (!covered) report(`${describe(w)} runs several replicas but no PodDisruptionBudget in namespace ${namespace} selects its pods`, w.urn);
    }
  },
};

export interface DataVolumeConfig {
  /** Require Pulumi protect on data volumes. Unset: on when the stack's name looks like prod (prodStackPattern). */
  requireProtect?: boolean;
  prodStackPattern: string;
}

export const DEFAULT_PROD_STACK_PATTERN = "^(.*[-_./])?prod(uction)?$";

/** The stack name in a URN (urn:pulumi:<stack>::<project>::…). */
export function stackOfUrn(urn: string): string | undefined {
  const match = /^urn:pulumi:([^:]+)::/.exec(urn);
  return match ? match[1] : undefined;
}

/** Whether protect is required: the config says so, or else the stack's name matches the prod pattern. */
export function protectRequired(config: Partial<DataVolumeConfig>, resources: readonly PolicyResource[]): boolean {
  if (typeof config.requireProtect === "boolean") return config.requireProtect;
  const pattern = new RegExp(config.prodStackPattern ?? DEFAULT_PROD_STACK_PATTERN);
  const stack = resources.map((r) => stackOfUrn(r.urn)).find((s) => s !== undefined);
  return stack !== undefined && pattern.test(stack);
}

/** What the analyzer may tell us beyond @pulumi/policy's declared options (retainOnDelete is not sent by 1.21). */
type OptionsWithRetain = PolicyResource["opts"] & { retainOnDelete?: boolean };

export const dataVolumesRetained: StackValidationPolicy = {
  name: "data-volumes-retained",
  description:
    "Data survives a destroy: StatefulSets with volumeClaimTemplates keep their claims (persistentVolumeClaimRetentionPolicy Retain), " +
    "PersistentVolumeClaims are retainOnDelete, and in prod (requireProtect) StatefulSets with data, PVCs and the namespaces holding them are protected.",
  enforcementLevel: "mandatory",
  severity: "critical",
  configSchema: {
    properties: {
      requireProtect: { type: "boolean" },
      prodStackPattern: { type: "string", default: DEFAULT_PROD_STACK_PATTERN },
    },
  },
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const requireProtect = protectRequired(args.getConfig<Partial<DataVolumeConfig>>(), args.resources);
    const dataNamespaces = new Set<string>();
    for (const r of args.resources) {
      const opts = r.opts as OptionsWithRetain;
      if (r.type === TYPES.statefulSet && list(get(r.props, "spec.volumeClaimTemplates")).length > 0) {
        dataNamespaces.add(namespaceOf(r.props));
        const policy = get(r.props, "spec.persistentVolumeClaimRetentionPolicy");
        for (const field of ["whenDeleted", "whenScaled"]) {
          if (get(policy, field) !== "Retain") {
            report(`${describe(r)}: spec.persistentVolumeClaimRetentionPolicy.${field} must be Retain (is ${String(get(policy, field))})`, r.urn);
          }
        }
        if (requireProtect && opts.protect !== true) report(`${describe(r)} holds data and must be protected (protect: true)`, r.urn);
      }
      if (r.type === TYPES.pvc) {
        dataNamespaces.add(namespaceOf(r.props));
        // @pulumi/policy 1.21 does not pass retainOnDelete to the analyzer: only check it when reported.
        if (opts.retainOnDelete === false) report(`${describe(r)} must be retainOnDelete: true so destroy leaves the volume`, r.urn);
        if (requireProtect && opts.protect !== true) report(`${describe(r)} holds data and must be protected (protect: true)`, r.urn);
      }
    }
    if (!requireProtect) return;
    for (const r of args.resources) {
      if (r.type !== TYPES.namespace) continue;
      const name = get(r.props, "metadata.name");
      // Deleting a namespace deletes every claim in it, whatever the retention policies say.
      if (typeof name === "string" && dataNamespaces.has(name) && r.opts.protect !== true) {
        report(`${describe(r)} holds data volumes and must be protected (protect: true)`, r.urn);
      }
    }
  },
};

export const resourcePolicies: ResourceValidationPolicy[] = [
  podSecurityRestricted,
  resourceRequestsLimits,
  imageDigestPinned,
  imageNotDenied,
  readinessProbes,
  noPlainTextSecrets,
  serviceTypes,
];

export const stackPolicies: StackValidationPolicy[] = [disruptionBudgets, dataVolumesRetained];

export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [...resourcePolicies, ...stackPolicies];
