// Upgrading a live stack across the settings-layer refactoring: a stack deployed by the program as
// it was before it (commit a2f8c95, flat config in components/) is previewed, then updated, by
// today's program. The URNs must be the same (no alias needed), nothing but the ephemeral
// migration Job may be replaced, nothing deleted, and the preview after the update must be empty.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EngineEvent, LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import {
  changeCount,
  createStack,
  deleteNamespace,
  destroyAndRemove,
  digestOf,
  E2E_UNAVAILABLE,
  E2EStack,
  e2eSettings,
  projectCopy,
  ROOT,
  steps,
  toolchainBin,
} from "./lib";

/** The last commit before the settings layer (issue 11) and the folder-per-concern layout. */
const BEFORE_LAYOUT = "a2f8c955c72062ef535d9ce392a35313d28b3149";
const NS = "clickvote-upgrade";

/** Why the old program cannot be had from this clone (a shallow clone has no history), or undefined. */
function historyMissing(): string | undefined {
  try {
    execFileSync("git", ["-C", ROOT, "cat-file", "-e", `${BEFORE_LAYOUT}^{commit}`], { stdio: "ignore" });
    return undefined;
  } catch {
    return `commit ${BEFORE_LAYOUT.slice(0, 7)} is not in this clone (shallow?); fetch the history to run it`;
  }
}

const UNAVAILABLE = E2E_UNAVAILABLE ?? historyMissing();
const record = (into: EngineEvent[]) => (e: EngineEvent) => into.push(e);
const quiet = () => undefined;

let old: E2EStack | undefined;
let current: Stack | undefined;
let currentDir = "";
afterAll(async () => {
  if (old) await destroyAndRemove(old);
  if (currentDir) fs.rmSync(currentDir, { recursive: true, force: true });
  deleteNamespace(NS);
});

/** The program files of an old commit in a temp dir that shares today's node_modules. */
function oldProgram(commit: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "clickvote-old-"));
  const tar = execFileSync("git", [
    "-C",
    ROOT,
    "archive",
    "--format=tar",
    commit,
    "Pulumi.yaml",
    "Pulumi.dev.yaml",
    "index.ts",
    "components",
    "tsconfig.json",
    "package.json",
  ]);
  execFileSync("tar", ["-x", "-C", dir], { input: tar });
  // Only the program's own sources: tsconfig's other include globs match nothing here.
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  return dir;
}

describe.skipIf(UNAVAILABLE)(`a stack deployed before the settings layer${UNAVAILABLE ? ` (skipped: ${UNAVAILABLE})` : ""}`, () => {
  it("keeps every URN under today's program: the preview replaces only the migration Job and deletes nothing, the update converges", async () => {
    deleteNamespace(NS);
    // createStack copies today's program; swap in the old one before anything runs.
    old = await createStack("upgrade", e2eSettings({ namespace: NS, imageDigest: digestOf("clickvote-upgrade") }));
    const oldDir = oldProgram(BEFORE_LAYOUT);
    for (const f of fs.readdirSync(old.workDir)) if (!f.startsWith("Pulumi.upgrade")) fs.rmSync(path.join(old.workDir, f), { recursive: true, force: true });
    for (const f of fs.readdirSync(oldDir)) fs.renameSync(path.join(oldDir, f), path.join(old.workDir, f));
    fs.rmSync(oldDir, { recursive: true, force: true });
    expect(fs.existsSync(path.join(old.workDir, "settings")), "the old layout has no settings/").toBe(false);
    const deployed = await old.stack.up({ onOutput: quiet });
    expect(deployed.summary.result).toBe("succeeded");
    const urnsBefore = ((await old.stack.exportStack()).deployment as { resources: Array<{ urn: string }> }).resources.map((r) => r.urn);

    // Today's program on the same stack (same backend and stack file), as a user's next `pulumi preview`.
    currentDir = projectCopy();
    fs.copyFileSync(path.join(old.workDir, "Pulumi.upgrade.yaml"), path.join(currentDir, "Pulumi.upgrade.yaml"));
    const pulumiCommand = await PulumiCommand.get({ root: path.dirname(toolchainBin()), skipVersionCheck: true });
    current = await LocalWorkspace.selectStack({ stackName: "upgrade", workDir: currentDir }, { envVars: old.env, pulumiCommand });
    const events: EngineEvent[] = [];
    const preview = await current.preview({ diff: true, onEvent: record(events) });
    const planned = steps(events).filter((s) => s.kind === "pre");
    const byOp = (op: string) => planned.filter((s) => s.op === op).map((s) => s.urn.split("::").pop());
    console.log(`[upgrade e2e] preview of today's program: ${JSON.stringify(preview.changeSummary)}; updates ${JSON.stringify(byOp("update"))}`);
    // The migration Job is ephemeral by design (one per image, safe to run again): a change of its
    // pod template since then (MIGRATE_DEADLINE_MS) replaces it. Nothing else is replaced, and
    // nothing is deleted.
    const replaced = planned.filter((s) => ["replace", "create-replacement", "delete-replaced"].includes(s.op));
    expect(replaced.filter((s) => s.type !== "kubernetes:batch/v1:Job").map((s) => s.urn)).toEqual([]);
    expect(byOp("delete")).toEqual([]);
    // Every resource the old program made is still addressed by the same URN.
    const previewedUrns = new Set(planned.map((s) => s.urn));
    expect(urnsBefore.filter((u) => !u.includes("pulumi:providers:") && !previewedUrns.has(u))).toEqual([]);

    const upgraded = await current.up({ onOutput: quiet });
    expect(upgraded.summary.result).toBe("succeeded");
    const againEvents: EngineEvent[] = [];
    const again = await current.preview({ diff: true, onEvent: record(againEvents) });
    const stillChanging = steps(againEvents).filter((s) => s.kind === "pre" && s.op !== "same" && s.op !== "read");
    expect(
      changeCount(again.changeSummary as Record<string, number>),
      `${JSON.stringify(again.changeSummary)}: ${stillChanging.map((s) => `${s.op} ${s.urn.split("::").pop()}`).join(", ")}\n${again.stdout.slice(-4000)}`,
    ).toBe(0);
  });
});
