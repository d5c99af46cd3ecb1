// HTTP API: routes, validation, error mapping, metrics and health endpoints.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { CountsCache } from "./cache.js";
import type { AppMode } from "./config.js";
import { type VoteCounts, type VoteRepository, type VoteValue, TargetNotFoundError } from "./db.js";
import { HttpError, classifyError, errorBody } from "./errors.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";

export const BODY_LIMIT_BYTES = 16 * 1024;
const READINESS_TIMEOUT_MS = 2_000;
const UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

export interface Lifecycle {
  /** True once shutdown has begun: readiness must fail from that moment on. */
  readonly draining: boolean;
}

export interface AppDependencies {
  readonly logger: Logger;
  readonly repository: VoteRepository;
  readonly cache: CountsCache;
  readonly metrics: Metrics;
  readonly appMode: AppMode;
  readonly lifecycle: Lifecycle;
}

type CacheHeader = "hit" | "miss" | "bypass";

interface CountsResponse {
  readonly up: number;
  readonly down: number;
  readonly score: number;
}

function withScore(counts: VoteCounts): CountsResponse {
  return { up: counts.up, down: counts.down, score: counts.up - counts.down };
}

const targetIdParams = {
  type: "object",
  required: ["targetId"],
  properties: { targetId: { type: "string", pattern: UUID_PATTERN } },
} as const;

const voteParams = {
  type: "object",
  required: ["targetId", "voterId"],
  properties: {
    targetId: { type: "string", pattern: UUID_PATTERN },
    voterId: { type: "string", pattern: UUID_PATTERN },
  },
} as const;

const countsQuery = {
  type: "object",
  additionalProperties: false,
  properties: { cache: { type: "string", enum: ["bypass"] } },
} as const;

interface TargetIdParams {
  targetId: string;
}
interface VoteParams {
  targetId: string;
  voterId: string;
}
interface CreateTargetBody {
  name: string;
}
interface CastVoteBody {
  value: VoteValue;
}
interface CountsQuery {
  cache?: "bypass";
}

