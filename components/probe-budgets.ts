// How long each container may take to start before Kubernetes restarts it: the startup probes'
// period × failureThreshold. The components build their probes from these, and the settings
// rules check that the engine's rollout timeouts are longer, so a slow start is not cut short.

/** Seconds between startup probe attempts, for every container. */
export const STARTUP_PERIOD_SECONDS = 2;
/** Startup probe attempts of the app (60 s). */
export const APP_STARTUP_ATTEMPTS = 30;
/** Startup probe attempts of PostgreSQL (180 s: crash recovery of a large WAL can be slow). */
export const POSTGRES_STARTUP_ATTEMPTS = 90;
/** Startup probe attempts of Redis (120 s: it loads the AOF before it answers). */
export const REDIS_STARTUP_ATTEMPTS = 60;

/** Seconds a container may take to start. */
export const startupBudgetSeconds = (attempts: number): number => attempts * STARTUP_PERIOD_SECONDS;
