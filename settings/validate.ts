// Turns a stack's raw settings (the strings Pulumi hands over) into typed SettingValues, or one
// error naming every bad key and what it allows. Pure: it registers no resource.
import { z } from "zod";
import { SettingSpec } from "./declare";
import { CONFIG_NAMESPACE, CROSS_KEY_RULES, SETTINGS, SettingKey, SettingValues, ValueKey } from "./settings";

/** Raised before any resource is registered; lists every bad key at once. */
export class ConfigValidationError extends Error {
  public readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid Clickvote configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` + problems.map((p) => `  - ${p}`).join("\n"));
    this.name = "ConfigValidationError";
    this.problems = problems;
  }
}

/** Where settings come from: plain values as strings (as Pulumi hands them over). */
export interface SettingSource {
  get(key: SettingKey): string | undefined;
  /** Every key the stack sets, namespaced ("clickvote:appReplicas"), so typos are caught. */
  allKeys?(): string[];
}

const ALLOWED_FOR_TYPE = {
  integer: "an integer",
  boolean: "true or false",
  array: 'a JSON array of strings such as ["linux/amd64"]',
  string: "a string",
} as const;

/** Turns the string Pulumi hands over into the declared type, or reports why it can't. */
function coerce(spec: SettingSpec, text: string): { value: unknown } | { error: string } {
  const error = { error: `must be ${ALLOWED_FOR_TYPE[spec.type]}` };
  switch (spec.type) {
    case "integer":
      return /^-?\d+$/.test(text.trim()) ? { value: Number(text.trim()) } : error;
    case "boolean":
      return text === "true" || text === "false" ? { value: text === "true" } : error;
    case "array": {
      try {
        const parsed: unknown = JSON.parse(text);
        if (Array.isArray(parsed) && parsed.every((x) => typeof x === "string")) return { value: parsed };
      } catch {
        // reported below
      }
      return error;
    }
    default:
      return { value: text };
  }
}

const describe = (value: unknown): string => JSON.stringify(value) ?? String(value);

/**
 * Validates every setting of a stack: unknown keys, each value against its declaration, then
 * the cross-key rules. Returns the typed values, or throws one ConfigValidationError whose
 * problems read `clickvote:<key>: <what is wrong> (got <value>)`.
 */
export function parseSettings(source: SettingSource): SettingValues {
  const problems: string[] = [];
  const bad = new Set<string>();
  const report = (key: string, message: string, got?: unknown) => {
    bad.add(key);
    problems.push(`${CONFIG_NAMESPACE}:${key}: ${message}${got === undefined ? "" : ` (got ${describe(got)})`}`);
  };

  for (const namespaced of source.allKeys?.() ?? []) {
    const [namespace, name] = namespaced.split(":", 2);
    if (namespace === CONFIG_NAMESPACE && !(name in SETTINGS)) {
      problems.push(`${namespaced}: is not a Clickvote setting (see the config reference in README.md)`);
    }
  }

  const values: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(SETTINGS) as [SettingKey, SettingSpec][]) {
    if (spec.secret) continue;
    const raw = source.get(key);
    const coerced = raw === undefined ? { value: spec.default } : coerce(spec, raw);
    if ("error" in coerced) {
      report(key, coerced.error, raw);
      continue;
    }
    const checked = (spec.schema as z.ZodType).safeParse(coerced.value);
    if (checked.success) values[key] = checked.data;
    else report(key, checked.error.issues[0].message, coerced.value);
  }
  if (bad.size > 0 || problems.length > 0) throw new ConfigValidationError(problems);

  const typed = values as SettingValues;
  for (const rule of CROSS_KEY_RULES) {
    for (const [key, message] of rule.check(typed)) report(key, message, typed[key as ValueKey]);
  }
  if (problems.length > 0) throw new ConfigValidationError(problems);
  return typed;
}
