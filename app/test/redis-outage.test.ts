// Redis is an optimisation: losing it must not fail reads, writes or readiness.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './support/app.js';
import { REDIS_PASSWORD, createMigratedDatabase, freePort, metricValue, redisUrl, waitForPort } from './support/services.js';

let database: { url: string; drop: () => Promise<void> };

beforeAll(async () => {
  database = await createMigratedDatabase();
});

afterAll(async () => {
  await database.drop();
});

/** A private redis-server this file may kill without disturbing other test files. */
async function startOwnRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', [
    '--bind', '127.0.0.1', '--port', String(port), '--requirepass', REDIS_PASSWORD,
    '--save', '', '--appendonly', 'no', '--dir', '/tmp',
  ], { stdio: 'ignore' });
  await waitForPort(port);
  return child;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

async function createTarget(testApp: TestApp): Promise<string> {
  const response = await testApp.app.inject({ method: 'POST', url: '/api/targets', payload: { name: 'outage' } });
  return response.json<{ id: string }>().id;
}

describe('Redis outage', () => {
  it('serves counts from PostgreSQL, keeps accepting votes and stays ready (degraded) when Redis dies', async () => {
    const port = await freePort();
    let redis = await startOwnRedis(port);
    const testApp = await createTestApp({ databaseUrl: database.url, redisUrl: redisUrl(port) });
    try {
      await testApp.waitForRedis();
      const targetId = await createTarget(testApp);
      const url = `/api/targets/${targetId}/counts`;
      await testApp.app.inject({ method: 'PUT', url: `/api/targets/${targetId}/votes/${randomUUID()}`, payload: { value: 'up' } });
      await testApp.app.inject({ method: 'GET', url });
      expect((await testApp.app.inject({ method: 'GET', url })).headers['x-cache']).toBe('hit');

      await stopProcess(redis);

      const vote = await testApp.app.inject({ method: 'PUT', url: `/api/targets/${targetId}/votes/${randomUUID()}`, payload: { value: 'down' } });
      expect(vote.statusCode).toBe(201);
      const counts = await testApp.app.inject({ method: 'GET', url });
      expect(counts.statusCode).toBe(200);
      expect(counts.headers['x-cache']).toBe('bypass');
      expect(counts.json()).toEqual({ up: 1, down: 1, score: 0 });
      const target = await testApp.app.inject({ method: 'GET', url: `/api/targets/${targetId}` });
      expect(target.statusCode).toBe(200);

      const ready = await testApp.app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({ status: 'ready', postgres: 'ok', redis: 'degraded' });

      // Recovery: the client reconnects by itself and caching resumes.
      redis = await startOwnRedis(port);
      await testApp.waitForRedis();
      expect((await testApp.app.inject({ method: 'GET', url })).headers['x-cache']).toBe('miss');
      const cached = await testApp.app.inject({ method: 'GET', url });
      expect(cached.headers['x-cache']).toBe('hit');
      expect(cached.json()).toEqual({ up: 1, down: 1, score: 0 });
      expect((await testApp.app.inject({ method: 'GET', url: '/readyz' })).json()).toMatchObject({ redis: 'ok' });
    } finally {
      await testApp.close();
      await stopProcess(redis);
    }
  });

  it('starts and works with Redis unreachable from the beginning', async () => {
    const deadPort = await freePort();
    const testApp = await createTestApp({ databaseUrl: database.url, redisUrl: redisUrl(deadPort) });
    try {
      const targetId = await createTarget(testApp);
      const vote = await testApp.app.inject({ method: 'PUT', url: `/api/targets/${targetId}/votes/${randomUUID()}`, payload: { value: 'up' } });
      expect(vote.statusCode).toBe(201);
      const counts = await testApp.app.inject({ method: 'GET', url: `/api/targets/${targetId}/counts` });
      expect(counts.headers['x-cache']).toBe('bypass');
      expect(counts.json()).toEqual({ up: 1, down: 0, score: 1 });
      const ready = await testApp.app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toMatchObject({ postgres: 'ok', redis: 'degraded' });
      const metrics = (await testApp.app.inject({ method: 'GET', url: '/metrics' })).body;
      // Bypassed lookups are neither hits nor misses.
      expect(metricValue(metrics, 'clickvote_cache_hits_total')).toBe(0);
      expect(metricValue(metrics, 'clickvote_cache_misses_total')).toBe(0);
    } finally {
      await testApp.close();
    }
  });
});

describe('PostgreSQL outage', () => {
  it('fails readiness and answers API calls with 503 JSON when PostgreSQL is unreachable', async () => {
    const deadPort = await freePort();
    const testApp = await createTestApp({
      databaseUrl: `postgres://clickvote:pw@127.0.0.1:${deadPort}/none`,
      redisUrl: redisUrl(),
    });
    try {
      const ready = await testApp.app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({ status: 'unready', postgres: 'unreachable' });
      expect((await testApp.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      const create = await testApp.app.inject({ method: 'POST', url: '/api/targets', payload: { name: 'x' } });
      expect(create.statusCode).toBe(503);
      expect(create.json()).toEqual({ error: { code: 'database_unavailable', message: 'the database is unavailable, retry later' } });
      expect(create.headers['retry-after']).toBe('5');
    } finally {
      await testApp.close();
    }
  });
});
