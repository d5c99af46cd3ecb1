/** Pulumi customTimeouts for a resource the engine waits on, from a number of seconds. */
export function timeouts(seconds: number): { create: string; update: string } {
  return { create: `${seconds}s`, update: `${seconds}s` };
}

/**
 * Metadata annotations for a Service of the given type whose backends another resource already
 * awaits (the StatefulSet's or Deployment's readiness): for ClusterIP and NodePort, the Service
 * counts as ready once the API server has given it `spec.clusterIP`. Without this, the Kubernetes
 * provider waits for its Endpoints and then a fixed 10 s for them to settle (pulumi-kubernetes
 * v4.32.0, provider/pkg/await/service.go) on every create, twice on the fresh up's critical path
 * (PostgreSQL and Redis before the migration, the app at the end). `pulumi.com/waitFor` is the
 * provider's documented override of its readiness check. A LoadBalancer keeps the default wait,
 * which also waits for its external address: undefined then (no annotations at all).
 */
export function serviceReadiness(type: string): Record<string, string> | undefined {
  return type === "LoadBalancer" ? undefined : { "pulumi.com/waitFor": "jsonpath={.spec.clusterIP}" };
}
