// The program tests' view of tools/mock-program.ts: the real Pulumi program (index.ts) under
// Pulumi's mocks with a stack's real config file, loaded with fresh modules for every run.
import * as path from "node:path";
import { vi } from "vitest";
import { ProgramRun, RunOptions, runProgram as runUnderMocks } from "../tools/mock-program";

export type { ProgramRun, RecordedOptions, RecordedResource, RunOptions } from "../tools/mock-program";
export { plainStrings, resolveDeep, unwrapSecrets } from "../tools/mock-program";
export { stackConfig } from "../settings/stack-file";

export const ROOT = path.resolve(__dirname, "..");

/**
 * Loads index.ts with fresh modules under mocks and waits for every registration. Throws
 * what the program throws (e.g. a ConfigValidationError) along with the resources registered
 * so far, so a test can check that nothing was registered.
 */
export async function runProgram(options: RunOptions): Promise<ProgramRun> {
  vi.resetModules();
  return runUnderMocks({ ...options, loadProgram: () => import("../index") });
}
