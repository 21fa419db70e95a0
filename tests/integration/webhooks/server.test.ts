import { createHash, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { http, HttpResponse } from 'msw';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/index.ts';
import { countPaymentsByStatus, findFreePort } from '../../../src/db/index.ts';
import { createLogger } from '../../../src/shared/index.ts';
import {
  createWebhookServer,
  signCryptoPayUpdate,
  signGenericWebhook,
  startWebhooks,
  type WebhookServer,
} from '../../../src/webhooks/index.ts';
import { useTestDatabase } from '../../support/database.ts';
import {
  captureLogger,
  post,
  recordingObserver,
  rowsOf,
  seedCustomer,
  totalRows,
  useMockedApis,
  webhookConfig,
} from '../../support/webhooks.ts';

const database = useTestDatabase();
const API = 'https://api.yookassa.test/v3/';
const SECRETS = {
  KEYWARDEN_WEBHOOK_SECRET: 'whsec-generic-7d1f0c2b9a',
  KEYWARDEN_CRYPTOPAY_TOKEN: '98765:CRYPTOpayTOKENzzQ4',
  KEYWARDEN_YOOKASSA_SECRET_KEY: 'live_YooKassaSecretKey_55aa',
};

const api = useMockedApis();

/** A webhook server on this file's database with a silent logger and `env` settings (not yet listening). */
const silentServer = (env: Record<string, string> = {}): WebhookServer =>
  createWebhookServer({
    pool: database().pool,
    config: webhookConfig(env),
    logger: createLogger({ level: 'silent' }),
  });

const signedGeneric = (url: URL, body: string, secret = SECRETS.KEYWARDEN_WEBHOOK_SECRET) => {
  const timestamp = Math.floor(Date.now() / 1000);
  return post(url, '/webhooks/generic', body, {
    'x-keywarden-timestamp': String(timestamp),
    'x-keywarden-signature': signGenericWebhook(secret, timestamp, body),
  });
};

describe('webhook server', () => {
  it('answers /healthz, 404 for unknown paths and for providers that are not configured', async () => {
    const server = silentServer();
    const url = await server.listen();
    try {
      expect(url.hostname).toBe('127.0.0.1');
      expect(Number(url.port)).toBeGreaterThan(0);
      const health = await fetch(new URL('/healthz', url));
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      expect((await fetch(new URL('/healthz', url), { method: 'POST' })).status).toBe(405);
      const unknown = await post(url, '/payments', '{}');
      expect(unknown.status).toBe(404);
      expect(unknown.body.error?.code).toBe('not-found');
      const off = await post(url, '/webhooks/cryptobot', '{}');
      expect(off.status).toBe(404);
      expect(off.body.error?.message).toBe('the cryptobot webhook is not configured');
    } finally {
      await server.close();
    }
  });

  it('answers 404 to a request target that is not a valid URL', async () => {
    const server = silentServer();
    const url = await server.listen();
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const request = httpRequest({
          host: url.hostname,
          port: url.port,
          path: '//x:99999/',
          method: 'GET',
        });
        request.on('response', (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        request.on('error', reject);
        request.end();
      });
      expect(status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('closes idempotently and stops accepting connections', async () => {
    const server = silentServer();
    const url = await server.listen();
    expect(await server.listen()).toBe(url);
    await Promise.all([server.close(), server.close()]);
    await server.close();
    await expect(fetch(new URL('/healthz', url))).rejects.toThrow();
  });

  it('starts from the settings for `keywarden run`, logs the bound URL and the providers, and closes on abort', async () => {
    const { logger, lines } = captureLogger('info');
    const controller = new AbortController();
    const server = await startWebhooks({
      config: webhookConfig({ KEYWARDEN_CRYPTOPAY_TOKEN: SECRETS.KEYWARDEN_CRYPTOPAY_TOKEN }),
      pool: database().pool,
      logger,
      signal: controller.signal,
    });
    const url = server.url;
    expect(url).not.toBeNull();
    const logged = lines().map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toContainEqual(
      expect.objectContaining({
        msg: 'webhook server listening',
        url: url?.href,
        providers: ['cryptobot'],
      }),
    );
    expect(logged).toContainEqual(
      expect.objectContaining({ msg: 'webhook provider off (not configured)', provider: 'generic' }),
    );
    expect(logged).toContainEqual(
      expect.objectContaining({ msg: 'webhook provider off (not configured)', provider: 'yookassa' }),
    );
    expect(logged).toContainEqual(
      expect.objectContaining({ msg: 'webhook provider on', provider: 'cryptobot' }),
    );
    controller.abort();
    await server.close();
    await expect(fetch(new URL('/healthz', url ?? 'http://127.0.0.1:1/'))).rejects.toThrow();
  });

  it('refuses settings that cannot work, naming the variable', () => {
    const make = (env: Record<string, string>) => () => silentServer(env);
    const shop = { KEYWARDEN_YOOKASSA_SHOP_ID: '1234', KEYWARDEN_YOOKASSA_SECRET_KEY: 'live_x' };
    expect(make({ ...shop, KEYWARDEN_YOOKASSA_ALLOWED_IPS: '185.71.76.0/33' })).toThrow(ConfigError);
    expect(make({ ...shop, KEYWARDEN_YOOKASSA_ALLOWED_IPS: '1.2.3' })).toThrow(
      /KEYWARDEN_YOOKASSA_ALLOWED_IPS/,
    );
    expect(make({ KEYWARDEN_YOOKASSA_SHOP_ID: '1234' })).toThrow(/KEYWARDEN_YOOKASSA_SECRET_KEY/);
    // A proxy header without the proxies' addresses would let anyone claim any address.
    expect(make({ KEYWARDEN_TRUSTED_PROXY_HEADER: 'x-forwarded-for' })).toThrow(/KEYWARDEN_TRUSTED_PROXIES/);
    expect(
      make({ KEYWARDEN_TRUSTED_PROXY_HEADER: 'x-forwarded-for', KEYWARDEN_TRUSTED_PROXIES: '10.0.0.0/33' }),
    ).toThrow(/KEYWARDEN_TRUSTED_PROXIES/);
  });

  it('answers 413 to an oversized chunked body without a content-length, writing nothing', async () => {
    const server = silentServer({ KEYWARDEN_WEBHOOK_SECRET: SECRETS.KEYWARDEN_WEBHOOK_SECRET });
    const url = await server.listen();
    try {
      const before = await totalRows(database().pool);
      const status = await new Promise<number>((resolve, reject) => {
        const request = httpRequest(new URL('/webhooks/generic', url), {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        });
        request.on('response', (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        request.on('error', reject);
        for (let i = 0; i < 10; i += 1) {
          request.write('x'.repeat(10_000));
        }
        request.end();
      });
      expect(status).toBe(413);
      expect(await totalRows(database().pool)).toEqual(before);
    } finally {
      await server.close();
    }
  });

  it('answers 503 when the database is down, so the provider delivers again', async () => {
    const port = await findFreePort();
    const deadPool = new pg.Pool({
      connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
      connectionTimeoutMillis: 1_000,
    });
    const observer = recordingObserver();
    const { logger, lines } = captureLogger();
    const server = createWebhookServer({
      pool: deadPool,
      config: webhookConfig({ KEYWARDEN_WEBHOOK_SECRET: SECRETS.KEYWARDEN_WEBHOOK_SECRET }),
      logger,
      observer,
    });
    const url = await server.listen();
    try {
      const body = JSON.stringify({
        event: 'payment.succeeded',
        payment_id: randomUUID(),
        reference: 'kw:1:month',
        amount: '299.00',
        currency: 'RUB',
      });
      const reply = await signedGeneric(url, body);
      expect(reply.status).toBe(503);
      expect(reply.body.error?.code).toBe('storage-unavailable');
      expect(observer.requests).toEqual([['generic', '5xx']]);
      const errorLine = lines()
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((line) => line['msg'] === 'could not write the payment event');
      expect(errorLine).toMatchObject({
        level: 'error',
        provider: 'generic',
        requestId: expect.any(String) as string,
      });
    } finally {
      await server.close();
      await deadPool.end();
    }
  });

  it('never logs a secret, and puts the request id in every line about a request', async () => {
    const { pool } = database();
    const { logger, lines } = captureLogger('trace');
    const server = createWebhookServer({
      pool,
      config: webhookConfig({
        ...SECRETS,
        KEYWARDEN_YOOKASSA_ALLOWED_IPS: '127.0.0.1',
        KEYWARDEN_YOOKASSA_SHOP_ID: '506751',
        KEYWARDEN_YOOKASSA_API_ROOT: API,
      }),
      logger,
    });
    const url = await server.listen();
    const { userId, reference } = await seedCustomer(pool);
    const object = {
      id: randomUUID(),
      status: 'succeeded',
      amount: { value: '299.00', currency: 'RUB' },
      recipient: { account_id: '506751' },
      test: false,
      metadata: { kw_ref: reference },
    };
    api.use(http.get(`${API}payments/:id`, () => HttpResponse.json(object)));
    try {
      const generic = JSON.stringify({
        event: 'payment.succeeded',
        payment_id: randomUUID(),
        reference,
        amount: '299.00',
        currency: 'RUB',
      });
      expect((await signedGeneric(url, generic)).status).toBe(200);
      expect((await signedGeneric(url, generic, 'wrong')).status).toBe(401);
      const invoice = JSON.stringify({
        update_id: 1,
        update_type: 'invoice_paid',
        payload: {
          invoice_id: 991,
          status: 'paid',
          currency_type: 'fiat',
          fiat: 'RUB',
          amount: '299',
          payload: reference,
        },
      });
      const token = SECRETS.KEYWARDEN_CRYPTOPAY_TOKEN;
      expect(
        (
          await post(url, '/webhooks/cryptobot', invoice, {
            'crypto-pay-api-signature': signCryptoPayUpdate(token, invoice),
          })
        ).status,
      ).toBe(200);
      // Callers echoing secrets in headers or bodies do not get them logged either.
      expect(
        (
          await post(url, '/webhooks/cryptobot', `{"token":"${token}"}`, {
            'crypto-pay-api-signature': 'deadbeef',
            authorization: `Bearer ${SECRETS.KEYWARDEN_WEBHOOK_SECRET}`,
          })
        ).status,
      ).toBe(401);
      const yookassa = JSON.stringify({ type: 'notification', event: 'payment.succeeded', object });
      expect((await post(url, '/webhooks/yookassa', yookassa)).status).toBe(200);
      expect((await rowsOf(pool, userId)).payments).toBe(3);
    } finally {
      await server.close();
    }
    const output = lines().join('\n');
    const forbidden = [
      ...Object.values(SECRETS),
      createHash('sha256').update(SECRETS.KEYWARDEN_CRYPTOPAY_TOKEN).digest('hex'),
      Buffer.from(`506751:${SECRETS.KEYWARDEN_YOOKASSA_SECRET_KEY}`).toString('base64'),
    ];
    for (const secret of forbidden) {
      expect(output).not.toContain(secret);
    }
    const requestLines = lines()
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line['msg'] !== 'webhook server listening' && line['msg'] !== 'webhook server closed')
      .filter((line) => !String(line['msg']).startsWith('webhook provider'));
    expect(requestLines.length).toBeGreaterThanOrEqual(10);
    for (const line of requestLines) {
      expect(line['requestId']).toEqual(expect.stringMatching(/^[0-9a-f-]{36}$/));
    }
  });

  it('counts payments by provider and status for keywarden status', async () => {
    const counts = await countPaymentsByStatus(database().pool);
    expect(counts).toContainEqual({
      provider: 'generic',
      status: 'succeeded',
      count: expect.any(Number) as number,
    });
    expect(counts.every((row) => row.count > 0)).toBe(true);
  });
});
