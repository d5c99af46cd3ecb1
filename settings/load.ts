// Reads the current stack's settings once, at the top of the program (index.ts): validated
// values, secrets as secret Outputs, and the credentials and provider settings that come from
// the environment or the kubernetes namespace.
import * as pulumi from "@pulumi/pulumi";
import { GHCR_HOST, registryHost } from "../components/oci";
import { CONFIG_NAMESPACE, SettingKey, SettingValues } from "./settings";
import { parseSettings } from "./validate";

export interface StackSettings {
  /** Every non-secret setting, validated. */
  readonly values: SettingValues;
  /** Stack name. */
  readonly stack: string;
  /** Push and tag-resolution credentials for imageRepository's registry. */
  readonly registry: { readonly username?: string; readonly token?: pulumi.Output<string> };
  /** Read-only pull token (secret config only). */
  readonly imagePullToken?: pulumi.Output<string>;
  /** kubernetes:context and kubernetes:kubeconfig, for the explicit provider the program creates. */
  readonly kubernetes: { readonly context?: string; readonly kubeconfig?: pulumi.Output<string> };
}

/** The environment variables the program reads, and nothing else. */
export interface SettingsEnvironment {
  GITHUB_TOKEN?: string;
  GITHUB_ACTOR?: string;
}

/**
 * Reads and validates the current stack's settings; throws a ConfigValidationError naming
 * every bad key before any resource exists. GITHUB_TOKEN/GITHUB_ACTOR apply only when
 * imageRepository is on GHCR; other registries take registryUsername/registryToken.
 */
export function loadSettings(env: SettingsEnvironment = process.env): StackSettings {
  const cfg = new pulumi.Config(CONFIG_NAMESPACE);
  const values = parseSettings({ get: (key: SettingKey) => cfg.get(key), allKeys: () => Object.keys(pulumi.runtime.allConfig()) });
  const onGhcr = registryHost(values.imageRepository) === GHCR_HOST;
  const envToken = onGhcr ? env.GITHUB_TOKEN : undefined;
  const kubernetes = new pulumi.Config("kubernetes");
  return {
    values,
    stack: pulumi.getStack(),
    registry: {
      username: values.registryUsername || (onGhcr ? env.GITHUB_ACTOR : undefined) || undefined,
      token: cfg.getSecret("registryToken") ?? (envToken ? pulumi.secret(envToken) : undefined),
    },
    imagePullToken: cfg.getSecret("imagePullToken"),
    // The kubeconfig may hold tokens: read as a secret whether or not it was set as one, so it
    // stays encrypted in the explicit provider's inputs and in state.
    kubernetes: { context: kubernetes.get("context"), kubeconfig: kubernetes.getSecret("kubeconfig") },
  };
}
