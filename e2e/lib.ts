// End-to-end helpers: a throwaway copy of the project, a stack on a file backend, the Go-built
// Pulumi CLI and providers, and kubectl against the local loopback cluster (e2e/).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EngineEvent, LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { GHCR_HOST } from "../components/oci";

export const ROOT = path.resolve(__dirname, "..");

/** Set by e2e/run.sh when the toolchain or cluster is missing: every test is skipped, with this reason. */
export const E2E_UNAVAILABLE = process.env.E2E_UNAVAILABLE;
export const PASSPHRASE = "clickvote-e2e-passphrase";

/** A digest-pinned image reference; kwok never pulls it, the repository name carries failure markers. */
export function digestOf(seed: string): string {
  return `sha256:${createHash("sha256").update(seed).digest("hex")}`;
}

export function toolchainBin(): string {
  const bin = process.env.CLICKVOTE_E2E_BIN;
  if (!bin) throw new Error("CLICKVOTE_E2E_BIN is not set: run the e2e suite through e2e/run.sh");
  return bin;
}

export function kubeconfig(): string {
  const file = process.env.KUBECONFIG;
  if (!file) throw new Error("KUBECONFIG is not set: run the e2e suite through e2e/run.sh");
  return file;
}

/** kubectl against the e2e cluster; returns stdout. */
export function kubectl(...args: string[]): string {
  return execFileSync(path.join(toolchainBin(), "kubectl"), ["--kubeconfig", kubeconfig(), ...args], { encoding: "utf8" });
}

/** An object as kubectl prints it, with the fields the tests read. */
export interface KubeObject {
  metadata: {
    name: string;
    uid: string;
    namespace?: string;
    resourceVersion: string;
    generation?: number;
    creationTimestamp: string;
    labels?: Record<string, string>;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export interface KubeList {
  items: KubeObject[];
}

export function kubectlJson<T = Record<string, unknown>>(...args: string[]): T {
  return JSON.parse(kubectl(...args, "-o", "json")) as T;
}

/** Copies the program (not tests, not app/) into a temp dir that shares node_modules. */
export function projectCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "clickvote-e2e-"));
  for (const f of ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml", "index.ts", "package.json", "tsconfig.json"]) {
    fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
  }
  for (const folder of ["settings", "components"]) fs.cpSync(path.join(ROOT, folder), path.join(dir, folder), { recursive: true });
  // Pulumi.yaml's nodeargs preload it (code cache, then tsx).
  fs.mkdirSync(path.join(dir, "tools"));
  fs.copyFileSync(path.join(ROOT, "tools", "program-start.cjs"), path.join(dir, "tools", "program-start.cjs"));
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  // tsconfig includes test/, e2e/ and tools/ globs; they simply match nothing here.
  return dir;
}

export interface E2EStack {
  stack: Stack;
  workDir: string;
  stateDir: string;
  env: Record<string, string>;
  events: EngineEvent[];
}

/** Environment for the Pulumi CLI: Go-built binaries first, Node 24, a private PULUMI_HOME. */
export function pulumiEnv(stateDir: string): Record<string, string> {
  const home = path.join(stateDir, "pulumi-home");
  fs.mkdirSync(home, { recursive: true });
  return {
    PATH: `${toolchainBin()}:${path.dirname(process.execPath)}:${process.env.PATH ?? ""}`,
    PULUMI_HOME: home,
    // metadata=skip as in Pulumi.yaml: no .attrs sidecars, whose non-atomic rewrite can fail the
    // program's read of its own stack's outputs during an update
    PULUMI_BACKEND_URL: `file://${stateDir}/backend?metadata=skip`,
    PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    KUBECONFIG: kubeconfig(),
  };
}

/**
 * Settings like dev's, deploying a digest instead of building (no Docker engine here), from the
 * released images' repository (dev's own default, the local registry of `npm run dev:cluster`,
 * is for building; and the stack from before the settings layer accepts only this one).
 */
