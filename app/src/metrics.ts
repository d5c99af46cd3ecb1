// Prometheus metrics. Each app instance owns its registry so several apps can
// live in one process (tests) without "metric already registered" clashes.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface Metrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<"method" | "route" | "status_code">;
  readonly httpDuration: Histogram<"method" | "route" | "status_code">;
  readonly votesCast: Counter<"value">;
  readonly cacheHits: Counter;
  readonly cacheMisses: Counter;
  readonly cacheErrors: Counter<"operation">;
  /** 1 for the cache's current state (`ok`, `unreachable`, `writes_refused`), 0 for the others. */
  readonly cacheState: Gauge<"state">;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({
      name: "http_requests_total",
      help: "HTTP requests handled, by route template and status code",
      labelNames: ["method", "route", "status_code"],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: "http_request_duration_seconds",
      help: "HTTP request latency in seconds, by route template and status code",
      labelNames: ["method", "route", "status_code"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    votesCast: new Counter({
      name: "clickvote_votes_cast_total",
      help: "Votes cast or changed, by value",
      labelNames: ["value"],
      registers: [registry],
    }),
    cacheHits: new Counter({
      name: "clickvote_cache_hits_total",
      help: "Vote count lookups answered from Redis",
      registers: [registry],
    }),
    cacheMisses: new Counter({
      name: "clickvote_cache_misses_total",
      help: "Vote count lookups that had to load from PostgreSQL because Redis had no entry",
      registers: [registry],
    }),
    cacheErrors: new Counter({
      name: "clickvote_cache_errors_total",
      help: "Redis commands that failed (the request still succeeded from PostgreSQL)",
      labelNames: ["operation"],
      registers: [registry],
    }),
    cacheState: new Gauge({
      name: "clickvote_cache_state",
      help: "Redis cache state as last checked (readiness probe or scrape): 1 for the current state, 0 for the others",
      labelNames: ["state"],
      registers: [registry],
    }),
  };
}
