import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { componentLabels } from "./labels";

export interface AppEnvironmentArgs {
  namespace: pulumi.Input<string>;
  instance: string;
  /** Plain settings (PORT, LOG_LEVEL, APP_MODE, …), for a ConfigMap. */
  settings: Record<string, string>;
  /** Settings that embed credentials (DATABASE_URL, REDIS_URL), for a Secret. */
  secrets: Record<string, pulumi.Input<string>>;
}

/**
 * The service's environment: a ConfigMap and a Secret shared by the migration Job and the
 * Deployment. Both are auto-named, so a change creates new objects, which changes the pod
 * template and rolls the pods; the old objects are deleted only after the update succeeded.
 */
export class AppEnvironment extends pulumi.ComponentResource {
  public readonly configMapName: pulumi.Output<string>;
  public readonly secretName: pulumi.Output<string>;

  constructor(name: string, args: AppEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("clickvote:index:AppEnvironment", name, {}, opts);
    const labels = componentLabels("app", args.instance);
    const configMap = new k8s.core.v1.ConfigMap(`${name}-settings`, { metadata: { namespace: args.namespace, labels }, data: args.settings }, { parent: this });
    const secret = new k8s.core.v1.Secret(
      `${name}-secrets`,
      {
        metadata: { namespace: args.namespace, labels },
        type: "Opaque",
        stringData: pulumi.secret(pulumi.output(args.secrets)),
      },
      { parent: this },
    );
    this.configMapName = configMap.metadata.name;
    this.secretName = secret.metadata.name;
    this.registerOutputs({ configMapName: this.configMapName, secretName: this.secretName });
  }
}