export function e2eSettings(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    imageMode: "digest",
    imageRepository: `${GHCR_HOST}/clickvote/clickvote`,
    imageDigest: digestOf("clickvote-e2e-release-1"),
    namespace: "clickvote-e2e",
    appRolloutTimeoutSeconds: "60",
    dataRolloutTimeoutSeconds: "120",
    migrationTimeoutSeconds: "60",
    ...overrides,
  };
}

export async function createStack(name: string, settings: Record<string, string>, baseStack = "dev"): Promise<E2EStack> {
  const workDir = projectCopy();
  if (baseStack !== "dev") fs.copyFileSync(path.join(ROOT, `Pulumi.${baseStack}.yaml`), path.join(workDir, `Pulumi.${name}.yaml`));
  else fs.copyFileSync(path.join(ROOT, "Pulumi.dev.yaml"), path.join(workDir, `Pulumi.${name}.yaml`));
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "clickvote-e2e-state-"));
  fs.mkdirSync(path.join(stateDir, "backend"), { recursive: true });
  const env = pulumiEnv(stateDir);
  // The Go-built CLI (toolchain bin/pulumi), not whatever `pulumi` the machine may have.
  const pulumiCommand = await PulumiCommand.get({ root: path.dirname(toolchainBin()), skipVersionCheck: true });
  const stack = await LocalWorkspace.createStack({ stackName: name, workDir }, { envVars: env, pulumiCommand });
  await setSettings(stack, settings);
  return { stack, workDir, stateDir, env, events: [] };
}

export async function setSettings(stack: Stack, settings: Record<string, string>): Promise<void> {
  const config: Record<string, { value: string }> = {};
  for (const [k, v] of Object.entries(settings)) config[`clickvote:${k}`] = { value: v };
  await stack.setAllConfig(config);
}

/** Resource type of an engine event's resource, if it has one. */
export function eventUrn(e: EngineEvent): string | undefined {
  return e.resourcePreEvent?.metadata.urn ?? e.resOutputsEvent?.metadata.urn ?? e.resOpFailedEvent?.metadata.urn;
}

export function typeOfUrn(urn: string): string {
  const parts = urn.split("::");
  return parts[2].split("$").pop() ?? "";
}

export interface StepRecord {
  sequence: number;
  kind: "pre" | "outputs" | "failed";
  op: string;
  urn: string;
  type: string;
  time: number;
}

/** Resource steps of a run, in engine order. */
export function steps(events: EngineEvent[]): StepRecord[] {
  const out: StepRecord[] = [];
  for (const e of events) {
    const urn = eventUrn(e);
    if (!urn) continue;
    const kind = e.resourcePreEvent ? "pre" : e.resOutputsEvent ? "outputs" : "failed";
    const op = e.resourcePreEvent?.metadata.op ?? e.resOutputsEvent?.metadata.op ?? e.resOpFailedEvent?.metadata.op ?? "";
    out.push({ sequence: e.sequence, kind, op, urn, type: typeOfUrn(urn), time: e.timestamp });
  }
  return out.sort((a, b) => a.sequence - b.sequence);
}

/** Operations that change something (same, read and refresh are not changes). */
export const CHANGING_OPS = ["create", "update", "delete", "replace", "create-replacement", "delete-replaced"];

export function changeCount(summary: Record<string, number> | undefined): number {
  if (!summary) return 0;
  return Object.entries(summary)
    .filter(([op]) => CHANGING_OPS.includes(op))
    .reduce((n, [, c]) => n + c, 0);
}

export async function destroyAndRemove(s: E2EStack): Promise<void> {
  try {
    await s.stack.destroy({ onOutput: () => undefined });
  } catch {
    // protected resources or a broken cluster: the stack is removed with --force below
  }
  try {
    await s.stack.workspace.removeStack(s.stack.name, { force: true });
  } catch {
    // already gone
  }
  fs.rmSync(s.workDir, { recursive: true, force: true });
}

/** Deletes a namespace left by an earlier test (retained on destroy by design), and waits for it. */
export function deleteNamespace(name: string): void {
  try {
    kubectl("delete", "namespace", name, "--ignore-not-found", "--wait=true", "--timeout=90s");
  } catch {
    // best effort
  }
}
