import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createMetrics,
  startHealthServer,
  type HealthServer,
  type Readiness,
} from '../../../src/metrics/index.ts';
import { createLogger, HTTP_SERVER_TIMEOUTS } from '../../../src/shared/index.ts';

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

  it('needs the bearer token for /metrics when KEYWARDEN_METRICS_TOKEN is set; the probes stay open', async () => {
    const token = 'metrics-token-0123456789';
    server = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      registry: createMetrics().registry,
      readiness: () => Promise.resolve({ ready: true }),
      logger: createLogger({ level: 'silent' }),
      metricsToken: token,
    });
    const metricsUrl = new URL('metrics', server.url);
    const anonymous = await fetch(metricsUrl);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await fetch(metricsUrl, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const allowed = await fetch(metricsUrl, { headers: { authorization: `Bearer ${token}` } });
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toContain('keywarden_reconcile_runs_total');
    expect((await fetch(new URL('healthz', server.url))).status).toBe(200);
    expect((await fetch(new URL('readyz', server.url))).status).toBe(200);
  });

  it('drops a connection that sends its headers too slowly (slow loris, issue 12)', async () => {
    // The shared defaults every server uses.
    expect(HTTP_SERVER_TIMEOUTS).toMatchObject({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 });
    server = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      registry: createMetrics().registry,
      readiness: () => Promise.resolve({ ready: true }),
      logger: createLogger({ level: 'silent' }),
      timeouts: { headersTimeoutMs: 500, requestTimeoutMs: 1_000, keepAliveTimeoutMs: 500 },
    });
    const { port } = new URL(server.url);
    const started = Date.now();
    const closedAfterMs = await new Promise<number>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n');
        // Never finishes the headers; a byte now and then keeps it "active".
        const drip = setInterval(() => socket.write('X'), 100);
        socket.on('close', () => {
          clearInterval(drip);
          resolve(Date.now() - started);
        });
      });
      socket.on('error', () => {
        // The server's 408 and reset end the socket; 'close' reports when.
      });
      setTimeout(() => {
        reject(new Error('the slow connection was still open after 5 s'));
      }, 5_000);
    });
    expect(closedAfterMs).toBeLessThan(3_000);
  });
});