export function buildApp(deps: AppDependencies): FastifyInstance {
  const { repository, cache, metrics, lifecycle } = deps;
  const detailedErrors = deps.appMode === "development";

  // Widened to fastify's logger interface so the instance type stays the default one.
  const baseLogger: FastifyBaseLogger = deps.logger;
  const app = Fastify({
    loggerInstance: baseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    // In-flight and keep-alive requests that arrive while draining are still
    // served (fastify adds "Connection: close"); only new connections are refused.
    return503OnClosing: false,
    ajv: {
      // Reject wrong JSON types instead of silently coercing 1 into "1".
      customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false },
    },
  });

  // Only JSON bodies are accepted; anything else becomes 415 instead of being parsed as text.
  app.removeContentTypeParser("text/plain");

  // While draining, every answer asks the client to close its keep-alive connection, so busy
  // clients leave before the server closes idle connections (server.ts waits for them).
  app.addHook("onSend", (_request, reply, payload, done) => {
    if (lifecycle.draining) void reply.header("connection", "close");
    done(null, payload);
  });

  app.addHook("onResponse", (request, reply, done) => {
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? "unmatched",
      status_code: String(reply.statusCode),
    };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
    done();
  });

  app.setErrorHandler((error, request, reply) => {
    const classified = classifyError(error, detailedErrors);
    if (classified.serverFault) {
      request.log.error({ err: error }, "request failed");
    } else {
      request.log.debug({ code: classified.body.error.code }, "request rejected");
    }
    if (classified.retryAfterSeconds !== undefined) reply.header("retry-after", String(classified.retryAfterSeconds));
    return reply.code(classified.statusCode).send(classified.body);
  });

  app.setNotFoundHandler((request, reply) => {
    return reply.code(404).send(errorBody("not_found", `no route for ${request.method} ${request.url.split("?")[0] ?? ""}`));
  });

  app.get("/healthz", () => ({ status: "ok" }));

  app.get("/readyz", async (_request, reply) => {
    const [postgresUp, redisHealth] = await Promise.all([repository.ping(READINESS_TIMEOUT_MS), cache.checkHealth(READINESS_TIMEOUT_MS)]);
    const body = {
      status: lifecycle.draining ? "draining" : postgresUp ? "ready" : "unready",
      postgres: postgresUp ? "ok" : "unreachable",
      // Redis only speeds up reads, and every pod shares it: a cache that is down or refuses
      // writes degrades the pod but never unreadies it, or one cache fault would take every
      // pod out of rotation although PostgreSQL still serves all requests.
      redis: redisHealth.state === "ok" ? "ok" : "degraded",
      ...(redisHealth.reason === undefined ? {} : { redisReason: redisHealth.reason }),
    };
    return reply.code(!lifecycle.draining && postgresUp ? 200 : 503).send(body);
  });

  app.get("/metrics", async (_request, reply) => {
    // Refresh the cache-state gauge, so every scrape sees the cache's current state.
    await cache.checkHealth(READINESS_TIMEOUT_MS);
    const text = await metrics.registry.metrics();
    return reply.header("content-type", metrics.registry.contentType).send(text);
  });

  async function readCounts(targetId: string, bypassCache: boolean): Promise<{ counts: VoteCounts; cacheHeader: CacheHeader } | undefined> {
    const lookup = bypassCache ? { outcome: "unavailable" as const } : await cache.lookup(targetId);
    if (lookup.outcome === "hit") return { counts: lookup.counts, cacheHeader: "hit" };
    const counts = await repository.countVotes(targetId);
    if (counts === undefined) return undefined;
    if (lookup.outcome === "miss") {
      await cache.store(targetId, counts);
      return { counts, cacheHeader: "miss" };
    }
    return { counts, cacheHeader: "bypass" };
  }

  function targetNotFound(targetId: string): HttpError {
    return new HttpError(404, "target_not_found", `target ${targetId} does not exist`);
  }

  app.post<{ Body: CreateTargetBody }>(
    "/api/targets",
    {
      schema: {
        body: {
          type: "object",
          required: ["name"],
          additionalProperties: false,
          properties: { name: { type: "string", minLength: 1, maxLength: 200, pattern: "\\S" } },
        },
      },
    },
    async (request, reply) => {
      const target = await repository.createTarget(request.body.name.trim());
      return reply.code(201).header("location", `/api/targets/${target.id}`).send(target);
    },
  );

  app.get<{ Params: TargetIdParams }>(
    "/api/targets/:targetId",
    {
      schema: { params: targetIdParams },
    },
    async (request, reply) => {
      const { targetId } = request.params;
      const target = await repository.findTarget(targetId);
      if (target === undefined) throw targetNotFound(targetId);
      const result = await readCounts(targetId, false);
      if (result === undefined) throw targetNotFound(targetId);
      return reply.header("x-cache", result.cacheHeader).send({ ...target, counts: withScore(result.counts) });
    },
  );

  app.get<{ Params: TargetIdParams; Querystring: CountsQuery }>(
    "/api/targets/:targetId/counts",
    {
      schema: { params: targetIdParams, querystring: countsQuery },
    },
    async (request, reply) => {
      const { targetId } = request.params;
      // Bypassing the cache exists for benchmarks and debugging; production ignores it.
      const bypassCache = detailedErrors && request.query.cache === "bypass";
      const result = await readCounts(targetId, bypassCache);
      if (result === undefined) throw targetNotFound(targetId);
      return reply.header("x-cache", result.cacheHeader).send(withScore(result.counts));
    },
  );

  app.put<{ Params: VoteParams; Body: CastVoteBody }>(
    "/api/targets/:targetId/votes/:voterId",
    {
      schema: {
        params: voteParams,
        body: {
          type: "object",
          required: ["value"],
          additionalProperties: false,
          properties: { value: { type: "string", enum: ["up", "down"] } },
        },
      },
    },
    async (request, reply) => {
      const { targetId, voterId } = request.params;
      let vote;
      try {
        vote = await repository.castVote(targetId, voterId, request.body.value);
      } catch (error) {
        if (error instanceof TargetNotFoundError) throw targetNotFound(targetId);
        throw error;
      }
      metrics.votesCast.inc({ value: vote.value });
      // Invalidate after the commit so the next read reloads the new truth.
      await cache.invalidate(targetId);
      const { created, ...body } = vote;
      return reply.code(created ? 201 : 200).send(body);
    },
  );

  app.delete<{ Params: VoteParams }>(
    "/api/targets/:targetId/votes/:voterId",
    {
      schema: { params: voteParams },
    },
    async (request, reply) => {
      const { targetId, voterId } = request.params;
      const removed = await repository.removeVote(targetId, voterId);
      if (!removed) throw new HttpError(404, "vote_not_found", `voter ${voterId} has no vote on target ${targetId}`);
      await cache.invalidate(targetId);
      return reply.code(204).send();
    },
  );

  return app;
}
