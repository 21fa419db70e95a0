import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createMetrics,
  startHealthServer,
  type HealthServer,
  type Readiness,
} from '../../../src/metrics/index.ts';
import { createLogger } from '../../../src/shared/index.ts';

describe('metrics and health server', () => {
  let server: HealthServer | undefined;
  afterEach(async () => {
    await server?.close();
  });

  it('binds port 0, logs the bound URL, and serves /healthz, /readyz and /metrics', async () => {
    let logged = '';
    const logger = createLogger({
      level: 'info',
      destination: new Writable({
        write: (chunk: Buffer, _encoding, done) => {
          logged += chunk.toString();
          done();
        },
      }),
    });
    let readiness: Readiness = { ready: false, failing: ['listener'] };
    const metrics = createMetrics();
    server = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      registry: metrics.registry,
      readiness: () => Promise.resolve(readiness),
      logger,
    });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(server.url).not.toBe('http://127.0.0.1:0/');
    expect(logged).toContain(server.url);

    expect((await fetch(new URL('healthz', server.url))).status).toBe(200);
    const notReady = await fetch(new URL('readyz', server.url));
    expect([notReady.status, await notReady.text()]).toEqual([503, 'not ready: listener\n']);
    readiness = { ready: true };
    expect((await fetch(new URL('readyz', server.url))).status).toBe(200);
    const body = await (await fetch(new URL('metrics', server.url))).text();
    expect(body).toContain('keywarden_reconcile_runs_total');
    expect(body).toContain('process_cpu_user_seconds_total');
    expect((await fetch(new URL('nope', server.url))).status).toBe(404);
  });
});
