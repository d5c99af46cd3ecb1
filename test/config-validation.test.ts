import { describe, expect, it } from "vitest";
import { parseQuantity } from "../settings/declare";
import { SettingKey } from "../settings/settings";
import { ConfigValidationError, parseSettings } from "../settings/validate";
import { stackConfig } from "./harness";

/** A ConfigSource over a stack file plus overrides ("key": value, or undefined to unset). */
function source(stack: string, overrides: Record<string, string | undefined> = {}, extraKeys: string[] = []) {
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries(stackConfig(stack))) values[k.replace(/^clickvote:/, "")] = v;
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete values[k];
    else values[k] = v;
  }
  return {
    get: (key: SettingKey) => values[key],
    allKeys: () => [...Object.keys(values).map((k) => `clickvote:${k}`), ...extraKeys],
  };
}

function problemsOf(stack: string, overrides: Record<string, string | undefined>, extraKeys: string[] = []): readonly string[] {
  try {
    parseSettings(source(stack, overrides, extraKeys));
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigValidationError);
    return (err as ConfigValidationError).problems;
  }
  throw new Error(`expected ${JSON.stringify(overrides)} to be rejected`);
}

describe("stack files", () => {
  it("dev parses with its own values and the defaults", () => {
    const c = parseSettings(source("dev"));
    expect(c.environment).toBe("dev");
    expect(c.appReplicas).toBe(1);
    expect(c.appMode).toBe("development");
    expect(c.ingressEnabled).toBe(false);
    expect(c.buildPlatforms).toEqual(["linux/amd64", "linux/arm64"]);
    expect(c.protectData).toBe(false);
  });

  it("prod parses and asks for replicas, protection, TLS and monitoring", () => {
    const c = parseSettings(source("prod"));
    expect(c.appReplicas).toBeGreaterThanOrEqual(2);
    expect(c.protectData).toBe(true);
    expect(c.ingressEnabled).toBe(true);
    expect(c.ingressTlsSecretName).not.toBe("");
    expect(c.monitoring).toBe("serviceMonitor");
    expect(c.version).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

// Each bad config must be rejected with a message that names the key and what is allowed.
const BAD_CONFIGS: Array<{ stack: string; set: Record<string, string | undefined>; key: string; says: RegExp }> = [
  { stack: "prod", set: { version: "1.2" }, key: "version", says: /semantic version/ },
  { stack: "prod", set: { version: "1.2.0-rc.1" }, key: "version", says: /release version X\.Y\.Z in prod/ },
  { stack: "dev", set: { version: "latest" }, key: "version", says: /semantic version/ },
  { stack: "dev", set: { appReplicas: "0" }, key: "appReplicas", says: /integer from 1 to 20/ },
  { stack: "dev", set: { appReplicas: "21" }, key: "appReplicas", says: /integer from 1 to 20/ },
  { stack: "dev", set: { appReplicas: "two" }, key: "appReplicas", says: /must be an integer/ },
  { stack: "prod", set: { appReplicas: "1" }, key: "appReplicas", says: /at least 2 in prod/ },
  { stack: "dev", set: { imageRepository: "ghcr.io/Clickvote/App" }, key: "imageRepository", says: /lower-case path/ },
  { stack: "dev", set: { imageRepository: "localhost:5001/Clickvote" }, key: "imageRepository", says: /lower-case path/ },
  { stack: "dev", set: { imageRepository: "ghcr.io/clickvote" }, key: "imageRepository", says: /ghcr\.io\/<owner>\/<name> on GHCR/ },
  { stack: "dev", set: { imageRepository: "clickvote" }, key: "imageRepository", says: /OCI repository <registry host>\[:port\]\/<path>/ },
  { stack: "dev", set: { imageRepository: "team/clickvote" }, key: "imageRepository", says: /must start with a registry host/ },
  { stack: "dev", set: { imageRepository: "localhost:5001/clickvote:1.0" }, key: "imageRepository", says: /must not carry a tag/ },
  { stack: "dev", set: { imageRepository: `localhost:5001/clickvote@sha256:${"a".repeat(64)}` }, key: "imageRepository", says: /must not carry a digest/ },
  { stack: "dev", set: { imageRepository: "registry.example.com/-clickvote" }, key: "imageRepository", says: /OCI repository/ },
  { stack: "dev", set: { imageRepository: "registry.example.com:port/clickvote" }, key: "imageRepository", says: /OCI repository/ },
  { stack: "dev", set: { imageRepository: `registry.example.com/${"a".repeat(250)}` }, key: "imageRepository", says: /at most 255 characters/ },
  { stack: "prod", set: { imageRepository: "localhost:5001/clickvote" }, key: "imageRepository", says: /must not be a loopback registry in prod/ },
  { stack: "prod", set: { imageRepository: "127.0.0.1:5000/clickvote" }, key: "imageRepository", says: /must not be a loopback registry in prod/ },
  { stack: "dev", set: { redisMemoryRequest: "512Mi" }, key: "redisMemoryRequest", says: /must not exceed redisMemoryLimit/ },
  {
    stack: "dev",
    set: { networkPolicyDnsCidrs: '["10.96.0.10/33"]' },
    key: "networkPolicyDnsCidrs",
    says: /each entry must be a CIDR such as 169\.254\.20\.10\/32/,
  },
  { stack: "dev", set: { networkPolicyDnsCidrs: '["10.96.0.10"]' }, key: "networkPolicyDnsCidrs", says: /each entry must be a CIDR/ },
  { stack: "dev", set: { networkPolicyAppClientCidrs: '["fd00::/129"]' }, key: "networkPolicyAppClientCidrs", says: /each entry must be a CIDR/ },
  { stack: "dev", set: { networkPolicyDnsPeers: "none" }, key: "networkPolicyDnsPeers", says: /one of any, cluster/ },
  { stack: "dev", set: { serviceType: "LoadBalancer" }, key: "networkPolicyAppClientCidrs", says: /must list the clients of the LoadBalancer Service/ },
  // Settings that must fit together (issue kind 4)
  {
    stack: "dev",
    set: { redisMaxMemory: "1gb", redisMemoryLimit: "256Mi" },
    key: "redisMaxMemory",
    says: /headroom for the AOF rewrite fork: redisMemoryLimit \(256Mi\) must be at least 1\.5 × redisMaxMemory \(1gb\)/,
  },
  {
    stack: "dev",
    set: { redisMaxMemory: "256mb", redisMemoryLimit: "256Mi" },
    key: "redisMaxMemory",
    says: /redisMemoryLimit \(256Mi\) must be at least 1\.5 × redisMaxMemory/,
  },
  { stack: "prod", set: { redisMaxMemory: "600mb" }, key: "redisMaxMemory", says: /headroom for the AOF rewrite fork/ },
  { stack: "dev", set: { postgresShmSize: "512Mi" }, key: "postgresShmSize", says: /at most half of postgresMemoryLimit \(512Mi\)/ },
  { stack: "dev", set: { backupKeep: "30" }, key: "backupStorageSize", says: /\(backupKeep \+ 1\) × postgresStorageSize \(1Gi\) × 0\.25 = 7\.8Gi/ },
  { stack: "prod", set: { backupStorageSize: "50Gi" }, key: "backupStorageSize", says: /at least .* = 75Gi/ },
  { stack: "prod", set: { preStopSleepSeconds: "0" }, key: "preStopSleepSeconds", says: /at least 3 outside dev/ },
  { stack: "prod", set: { appRolloutTimeoutSeconds: "60" }, key: "appRolloutTimeoutSeconds", says: /at least 90: the app's startup probe alone may take 60 s/ },
  {
    stack: "prod",
    set: { dataRolloutTimeoutSeconds: "120" },
    key: "dataRolloutTimeoutSeconds",
    says: /at least 210: PostgreSQL's startup probe alone may take 180 s/,
  },
  { stack: "dev", set: { imageMode: "pull" }, key: "imageMode", says: /one of build, tag, digest/ },
  { stack: "dev", set: { imageMode: "digest" }, key: "imageDigest", says: /required when imageMode is digest/ },
  { stack: "dev", set: { imageMode: "digest", imageDigest: "sha256:abc" }, key: "imageDigest", says: /sha256:<64/ },
  { stack: "dev", set: { imageDigest: `sha256:${"a".repeat(64)}` }, key: "imageDigest", says: /only allowed when imageMode is digest/ },
  { stack: "dev", set: { imageTag: "bad tag!" }, key: "imageTag", says: /Docker tag/ },
  { stack: "dev", set: { postgresStorageSize: "10GB" }, key: "postgresStorageSize", says: /byte quantity/ },
  { stack: "dev", set: { redisStorageSize: "0Gi" }, key: "redisStorageSize", says: /positive byte quantity/ },
  { stack: "dev", set: { appCpuRequest: "lots" }, key: "appCpuRequest", says: /Kubernetes quantity/ },
  { stack: "dev", set: { appMemoryRequest: "1Gi", appMemoryLimit: "512Mi" }, key: "appMemoryRequest", says: /must not exceed appMemoryLimit/ },
  { stack: "dev", set: { appRolloutTimeoutSeconds: "0" }, key: "appRolloutTimeoutSeconds", says: /integer from 30 to 3600/ },
  { stack: "dev", set: { migrationTimeoutSeconds: "-5" }, key: "migrationTimeoutSeconds", says: /integer from 30 to 3600/ },
  { stack: "dev", set: { appMode: "staging" }, key: "appMode", says: /one of production, development/ },
  { stack: "dev", set: { logLevel: "verbose" }, key: "logLevel", says: /one of trace, debug, info/ },
  { stack: "dev", set: { ingressEnabled: "yes" }, key: "ingressEnabled", says: /true or false/ },
  { stack: "dev", set: { ingressEnabled: "true" }, key: "ingressHost", says: /required when ingressEnabled/ },
  { stack: "prod", set: { ingressTlsSecretName: "" }, key: "ingressTlsSecretName", says: /required in prod/ },
  { stack: "prod", set: { protectData: "false" }, key: "protectData", says: /must be true in prod/ },
  { stack: "dev", set: { namespace: "Click_Vote" }, key: "namespace", says: /DNS-1123 label/ },
  { stack: "dev", set: { serviceType: "ExternalName" }, key: "serviceType", says: /one of ClusterIP, NodePort, LoadBalancer/ },
  { stack: "dev", set: { postgresImage: "postgres:17" }, key: "postgresImage", says: /digest-pinned/ },
  { stack: "dev", set: { redisImage: "docker.io/library/redis:7.4-alpine" }, key: "redisImage", says: /digest-pinned/ },
  { stack: "dev", set: { buildPlatforms: '["windows/amd64"]' }, key: "buildPlatforms", says: /platform such as linux\/amd64/ },
  { stack: "dev", set: { buildPlatforms: "linux/amd64" }, key: "buildPlatforms", says: /JSON array of strings/ },
  { stack: "dev", set: { buildPlatforms: "[]" }, key: "buildPlatforms", says: /at least one platform/ },
  { stack: "dev", set: { hpaEnabled: "true", hpaMinReplicas: "5", hpaMaxReplicas: "3" }, key: "hpaMinReplicas", says: /must not exceed hpaMaxReplicas/ },
  { stack: "dev", set: { backupSchedule: "every night" }, key: "backupSchedule", says: /five-field cron/ },
  { stack: "dev", set: { backupKeep: "0" }, key: "backupKeep", says: /integer from 1 to 365/ },
  { stack: "dev", set: { redisMaxMemory: "128" }, key: "redisMaxMemory", says: /Redis size/ },
  { stack: "dev", set: { postgresUser: "Click-Vote" }, key: "postgresUser", says: /PostgreSQL identifier/ },
  { stack: "dev", set: { monitoring: "prometheus" }, key: "monitoring", says: /none, annotations, serviceMonitor/ },
];

describe("bad configs are rejected with the key and what is allowed", () => {
  it("has a table of at least 20 cases", () => {
    expect(BAD_CONFIGS.length).toBeGreaterThanOrEqual(20);
  });

  it.each(BAD_CONFIGS)("$stack: $key ← $set", ({ stack, set, key, says }) => {
    const problems = problemsOf(stack, set);
    const mine = problems.filter((p) => p.startsWith(`clickvote:${key}:`));
    expect(mine, `problems were: ${problems.join(" | ")}`).toHaveLength(1);
    expect(mine[0]).toMatch(says);
  });

  it("names every bad key in one error", () => {
    const problems = problemsOf("dev", { appReplicas: "0", logLevel: "loud", postgresStorageSize: "big" });
    expect(problems.map((p) => p.split(":")[1]).sort()).toEqual(["appReplicas", "logLevel", "postgresStorageSize"]);
    const message = new ConfigValidationError(problems).message;
    expect(message).toContain("3 problems");
    expect(message).toContain('(got "big")');
  });

  it("rejects settings it does not know (typos)", () => {
    const problems = problemsOf("dev", {}, ["clickvote:appReplica"]);
    expect(problems).toEqual([expect.stringMatching(/^clickvote:appReplica: is not a Clickvote setting/)]);
  });

  it("ignores other namespaces' settings", () => {
    expect(() => parseSettings(source("dev", {}, ["kubernetes:context"]))).not.toThrow();
  });
});

describe("imageRepository accepts any OCI repository with a registry host", () => {
  it.each([
    "ghcr.io/clickvote/clickvote",
    "localhost:5001/clickvote",
    "127.0.0.1:5000/clickvote",
    "[::1]:5000/clickvote",
    "registry.example.com/team/sub/clickvote",
    "registry.example.com:8443/team/click_vote",
    "Registry.Example.com/team/click-vote",
    "registry.example.com/team/click__vote.v2",
  ])("%s", (repository) => {
    expect(parseSettings(source("dev", { imageRepository: repository })).imageRepository).toBe(repository);
  });

  it("prod accepts a non-loopback registry other than GHCR", () => {
    expect(parseSettings(source("prod", { imageRepository: "registry.example.com:5000/team/clickvote" })).imageRepository).toBe(
      "registry.example.com:5000/team/clickvote",
    );
  });
});

describe("rules that hold at their bounds", () => {
  it.each([
    { redisMaxMemory: "128mb", redisMemoryLimit: "192Mi" },
    { postgresShmSize: "256Mi", postgresMemoryLimit: "512Mi" },
    { backupKeep: "3", backupStorageSize: "1Gi" },
    { backupEnabled: "false", backupKeep: "300" },
    { appRolloutTimeoutSeconds: "90", dataRolloutTimeoutSeconds: "210" },
    { appRolloutTimeoutSeconds: "60", dataRolloutTimeoutSeconds: "120" },
    { preStopSleepSeconds: "0" },
  ])("dev accepts %o", (set) => {
    expect(() => parseSettings(source("dev", set))).not.toThrow();
  });
});

describe("quantities", () => {
  it("parses Kubernetes quantities", () => {
    expect(parseQuantity("500m")).toBeCloseTo(0.5);
    expect(parseQuantity("1Gi")).toBe(2 ** 30);
    expect(parseQuantity("2")).toBe(2);
    expect(parseQuantity("1GB")).toBeUndefined();
    expect(parseQuantity("")).toBeUndefined();
  });
});
