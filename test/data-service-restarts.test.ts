// Issue kind "a setting that reaches the data services but not the running data": a change that
// the server only reads at start (a rotated password, redis.conf) changes the StatefulSet's pod
// template, so the pod restarts and picks it up; nothing else in the template moves.
import { beforeAll, describe, expect, it } from "vitest";
import { ProgramRun, runProgram } from "./harness";
import { get } from "./workloads";

const ANNOTATION = "clickvote.dev/config-checksum";
const STATEFULSET = "kubernetes:apps/v1:StatefulSet";
const SECRET = "kubernetes:core/v1:Secret";

const template = (run: ProgramRun, which: string) => get(run.one(STATEFULSET, which).inputs, "spec.template") as Record<string, unknown>;
const checksum = (run: ProgramRun, which: string) => (get(template(run, which), "metadata.annotations") as Record<string, string> | undefined)?.[ANNOTATION];
const withoutChecksum = (t: Record<string, unknown>) => {
  const copy = JSON.parse(JSON.stringify(t)) as { metadata: { annotations?: Record<string, string> } };
  delete copy.metadata.annotations?.[ANNOTATION];
  return copy;
};

let before: ProgramRun;
let rotated: ProgramRun;
let resized: ProgramRun;
beforeAll(async () => {
  before = await runProgram({ stack: "dev" });
  rotated = await runProgram({ stack: "dev", passwordGeneration: 1 });
  resized = await runProgram({ stack: "dev", overrides: { redisMaxMemory: "100mb" } });
});

describe("a rotated password (pulumi up --replace of a RandomPassword)", () => {
  it("changes both credential Secrets and the app's environment Secret", () => {
    for (const name of ["postgres-credentials", "redis-config", "environment-secrets"]) {
      expect(rotated.one(SECRET, name).inputs.stringData, name).not.toEqual(before.one(SECRET, name).inputs.stringData);
    }
  });

  it.each(["postgres", "redis"])("restarts %s: its pod template's checksum changes, nothing else does", (which) => {
    expect(checksum(before, which)).toMatch(/^[a-f0-9]{64}$/);
    expect(checksum(rotated, which)).toMatch(/^[a-f0-9]{64}$/);
    expect(checksum(rotated, which)).not.toBe(checksum(before, which));
    expect(withoutChecksum(template(rotated, which))).toEqual(withoutChecksum(template(before, which)));
  });

  it("keeps the checksum out of the secrets (it is plain text, the password is not)", () => {
    const sts = before.one(STATEFULSET, "postgres");
    expect(JSON.stringify(sts.rawProps)).toContain(String(checksum(before, "postgres")));
    for (const pw of before.generatedSecrets) expect(JSON.stringify(sts.rawProps)).not.toContain(pw);
  });
});

describe("a redis.conf setting (redisMaxMemory)", () => {
  it("restarts Redis only", () => {
    expect(checksum(resized, "redis")).not.toBe(checksum(before, "redis"));
    expect(checksum(resized, "postgres")).toBe(checksum(before, "postgres"));
  });
});

describe("settings applied by the pod template or the claim (docs/data-safety.md, kind 1)", () => {
  const DIGEST = `sha256:${"b".repeat(64)}`;
  it.each([
    ["postgresImage", `docker.io/library/postgres:17.7-alpine@${DIGEST}`, "postgres"],
    ["redisImage", `docker.io/library/redis:7.4.1-alpine@${DIGEST}`, "redis"],
  ])("%s (same major version) changes the %s pod template, so the StatefulSet restarts the pod", async (key, image, which) => {
    const changed = await runProgram({ stack: "dev", overrides: { [key]: image }, previousOutputs: { dataIdentity: before.outputs.dataIdentity } });
    const containers = get(template(changed, which), "spec.containers") as { image: string }[];
    expect(containers.map((c) => c.image)).toEqual([image]);
    expect(template(changed, which)).not.toEqual(template(before, which));
  });

  it("backupStorageSize changes the backup claim's request in place (no refusal)", async () => {
    const grown = await runProgram({ stack: "dev", overrides: { backupStorageSize: "3Gi" }, previousOutputs: { dataIdentity: before.outputs.dataIdentity } });
    const claim = grown.one("kubernetes:core/v1:PersistentVolumeClaim", "backup");
    expect(get(claim.inputs, "spec.resources.requests.storage")).toBe("3Gi");
    expect(claim.opts.retainOnDelete).toBe(true);
  });
});
