import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, ConfigKey } from "./config-keys";
import { ClickvoteConfig, parseConfig } from "./config";

export interface StackSettings {
  readonly config: ClickvoteConfig;
  /** GHCR token for pushing and resolving tags: secret config, else GITHUB_TOKEN. */
  readonly registryToken?: pulumi.Output<string>;
  readonly registryUsername?: string;
  /** Read-only pull token, only from secret config. */
  readonly imagePullToken?: pulumi.Output<string>;
  /** The kubernetes provider's own settings, for the explicit provider Clickvote creates. */
  readonly kubeContext?: string;
  readonly kubeconfig?: string;
}

/** Reads and validates the current stack's settings; throws before any resource exists. */
export function loadStackSettings(): StackSettings {
  const cfg = new pulumi.Config(CONFIG_NAMESPACE);
  const config = parseConfig(
    {
      get: (key: ConfigKey) => cfg.get(key),
      hasSecret: (key: ConfigKey) => cfg.getSecret(key) !== undefined,
      allKeys: () => Object.keys(pulumi.runtime.allConfig()),
    },
    pulumi.getStack(),
  );
  const envToken = process.env.GITHUB_TOKEN;
  const registryToken = cfg.getSecret("registryToken") ?? (envToken ? pulumi.secret(envToken) : undefined);
  const registryUsername = config.registryUsername || process.env.GITHUB_ACTOR || undefined;
  const kubernetes = new pulumi.Config("kubernetes");
  return {
    config,
    registryToken,
    registryUsername,
    imagePullToken: cfg.getSecret("imagePullToken"),
    kubeContext: kubernetes.get("context"),
    kubeconfig: kubernetes.get("kubeconfig"),
  };
}
