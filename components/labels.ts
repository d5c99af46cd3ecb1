// Recommended labels (kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/).

/** The app.kubernetes.io labels shared by every object of one component. */
export function componentLabels(component: string, instance: string, version?: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": "clickvote",
    "app.kubernetes.io/instance": instance,
    "app.kubernetes.io/component": component,
    "app.kubernetes.io/part-of": "clickvote",
    "app.kubernetes.io/managed-by": "pulumi",
    ...(version ? { "app.kubernetes.io/version": version } : {}),
  };
}

/** The stable subset used in selectors (selectors are immutable, so no version here). */
export function selectorLabels(component: string, instance: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": "clickvote",
    "app.kubernetes.io/instance": instance,
    "app.kubernetes.io/component": component,
  };
}
