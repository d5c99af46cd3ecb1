// npm run deploy:dev (release/deploy-dev.sh) with a stand-in `pulumi` on PATH that records its
// arguments: the preflight runs first and stops the deploy when something is missing, and the
// update runs with the policy pack unless CLICKVOTE_SKIP_POLICY=1 says otherwise.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { ROOT } from "../harness";

let dir: string;
let calls: string;

function deployDev(env: Record<string, string>) {
  return spawnSync("bash", [path.join(ROOT, "release/deploy-dev.sh"), "--yes"], {
    encoding: "utf8",
    env: {
      ...process.env,
      PATH: `${path.join(dir, "bin")}:${process.env.PATH}`,
      PULUMI_BACKEND_URL: `file://${dir}/state`,
      PULUMI_CONFIG_PASSPHRASE: "test",
      KUBECONFIG: path.join(dir, "no-such-kubeconfig"),
      ...env,
    },
    timeout: 180_000,
  });
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "deploy-dev-"));
  calls = path.join(dir, "calls");
  fs.mkdirSync(path.join(dir, "bin"));
  // The stand-in answers `pulumi version` and records every call, with the policy config it was handed.
  fs.writeFileSync(
    path.join(dir, "bin", "pulumi"),
    `#!/bin/sh\necho "$*" >> "${calls}"\nfor a in "$@"; do case "$prev" in --policy-pack-config) cat "$a" >> "${calls}.policy";; esac; prev="$a"; done\n[ "$1" = version ] && echo v3.259.0\nexit 0\n`,
    { mode: 0o755 },
  );
});

const recorded = () => (fs.existsSync(calls) ? fs.readFileSync(calls, "utf8").trim().split("\n") : []);

describe("npm run deploy:dev", () => {
  it("stops at the preflight when no cluster is reachable, before any stack is touched", () => {
    const result = deployDev({});
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/cluster[\s\S]*fix:/i);
    expect(recorded().filter((c) => !c.startsWith("version"))).toEqual([]);
  }, 200_000);

  it("runs pulumi up with the policy pack and the config written from the dev stack", () => {
    const result = deployDev({ CLICKVOTE_SKIP_PREFLIGHT: "1" });
    expect(result.status, result.stderr).toBe(0);
    const up = recorded().find((c) => c.startsWith("up "));
    expect(up).toMatch(/^up --stack dev --policy-pack policy --policy-pack-config \S+ --yes$/);
    expect(JSON.parse(fs.readFileSync(`${calls}.policy`, "utf8"))).toMatchObject({ "service-type-allowed": { allowedServiceTypes: ["ClusterIP"] } });
  }, 200_000);

  it("creates a file backend's directory from its URL without the query (?metadata=skip, as in Pulumi.yaml)", () => {
    const result = deployDev({ CLICKVOTE_SKIP_PREFLIGHT: "1", CLICKVOTE_SKIP_POLICY: "1", PULUMI_BACKEND_URL: `file://${dir}/state-q?metadata=skip` });
    expect(result.status, result.stderr).toBe(0);
    expect(fs.statSync(path.join(dir, "state-q")).isDirectory()).toBe(true);
    expect(fs.readdirSync(dir).filter((f) => f.includes("?"))).toEqual([]);
  }, 200_000);

  it("runs without the pack when CLICKVOTE_SKIP_POLICY=1", () => {
    const result = deployDev({ CLICKVOTE_SKIP_PREFLIGHT: "1", CLICKVOTE_SKIP_POLICY: "1" });
    expect(result.status, result.stderr).toBe(0);
    expect(recorded().find((c) => c.startsWith("up "))).toBe("up --stack dev --yes");
  }, 200_000);
});
