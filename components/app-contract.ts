// What the infrastructure relies on from the Clickvote image (app/README.md, "Contract").
// A user pointing the build at their own source must keep these.

/** Port the server listens on (PORT). */
export const APP_PORT = 8080;
export const LIVENESS_PATH = "/healthz";
export const READINESS_PATH = "/readyz";
export const METRICS_PATH = "/metrics";
/** Run with node directly: npm would not forward SIGTERM. Relative to the image's WORKDIR. */
export const SERVER_COMMAND = ["node", "dist/server.js"] as const;
export const MIGRATE_COMMAND = ["node", "dist/migrate.js"] as const;
/** Numeric non-root user of the image, so runAsNonRoot can be verified by the kubelet. */
export const APP_UID = 10001;
export const APP_GID = 10001;
