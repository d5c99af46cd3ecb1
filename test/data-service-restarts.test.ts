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
