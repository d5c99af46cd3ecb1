// The one reader of a stack file, Pulumi.<stack>.yaml, for the tests, tools, release and CI
// commands (the program itself gets its settings from the engine). A stack file holds `config`
// (key -> value; a `secure:` value is encrypted for that stack) next to what the CLI keeps
// there (encryptionsalt, secretsprovider).
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";

/** The project directory, where Pulumi.yaml and the stack files are. */
export const PROJECT_DIR = path.resolve(__dirname, "..");

export interface StackDocument {
  config?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Path of a stack's file in a project directory (this repository by default). */
export function stackFile(stack: string, dir: string = PROJECT_DIR): string {
  return path.join(dir, `Pulumi.${stack}.yaml`);
}

/** The whole document of a stack file ({} for an empty file); throws when the file is missing. */
export function readStackFile(file: string): StackDocument {
  const parsed = parseYaml(fs.readFileSync(file, "utf8")) as StackDocument | null;
  return parsed ?? {};
}

/** An encrypted value (`secure: v1:…`): only the engine, with the stack's key, can read it. */
export function isSecure(value: unknown): value is { secure: string } {
  return value !== null && typeof value === "object" && !Array.isArray(value) && "secure" in value;
}

/** A value the way the engine hands it to a program: strings as they are, anything else as JSON. */
export function engineString(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** The plain (not encrypted) settings of a document as the engine hands them to a program. */
export function plainConfig(document: StackDocument): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(document.config ?? {})) {
    if (!isSecure(value)) out[key] = engineString(value);
  }
  return out;
}

/** A stack's plain settings as the engine hands them to a program ("clickvote:appReplicas" -> "3"). */
export function stackConfig(stack: string, dir: string = PROJECT_DIR): Record<string, string> {
  return plainConfig(readStackFile(stackFile(stack, dir)));
}

/** One plain setting of a stack file ("clickvote:version"), or undefined when unset or encrypted. */
export function stackSetting(file: string, key: string): string | undefined {
  return plainConfig(readStackFile(file))[key];
}
