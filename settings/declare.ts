// Builders for setting declarations. Each builder returns one SettingSpec that carries
// everything about a setting: its Pulumi config type, default, what it allows (in words, for
// the docs and error messages) and the zod schema that checks it. settings/settings.ts uses
// them to declare every setting once; the validator, Pulumi.yaml and the README derive from it.
import { isIP } from "node:net";
import { z } from "zod";

/** Pulumi config types (Pulumi.yaml `config:` declarations). */
export type SettingType = "string" | "integer" | "boolean" | "array";

/** The part of the product a setting belongs to; the README groups the reference by it. */
export type SettingGroup = "stack" | "image" | "app" | "ingress" | "autoscaling" | "postgres" | "redis" | "release" | "networkPolicy" | "backup";

export interface SettingSpec<T = unknown> {
  readonly type: SettingType;
  readonly group: SettingGroup;
  readonly description: string;
  /** Omitted for secrets (read with getSecret, never defaulted). */
  readonly default?: T;
  readonly secret?: boolean;
  /** What the value may be, in words ("an integer from 1 to 20"); shown in docs and errors. */
  readonly allowed: string;
  /** Checks one value after it was coerced to `type`; messages name what is allowed. */
  readonly schema: z.ZodType<T>;
}

interface Common<T> {
  group: SettingGroup;
  description: string;
  default: T;
}

const QUANTITY = /^(\d+(?:\.\d+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const QUANTITY_FACTORS: Record<string, number> = {
  "": 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/**
 * Numeric value of a Kubernetes quantity ("500m" → 0.5, "1Gi" → 1073741824); undefined when
 * malformed. Source: the resource.Quantity suffixes of k8s.io/apimachinery (no exponent form).
 */
export function parseQuantity(text: string): number | undefined {
  const match = QUANTITY.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * QUANTITY_FACTORS[match[2] ?? ""];
}

const REDIS_SIZE = /^([1-9]\d*)(kb|mb|gb)$/i;
const REDIS_FACTORS: Record<string, number> = { kb: 2 ** 10, mb: 2 ** 20, gb: 2 ** 30 };

/**
 * Bytes of a Redis memory size ("128mb" → 134217728); undefined when malformed. Redis reads
 * kb/mb/gb as powers of 1024 (redis.conf, "Units").
 */
export function parseRedisSize(text: string): number | undefined {
  const match = REDIS_SIZE.exec(text);
  return match ? Number(match[1]) * REDIS_FACTORS[match[2].toLowerCase()] : undefined;
}

/** A whole number in [min, max]. */
export function integer(min: number, max: number, c: Common<number>): SettingSpec<number> {
  const message = `must be an integer from ${min} to ${max}`;
  return {
    type: "integer",
    ...c,
    allowed: `an integer from ${min} to ${max}`,
    schema: z.number().int({ message }).min(min, { message }).max(max, { message }),
  };
}

export function boolean(c: Common<boolean>): SettingSpec<boolean> {
  return { type: "boolean", ...c, allowed: "true or false", schema: z.boolean() };
}

/** One of a fixed list of strings. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T, c: Common<T[number]>): SettingSpec<T[number]> {
  return {
    type: "string",
    ...c,
    allowed: `one of ${values.join(", ")}`,
    schema: z.enum(values, { message: `must be one of ${values.join(", ")}` }) as unknown as z.ZodType<T[number]>,
  };
}

/**
 * A string that matches `pattern`; `allowed` says in words what that is. With `optional`, the
 * empty string (the default "unset") is allowed too.
 */
export function matching(pattern: RegExp, allowed: string, c: Common<string> & { optional?: boolean }): SettingSpec<string> {
  const { optional, ...common } = c;
  const schema = optional
    ? z.string().refine((v) => v === "" || pattern.test(v), { message: `must be empty or ${allowed}` })
    : z.string().regex(pattern, { message: `must be ${allowed}` });
  return { type: "string", ...common, allowed: optional ? `empty, or ${allowed}` : allowed, schema };
}

/** A string checked by a predicate; for values no single regular expression describes. */
export function checked(check: (v: string) => boolean, allowed: string, c: Common<string>): SettingSpec<string> {
  return { type: "string", ...c, allowed, schema: z.string().refine(check, { message: `must be ${allowed}` }) };
}

/** A string checked by a function that says what is wrong with it (undefined: nothing). */
export function explained(problemOf: (v: string) => string | undefined, allowed: string, c: Common<string>): SettingSpec<string> {
  const schema = z.string().superRefine((v, ctx) => {
    const problem = problemOf(v);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  });
  return { type: "string", ...c, allowed, schema };
}

/** A positive Kubernetes quantity: "cpu" allows milli-units, "bytes" (memory, storage) does not. */
export function quantity(kind: "cpu" | "memory" | "storage", c: Common<string>): SettingSpec<string> {
  const allowed =
    kind === "cpu" ? `a positive Kubernetes quantity for CPU (e.g. 250m, 1, 512Mi, 10Gi)` : `a positive byte quantity for ${kind} (e.g. 512Mi, 10Gi)`;
  const ok = kind === "cpu" ? (v: string) => (parseQuantity(v) ?? 0) > 0 : (v: string) => QUANTITY.test(v) && !v.endsWith("m") && (parseQuantity(v) ?? 0) > 0;
  return { type: "string", ...c, allowed, schema: z.string().refine(ok, { message: `must be ${allowed}` }) };
}

/**
 * A list of strings, each accepted by `check` (a RegExp or a predicate); `noun` names one entry
 * in messages. Non-empty unless `minItems` is 0.
 */
export function listOf(
  check: RegExp | ((v: string) => boolean),
  each: string,
  noun: string,
  c: Common<string[]> & { minItems?: 0 | 1 },
): SettingSpec<string[]> {
  const { minItems = 1, ...common } = c;
  const ok = typeof check === "function" ? check : (v: string) => check.test(v);
  const entry = z.string().refine(ok, { message: `each entry must be ${each}` });
  return {
    type: "array",
    ...common,
    allowed: minItems === 0 ? `a JSON list (may be empty), each ${noun} ${each}` : `a JSON list of at least one ${noun}, each ${each}`,
    schema: z.array(entry).min(minItems, { message: `must list at least one ${noun}` }),
  };
}

/** An IPv4 or IPv6 CIDR such as 10.0.0.0/8 or fd00::/8 (address, then a prefix length that fits it). */
export function isCidr(text: string): boolean {
  const slash = text.lastIndexOf("/");
  if (slash < 0) return false;
  const version = isIP(text.slice(0, slash));
  const prefix = text.slice(slash + 1);
  return version !== 0 && /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

/** A secret: set with `pulumi config set --secret`; never defaulted, never in plain text. */
export function secret(c: Omit<Common<string>, "default">): SettingSpec<string> {
  return { type: "string", ...c, secret: true, allowed: "any string (secret)", schema: z.string() };
}
