import { z } from "zod";
import { CONFIG_KEYS, CONFIG_NAMESPACE, ConfigKey, ConfigKeySpec } from "./config-keys";

/** Raised before any resource is registered; lists every bad key at once. */
export class ConfigValidationError extends Error {
  constructor(public readonly problems: readonly string[]) {
    super(
      `Invalid Clickvote configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
    this.name = "ConfigValidationError";
  }
}

/** Where settings come from: plain values as strings (as Pulumi hands them over) and whether a secret is set. */
export interface ConfigSource {
  get(key: ConfigKey): string | undefined;
  hasSecret(key: ConfigKey): boolean;
  /** Every key the stack sets, namespaced ("clickvote:appReplicas"), so typos are caught. */
  allKeys?(): string[];
}

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;
const RELEASE_SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
const GHCR_REPOSITORY = /^ghcr\.io\/[a-z0-9](?:[a-z0-9-]{0,38})\/[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;
const DOCKER_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;
const DIGEST_PINNED_IMAGE = /^[a-z0-9.-]+(?::\d+)?\/[a-z0-9._/-]+(?::[A-Za-z0-9_.-]+)?@sha256:[a-f0-9]{64}$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const PG_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const QUANTITY = /^(\d+(?:\.\d+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const REDIS_MEMORY = /^[1-9]\d*(?:kb|mb|gb)$/i;
const CRON_FIELD = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;
const PLATFORM = /^linux\/(amd64|arm64|arm\/v7|arm\/v6|ppc64le|s390x|riscv64)$/;

const QUANTITY_FACTORS: Record<string, number> = {
  "": 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** Numeric value of a Kubernetes quantity such as "500m" or "1Gi"; undefined if malformed. */
export function parseQuantity(text: string): number | undefined {
  const match = QUANTITY.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * QUANTITY_FACTORS[match[2] ?? ""];
}

const positiveQuantity = (what: string) =>
  z.string().refine((v) => (parseQuantity(v) ?? 0) > 0, {
    message: `must be a positive Kubernetes quantity for ${what} (e.g. 250m, 1, 512Mi, 10Gi)`,
  });
const byteQuantity = (what: string) =>
  z.string().refine((v) => QUANTITY.test(v) && !v.endsWith("m") && (parseQuantity(v) ?? 0) > 0, {
    message: `must be a positive byte quantity for ${what} (e.g. 512Mi, 10Gi)`,
  });
const intRange = (min: number, max: number) =>
  z.number().int().min(min, { message: `must be an integer from ${min} to ${max}` }).max(max, {
    message: `must be an integer from ${min} to ${max}`,
  });
const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { message: `must be one of ${values.join(", ")}` });
const optionalMatching = (pattern: RegExp, allowed: string) =>
  z.string().refine((v) => v === "" || pattern.test(v), { message: `must be empty or ${allowed}` });

const schema = z
  .object({
    environment: oneOf(["dev", "staging", "prod"] as const),
    namespace: z.string().regex(DNS_LABEL, { message: "must be a DNS-1123 label (lower-case letters, digits, '-', at most 63)" }),
    createNamespace: z.boolean(),
    imageMode: oneOf(["build", "tag", "digest"] as const),
    imageRepository: z.string().regex(GHCR_REPOSITORY, { message: "must be a lower-case ghcr.io/<owner>/<name>" }),
    version: z.string().regex(SEMVER, { message: "must be a semantic version such as 1.4.2 or 1.5.0-rc.1" }),
    imageTag: optionalMatching(DOCKER_TAG, "a Docker tag ([A-Za-z0-9_.-], at most 128 characters)"),
    imageDigest: optionalMatching(SHA256_DIGEST, "sha256:<64 lower-case hex digits>"),
    buildContext: z.string().min(1, { message: "must name a directory" }),
    dockerfile: z.string().min(1, { message: "must name a Dockerfile" }),
    buildPlatforms: z
      .array(z.string().regex(PLATFORM, { message: "each entry must be a platform such as linux/amd64 or linux/arm64" }))
      .min(1, { message: "must list at least one platform" }),
    buildOnPreview: z.boolean(),
    sourceUrl: optionalMatching(/^https:\/\/\S+$/, "an https:// URL"),
    gitRevision: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, { message: "must be a commit id or 'unknown'" }),
    registryUsername: z.string(),
    imagePullUsername: z.string(),
    appReplicas: intRange(1, 20),
    appMode: oneOf(["production", "development"] as const),
    logLevel: oneOf(["trace", "debug", "info", "warn", "error", "fatal"] as const),
    appCpuRequest: positiveQuantity("CPU"),
    appMemoryRequest: byteQuantity("memory"),
    appCpuLimit: positiveQuantity("CPU"),
    appMemoryLimit: byteQuantity("memory"),
    shutdownGraceSeconds: intRange(1, 300),
    preStopSleepSeconds: intRange(0, 60),
    serviceType: oneOf(["ClusterIP", "NodePort", "LoadBalancer"] as const),
    ingressEnabled: z.boolean(),
    ingressHost: optionalMatching(DNS_NAME, "a lower-case DNS name such as vote.example.com"),
    ingressClassName: z.string().regex(DNS_NAME, { message: "must be an IngressClass name" }),
    ingressTlsSecretName: optionalMatching(DNS_NAME, "a Secret name"),
    hpaEnabled: z.boolean(),
    hpaMinReplicas: intRange(1, 50),
    hpaMaxReplicas: intRange(1, 100),
    hpaCpuUtilization: intRange(10, 100),
    monitoring: oneOf(["none", "annotations", "serviceMonitor"] as const),
    postgresImage: z.string().regex(DIGEST_PINNED_IMAGE, { message: "must be a digest-pinned image reference (…@sha256:<64 hex>)" }),
    postgresDatabase: z.string().regex(PG_IDENTIFIER, { message: "must be a lower-case PostgreSQL identifier" }),
    postgresUser: z.string().regex(PG_IDENTIFIER, { message: "must be a lower-case PostgreSQL identifier" }),
    postgresStorageSize: byteQuantity("storage"),
    postgresStorageClass: optionalMatching(DNS_NAME, "a StorageClass name"),
    postgresCpuRequest: positiveQuantity("CPU"),
    postgresMemoryRequest: byteQuantity("memory"),
    postgresMemoryLimit: byteQuantity("memory"),
    redisImage: z.string().regex(DIGEST_PINNED_IMAGE, { message: "must be a digest-pinned image reference (…@sha256:<64 hex>)" }),
    redisStorageSize: byteQuantity("storage"),
    redisStorageClass: optionalMatching(DNS_NAME, "a StorageClass name"),
    redisMaxMemory: z.string().regex(REDIS_MEMORY, { message: "must be a Redis size such as 128mb or 1gb" }),
    redisMemoryLimit: byteQuantity("memory"),
    protectData: z.boolean(),
    appRolloutTimeoutSeconds: intRange(30, 3600),
    dataRolloutTimeoutSeconds: intRange(30, 3600),
    migrationTimeoutSeconds: intRange(30, 3600),
    migrationBackoffLimit: intRange(0, 10),
    networkPolicyEnabled: z.boolean(),
    ingressControllerNamespace: z.string().regex(DNS_LABEL, { message: "must be a namespace name (DNS-1123 label)" }),
    metricsNamespace: z.string().regex(DNS_LABEL, { message: "must be a namespace name (DNS-1123 label)" }),
    backupEnabled: z.boolean(),
    backupSchedule: z.string().refine((v) => {
      const fields = v.trim().split(/\s+/);
      return fields.length === 5 && fields.every((f) => CRON_FIELD.test(f));
    }, { message: "must be a five-field cron schedule such as '17 3 * * *'" }),
    backupKeep: intRange(1, 365),
    backupStorageSize: byteQuantity("storage"),
  })
  .strict()
  .superRefine((c, ctx) => {
    const fail = (key: ConfigKey, message: string) => ctx.addIssue({ code: "custom", path: [key], message });
    if (c.environment === "prod") {
      if (!RELEASE_SEMVER.test(c.version)) fail("version", "must be a release version X.Y.Z in prod (no pre-release or build suffix)");
      if (c.hpaEnabled ? c.hpaMinReplicas < 2 : c.appReplicas < 2) {
        fail(c.hpaEnabled ? "hpaMinReplicas" : "appReplicas", "must be at least 2 in prod, so a rollout or node drain never drops the service");
      }
      if (!c.protectData) fail("protectData", "must be true in prod");
      if (c.appMode !== "production") fail("appMode", "must be production in prod");
      if (c.ingressEnabled && c.ingressTlsSecretName === "") fail("ingressTlsSecretName", "is required in prod when ingressEnabled is true (TLS only)");
    }
    if (c.imageMode === "digest" && c.imageDigest === "") fail("imageDigest", "is required when imageMode is digest (sha256:<64 hex>)");
    if (c.imageMode !== "digest" && c.imageDigest !== "") fail("imageDigest", "is only allowed when imageMode is digest");
    if (c.imageMode === "tag" && c.imageTag === "" && !DOCKER_TAG.test(c.version)) {
      fail("imageTag", "is required when version is not a valid Docker tag");
    }
    if (c.ingressEnabled && c.ingressHost === "") fail("ingressHost", "is required when ingressEnabled is true");
    if (c.hpaEnabled && c.hpaMinReplicas > c.hpaMaxReplicas) fail("hpaMinReplicas", "must not exceed hpaMaxReplicas");
    const lessOrEqual = (request: ConfigKey, limit: ConfigKey, a: string, b: string) => {
      const ra = parseQuantity(a);
      const rb = parseQuantity(b);
      if (ra !== undefined && rb !== undefined && ra > rb) fail(request, `must not exceed ${limit} (${b})`);
    };
    lessOrEqual("appCpuRequest", "appCpuLimit", c.appCpuRequest, c.appCpuLimit);
    lessOrEqual("appMemoryRequest", "appMemoryLimit", c.appMemoryRequest, c.appMemoryLimit);
    lessOrEqual("postgresMemoryRequest", "postgresMemoryLimit", c.postgresMemoryRequest, c.postgresMemoryLimit);
  });

type ParsedConfig = z.infer<typeof schema>;

export interface ClickvoteConfig extends ParsedConfig {
  /** Stack name, for labels and the ephemeral-stack naming. */
  readonly stack: string;
  readonly hasRegistryToken: boolean;
  readonly hasImagePullToken: boolean;
}

function allowedFor(spec: ConfigKeySpec): string {
  switch (spec.type) {
    case "integer":
      return "an integer";
    case "boolean":
      return "true or false";
    case "array":
      return 'a JSON array of strings such as ["linux/amd64"]';
    default:
      return "a string";
  }
}

/** Turns the string Pulumi hands over into the declared type, or reports why it can't. */
function coerce(spec: ConfigKeySpec, text: string): { value: unknown } | { error: string } {
  switch (spec.type) {
    case "integer":
      return /^-?\d+$/.test(text.trim()) ? { value: Number(text.trim()) } : { error: `must be ${allowedFor(spec)}` };
    case "boolean":
      return text === "true" || text === "false" ? { value: text === "true" } : { error: `must be ${allowedFor(spec)}` };
    case "array": {
      try {
        const parsed: unknown = JSON.parse(text);
        if (Array.isArray(parsed) && parsed.every((x) => typeof x === "string")) return { value: parsed };
      } catch {
        // fall through to the error below
      }
      return { error: `must be ${allowedFor(spec)}` };
    }
    default:
      return { value: text };
  }
}

function describeValue(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
}

/**
 * Validates every setting of a stack and returns the typed configuration, or throws one
 * ConfigValidationError naming every bad key and what it allows. Pure: no resource is touched.
 */
export function parseConfig(source: ConfigSource, stack: string): ClickvoteConfig {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const key of source.allKeys?.() ?? []) {
    const [namespace, name] = key.split(":", 2);
    if (namespace === CONFIG_NAMESPACE && !(name in CONFIG_KEYS)) {
      problems.push(`${key}: is not a Clickvote setting (see the config reference in README.md)`);
    }
  }
  for (const [key, spec] of Object.entries(CONFIG_KEYS) as [ConfigKey, ConfigKeySpec][]) {
    if (spec.secret) continue;
    const raw = source.get(key);
    if (raw === undefined) {
      values[key] = spec.default;
      continue;
    }
    const result = coerce(spec, raw);
    if ("error" in result) problems.push(`${CONFIG_NAMESPACE}:${key}: ${result.error} (got ${describeValue(raw)})`);
    else values[key] = result.value;
  }

  let parsed: ParsedConfig | undefined;
  const outcome = schema.safeParse(values);
  if (outcome.success) {
    parsed = outcome.data;
  } else {
    for (const issue of outcome.error.issues) {
      const key = String(issue.path[0] ?? "");
      // Keys that failed coercion already have a problem; don't report them twice.
      if (problems.some((p) => p.startsWith(`${CONFIG_NAMESPACE}:${key}:`))) continue;
      const got = key in values ? ` (got ${describeValue(values[key])})` : "";
      problems.push(`${CONFIG_NAMESPACE}:${key}: ${issue.message}${got}`);
    }
  }
  if (problems.length > 0 || parsed === undefined) throw new ConfigValidationError(problems);

  return {
    ...parsed,
    stack,
    hasRegistryToken: source.hasSecret("registryToken"),
    hasImagePullToken: source.hasSecret("imagePullToken"),
  };
}

/** Names of settings a stack file may set, namespaced as Pulumi writes them. */
export function knownConfigKeys(): string[] {
  return Object.keys(CONFIG_KEYS).map((k) => `${CONFIG_NAMESPACE}:${k}`);
}
