// Runs the CrossGuard policies of policy/policies.ts without the Pulumi CLI: builds the
// argument objects @pulumi/policy hands to validateResource/validateStack (same shapes as its
// types) and collects the reported violations.
import type {
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import type { RecordedResource } from "../test/harness";
import { policies as allPolicies, resourcePolicies, stackPolicies } from "./policies";

export type Obj = Record<string, unknown>;
export type PolicyConfigs = Record<string, Obj>;

export interface Violation {
  policy: string;
  message: string;
  urn?: string;
}

/** Options as the analyzer passes them, plus retainOnDelete, which @pulumi/policy 1.21 does not pass (the mock harness does). */
export type TestOptions = PolicyResourceOptions & { retainOnDelete?: boolean };

export function options(overrides: Partial<TestOptions> = {}): TestOptions {
  return {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
    ...overrides,
  };
}

class NotApplicable extends Error {}

/** The policy's config as the analyzer would hand it over: the schema's defaults overlaid with the given values. */
function configFor(policy: ResourceValidationPolicy | StackValidationPolicy, configs: PolicyConfigs): Obj {
  const defaults: Obj = {};
  for (const [key, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
    if (schema.default !== undefined) defaults[key] = schema.default;
  }
  return { ...defaults, ...(configs[policy.name] ?? {}) };
}

export interface TestResource {
  type: string;
  props: Obj;
  name?: string;
  urn?: string;
  opts?: Partial<TestOptions>;
}

function urnOf(r: TestResource, stack = "dev"): string {
  return r.urn ?? `urn:pulumi:${stack}::clickvote::${r.type}::${r.name ?? "test"}`;
}

/** What a resource looks like to every kind of policy. */
function described(r: TestResource) {
  return {
    type: r.type,
    props: r.props,
    urn: urnOf(r),
    name: r.name ?? "test",
    opts: options(r.opts),
    isType: () => false,
    asType: () => undefined,
  };
}

export function resourceArgs(policy: ResourceValidationPolicy, r: TestResource, configs: PolicyConfigs = {}): ResourceValidationArgs {
  const config = configFor(policy, configs);
  return {
    ...described(r),
    stackTags: new Map(),
    getConfig: <T extends object>() => config as T,
    notApplicable: (reason?: string): never => {
      throw new NotApplicable(reason);
    },
  };
}

export function policyResource(r: TestResource): PolicyResource {
  return { ...described(r), dependencies: [], propertyDependencies: {} };
}

export function stackArgs(policy: StackValidationPolicy, resources: TestResource[], configs: PolicyConfigs = {}): StackValidationArgs {
  const config = configFor(policy, configs);
  return {
    resources: resources.map(policyResource),
    stackTags: new Map(),
    getConfig: <T extends object>() => config as T,
    notApplicable: (reason?: string): never => {
      throw new NotApplicable(reason);
    },
  };
}

/** Violations one resource policy reports for one resource. */
export async function checkResource(policy: ResourceValidationPolicy, r: TestResource, configs: PolicyConfigs = {}): Promise<string[]> {
  const messages: string[] = [];
  const validations: ResourceValidation[] = Array.isArray(policy.validateResource)
    ? policy.validateResource
    : policy.validateResource
      ? [policy.validateResource]
      : [];
  for (const validate of validations) {
    try {
      await validate(resourceArgs(policy, r, configs), (message) => messages.push(message));
    } catch (err) {
      if (!(err instanceof NotApplicable)) throw err;
    }
  }
  return messages;
}

/** Violations one stack policy reports for a set of resources. */
export async function checkStack(policy: StackValidationPolicy, resources: TestResource[], configs: PolicyConfigs = {}): Promise<Violation[]> {
  const found: Violation[] = [];
  try {
    await policy.validateStack(stackArgs(policy, resources, configs), (message, urn) => found.push({ policy: policy.name, message, urn }));
  } catch (err) {
    if (!(err instanceof NotApplicable)) throw err;
  }
  return found;
}

/** A resource recorded by test/harness.ts as the policies see it: type, inputs as props, options. */
export function fromRecorded(r: RecordedResource): TestResource {
  const ct = r.opts.customTimeouts;
  const seconds = (d?: string) => (d ? Number.parseFloat(d) || 0 : 0);
  return {
    type: r.type,
    name: r.name,
    urn: r.urn,
    props: r.inputs,
    opts: {
      protect: r.opts.protect,
      retainOnDelete: r.opts.retainOnDelete,
      deleteBeforeReplace: r.opts.deleteBeforeReplace,
      ignoreChanges: r.opts.ignoreChanges,
      parent: r.opts.parent,
      customTimeouts: { createSeconds: seconds(ct?.create), updateSeconds: seconds(ct?.update), deleteSeconds: seconds(ct?.delete) },
    },
  };
}

/** Every policy of the pack over every resource (resource policies) and over the whole set (stack policies). */
export async function checkAll(resources: TestResource[], configs: PolicyConfigs = {}): Promise<Violation[]> {
  const found: Violation[] = [];
  for (const policy of resourcePolicies) {
    for (const r of resources) {
      for (const message of await checkResource(policy, r, configs)) found.push({ policy: policy.name, message, urn: urnOf(r) });
    }
  }
  for (const policy of stackPolicies) found.push(...(await checkStack(policy, resources, configs)));
  return found;
}

export { allPolicies };
