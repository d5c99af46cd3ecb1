// Helpers shared by the CI commands in ci/ (run by .github/workflows with `npx tsx ci/<name>.ts`,
// so what CI runs is what test/ci/ and test/workflows.test.ts check here). Nothing here prints
// the value of a secret: variables are only tested for presence, secret values reach the
// Pulumi CLI on standard input, and files made from secrets are written with mode 600.
import { spawnSync, SpawnSyncOptions } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { GHCR_HOST, isLoopbackRegistry } from "../components/oci";
import { PROJECT_DIR, stackFile, stackSetting } from "../settings/stack-file";

/** The project the commands act on: CLICKVOTE_PROJECT_DIR (a copy elsewhere, as in the tests), else this repository. */
export const REPO_ROOT = process.env.CLICKVOTE_PROJECT_DIR ? path.resolve(process.env.CLICKVOTE_PROJECT_DIR) : PROJECT_DIR;

const SCRIPT = path.basename(process.argv[1] ?? "ci");
const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function log(message: string): void {
  process.stderr.write(`${SCRIPT}: ${message}\n`);
}

/** Fails the step; inside Actions the message also becomes an error annotation. */
export function die(message: string): never {
  if (process.env.GITHUB_ACTIONS) process.stderr.write(`::error title=${SCRIPT}::${message}\n`);
  log(`ERROR: ${message}`);
  process.exit(1);
}

/** Runs a command's main function; whatever it throws fails the step with the message. */
export function runMain(main: () => void | Promise<void>): void {
  Promise.resolve()
    .then(main)
    .catch((err: unknown) => die(err instanceof Error ? err.message : String(err)));
}

/** Each variable must be set and non-empty (its value is not shown). */
export function requireEnv(...names: string[]): void {
  for (const name of names) {
    if (!process.env[name]) die(`${name} is not set: add it as a repository or environment secret (see docs/ci.md)`);
  }
}

/** A step output inside Actions, KEY=VALUE on stdout elsewhere. */
export function output(key: string, value: string): void {
  const line = `${key}=${value}\n`;
  if (process.env.GITHUB_OUTPUT) fs.appendFileSync(process.env.GITHUB_OUTPUT, line);
  else process.stdout.write(line);
}

/** Exports to this process and, inside Actions, to the job's later steps. */
export function exportEnv(name: string, value: string): void {
  process.env[name] = value;
  if (process.env.GITHUB_ENV) fs.appendFileSync(process.env.GITHUB_ENV, `${name}=${value}\n`);
}

/** Runs a command in the project with inherited output; a non-zero exit fails the step. */
export function run(command: string, args: string[], options: SpawnSyncOptions = {}): void {
  const result = spawnSync(command, args, { cwd: REPO_ROOT, stdio: "inherit", ...options });
  if (result.error) die(`${command} could not start: ${result.error.message}`);
  if (result.status !== 0) die(`${command} ${args[0] ?? ""} failed (exit ${result.status ?? result.signal})`);
}

/** A command's standard output (trimmed), or undefined when it fails. */
export function capture(command: string, args: string[], options: SpawnSyncOptions = {}): string | undefined {
  const result = spawnSync(command, args, { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...options });
  return result.status === 0 ? String(result.stdout).trim() : undefined;
}

/** `npm run <script> -- <args>` in the project. */
export function npmRun(script: string, args: string[]): void {
  run("npm", ["run", script, "--", ...args]);
}

/** The GHCR repository of this GitHub repository, lower-case (GHCR names must be). */
export function imageRepository(): string {
  if (process.env.CLICKVOTE_IMAGE_REPOSITORY) return process.env.CLICKVOTE_IMAGE_REPOSITORY;
  requireEnv("GITHUB_REPOSITORY");
  return `${GHCR_HOST}/${String(process.env.GITHUB_REPOSITORY).toLowerCase()}`;
}

/** The commit checked out in the project. */
export function gitRevision(): string {
  return capture("git", ["rev-parse", "HEAD"]) ?? die("git rev-parse HEAD failed");
}

/**
 * When KUBECONFIG_DATA (a secret) is set, writes it to a private file and points KUBECONFIG at it
 * for this and the later steps. Without it the job keeps the runner's kubeconfig (kind's, in
 * review environments).
 */
