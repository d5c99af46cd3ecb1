/** Pulumi customTimeouts for a resource the engine waits on, from a number of seconds. */
export function timeouts(seconds: number): { create: string; update: string } {
  return { create: `${seconds}s`, update: `${seconds}s` };
}

/**
 * Metadata annotations for a Service of the given type whose backends another resource already
 * awaits (the StatefulSet's or Deployment's readiness): for ClusterIP and NodePort, Pulumi does
 * not wait on the Service itself (`pulumi.com/skipAwait`), and records the object the API server
 * returned. The Kubernetes provider's Service wait otherwise waits for its Endpoints and then a
 * fixed 10 s for them to settle (pulumi-kubernetes v4.32.0, provider/pkg/await/service.go), on
 * every create, twice on a fresh up's critical path (PostgreSQL and Redis before the migration,
 * the app at the end). A `pulumi.com/waitFor` condition was tried first: it can be met by the
 * object as it was before the update, whose stale state then shows as a change in every later
 * preview (seen in e2e/upgrade.e2e.test.ts). A LoadBalancer keeps the default wait, which also
 * waits for its external address: undefined then (no annotations at all).
 */
export function serviceReadiness(type: string): Record<string, string> | undefined {
  return type === "LoadBalancer" ? undefined : { "pulumi.com/skipAwait": "true" };
}
