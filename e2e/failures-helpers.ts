// Helpers of the failure-path e2e suite (issue 6): child processes of the real commands, a
// once-a-second sampler of the app Service's ready endpoints, timing, and cleanup of retained data.
import { ChildProcess, execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { E2EStack, KubeObject, kubeconfig, kubectl, kubectlJson, toolchainBin } from "./lib";

const execFileAsync = promisify(execFile);

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** The environment a command sees: the machine's, then the e2e stack's (toolchain PATH, backend, passphrase). */
export function childEnv(s: E2EStack, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...s.env, ...extra };
}

/** Starts a command; detached, so the whole process group (CLI + plugins) can be killed. */
export function start(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): { child: ChildProcess; done: Promise<CliResult> } {
  const t0 = Date.now();
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr, seconds: (Date.now() - t0) / 1000 }));
  });
  return { child, done };
}

/** Every live descendant of a process, from /proc (Linux). */
export function descendantsOf(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      // The command name may hold spaces; the fields after its closing parenthesis are fixed.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // exited while reading
    }
  }
  const found: number[] = [];
  let frontier = [root];
  while (frontier.length > 0) {
    const next = [...parentOf].filter(([, ppid]) => frontier.includes(ppid)).map(([pid]) => pid);
    found.push(...next);
    frontier = next;
  }
  return found;
}

/**
 * SIGKILL to a command started by start() and everything under it. Pulumi starts its plugins in
 * process groups of their own, so the descendants are collected first and killed one by one: no
 * orphaned language host or provider stays behind.
 */
export function killTree(pid: number): void {
  const victims = descendantsOf(pid);
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // the group has exited meanwhile
  }
  for (const victim of victims) {
    try {
      process.kill(victim, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

export async function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<CliResult> {
  return start(cmd, args, opts).done;
}

/** The Go-built pulumi CLI of the toolchain, on the stack's project and backend. */
export function pulumiCli(s: E2EStack, args: string[]): Promise<CliResult> {
  return run(path.join(toolchainBin(), "pulumi"), [...args, "--stack", s.stack.name, "--non-interactive"], { cwd: s.workDir, env: childEnv(s) });
}

export interface EndpointSample {
  at: number;
  ready: number;
  addresses: string[];
  error?: string;
}

interface EndpointSliceList {
  items: Array<{ endpoints?: Array<{ addresses: string[]; conditions?: { ready?: boolean } }> }>;
}

/**
 * Samples the ready addresses of a Service's EndpointSlices once a second, asynchronously (the
 * engine keeps running meanwhile), until stopped.
 */
export function sampleEndpoints(namespace: string, service: string): { stop: () => Promise<EndpointSample[]> } {
  const samples: EndpointSample[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const at = Date.now();
      try {
        const { stdout } = await execFileAsync(
          path.join(toolchainBin(), "kubectl"),
          ["--kubeconfig", kubeconfig(), "get", "endpointslices", "-n", namespace, "-l", `kubernetes.io/service-name=${service}`, "-o", "json"],
          { encoding: "utf8", timeout: 5000 },
        );
        const list = JSON.parse(stdout) as EndpointSliceList;
        const addresses = list.items
          .flatMap((s) => s.endpoints ?? [])
          .filter((e) => e.conditions?.ready !== false)
          .flatMap((e) => e.addresses);
        samples.push({ at, ready: addresses.length, addresses });
      } catch (err) {
        samples.push({ at, ready: 0, addresses: [], error: String(err).slice(0, 200) });
      }
      const wait = 1000 - (Date.now() - at);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return samples;
    },
  };
}

/** Largest interval between two consecutive samples, in seconds. */
export function largestGap(samples: EndpointSample[]): number {
  let gap = 0;
  for (let i = 1; i < samples.length; i++) gap = Math.max(gap, (samples[i].at - samples[i - 1].at) / 1000);
  return gap;
}

/** Runs a scenario and prints how long it took (the lead quotes these). */
export async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  let outcome = "failed";
  try {
    const result = await fn();
    outcome = "passed";
    return result;
  } finally {
    const seconds = ((Date.now() - t0) / 1000).toFixed(1);
    console.log(`[failures e2e] ${label}: ${outcome} in ${seconds}s`);
    durations.push({ label, outcome, seconds: Number(seconds) });
  }
}

export const durations: Array<{ label: string; outcome: string; seconds: number }> = [];

export function deployment(namespace: string): KubeObject & {
  spec: { template: { spec: { containers: Array<{ image: string }> } }; replicas: number };
  status: { readyReplicas?: number; updatedReplicas?: number; replicas?: number };
} {
  return kubectlJson("get", "deployment", "clickvote-app", "-n", namespace) as never;
}

export function deploymentImage(namespace: string): string {
  return deployment(namespace).spec.template.spec.containers[0].image;
}

/** Ready pods of the app, with their images. */
export function readyAppPods(namespace: string): Array<{ name: string; image: string }> {
  const pods = kubectlJson<{
    items: Array<{
      metadata: { name: string; deletionTimestamp?: string };
      spec: { containers: Array<{ image: string }> };
      status: { conditions?: Array<{ type: string; status: string }> };
    }>;
  }>("get", "pods", "-n", namespace, "-l", "app.kubernetes.io/component=app");
  return pods.items
    .filter((p) => !p.metadata.deletionTimestamp && p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True"))
    .map((p) => ({ name: p.metadata.name, image: p.spec.containers[0].image }));
}

/** Claims of the namespace by name → { uid, volume }. */
export function claims(namespace: string): Record<string, { uid: string; volume: string; phase: string }> {
  const list = kubectlJson<{ items: Array<{ metadata: { name: string; uid: string }; spec: { volumeName?: string }; status?: { phase?: string } }> }>(
    "get",
    "pvc",
    "-n",
    namespace,
  );
  return Object.fromEntries(list.items.map((c) => [c.metadata.name, { uid: c.metadata.uid, volume: c.spec.volumeName ?? "", phase: c.status?.phase ?? "" }]));
}

export function volumePhase(name: string): string | undefined {
  try {
    return kubectlJson<{ status?: { phase?: string } }>("get", "pv", name).status?.phase ?? "";
  } catch {
    return undefined;
  }
}

export function namespaceExists(name: string): boolean {
  try {
    kubectl("get", "namespace", name);
    return true;
  } catch {
    return false;
  }
}

/** Deletes the retained claims of a namespace, then the namespace (and with it the PVs, by the reclaim stage). */
export function purgeNamespace(namespace: string): void {
  try {
    kubectl("delete", "pvc", "--all", "-n", namespace, "--ignore-not-found", "--wait=false");
  } catch {
    // namespace already gone
  }
  try {
    kubectl("delete", "namespace", namespace, "--ignore-not-found", "--wait=true", "--timeout=90s");
  } catch {
    // best effort
  }
}