export function writeKubeconfig(name: string): void {
  const data = process.env.KUBECONFIG_DATA;
  if (!data) {
    log("no KUBECONFIG_DATA given; using the current kubeconfig");
    return;
  }
  const file = path.join(process.env.RUNNER_TEMP || os.tmpdir(), `kubeconfig-${name}`);
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, `${data}\n`, { mode: 0o600 });
  exportEnv("KUBECONFIG", file);
  log(`cluster credentials written to a private kubeconfig for ${name}`);
}

/** "policy" when the project has a policy pack there (its dependencies installed), else "". */
export function policyPackDir(): string {
  const dir = path.join(REPO_ROOT, "policy");
  if (!fs.existsSync(path.join(dir, "PulumiPolicy.yaml"))) return "";
  if (fs.existsSync(path.join(dir, "package-lock.json")) && !fs.existsSync(path.join(dir, "node_modules"))) {
    run("npm", ["--prefix", dir, "ci", "--no-audit", "--no-fund"], { stdio: ["ignore", 2, 2] });
  }
  return "policy";
}

/** Selects an existing stack of the configured backend. */
export function selectStack(stack: string): void {
  requireEnv("PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE");
  run("pulumi", ["stack", "select", stack, "--non-interactive"]);
}

/** Writes one plain setting to Pulumi.<stack>.yaml in this checkout only (never committed). */
export function setConfig(stack: string, key: string, value: string): void {
  run("pulumi", ["config", "set", "--stack", stack, key, value, "--non-interactive"]);
}

/** A secret setting read from an environment variable and handed over on standard input, never on the command line. */
export function setSecretConfig(stack: string, key: string, envName: string): void {
  requireEnv(envName);
  run("pulumi", ["config", "set", "--stack", stack, key, "--secret", "--non-interactive"], {
    input: process.env[envName],
    stdio: ["pipe", "inherit", "inherit"],
  });
}

/**
 * The image repository a CI run uses for a stack: the one Pulumi.<stack>.yaml names, unless it
 * names none or a loopback registry (dev's localhost:5001, which only a developer's machine
 * serves); then the GHCR repository of this GitHub repository. `why` says which, for the log.
 */
export function ciImageRepository(stack: string): { repository?: string; why: string } {
  const file = stackFile(stack, REPO_ROOT);
  const named = fs.existsSync(file) ? stackSetting(file, "clickvote:imageRepository") : undefined;
  if (named === undefined || named === "") return { repository: imageRepository(), why: `Pulumi.${stack}.yaml names no image repository` };
  if (isLoopbackRegistry(named)) {
    return { repository: imageRepository(), why: `Pulumi.${stack}.yaml names the loopback registry ${named}, which CI cannot reach` };
  }
  return { why: `Pulumi.${stack}.yaml names ${named}` };
}

/**
 * The settings every CI run derives from the repository rather than from Pulumi.<stack>.yaml:
 * the GHCR repository (unless the stack file names a registry CI can reach: see
 * ciImageRepository) and the commit the image is built from.
 */
export function applyCiSettings(stack: string): void {
  const { repository, why } = ciImageRepository(stack);
  if (repository !== undefined) {
    log(`image repository ${repository} (${why})`);
    setConfig(stack, "clickvote:imageRepository", repository);
  } else {
    log(`image repository kept: ${why}`);
  }
  setConfig(stack, "clickvote:gitRevision", gitRevision());
}

/** The digest of an image reference (<repo>@sha256:…), or undefined. */
export function digestOfRef(ref: string | undefined): string | undefined {
  const digest = ref?.split("@")[1];
  return digest && DIGEST.test(digest) ? digest : undefined;
}

/** The sha256 digest the stack's last update deployed (its imageRef output), or undefined. */
export function deployedDigest(stack: string): string | undefined {
  return digestOfRef(capture("pulumi", ["stack", "output", "imageRef", "--stack", stack]));
}

/** Deploy exactly this digest (digest mode) instead of building. */
export function pinDigest(stack: string, digest: string): void {
  if (!DIGEST.test(digest)) die(`not an image digest: ${digest}`);
  setConfig(stack, "clickvote:imageMode", "digest");
  setConfig(stack, "clickvote:imageDigest", digest);
}

/** The digest a registry tag points at now (docker buildx imagetools inspect). */
export function registryDigest(reference: string): string | undefined {
  const manifest = capture("docker", ["buildx", "imagetools", "inspect", reference, "--format", "{{json .Manifest}}"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  if (!manifest) return undefined;
  try {
    const digest = (JSON.parse(manifest) as { digest?: unknown }).digest;
    return typeof digest === "string" && DIGEST.test(digest) ? digest : undefined;
  } catch {
    return undefined;
  }
}
