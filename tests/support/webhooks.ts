/**
 * Helpers for webhook integration tests: a config on 127.0.0.1:0, a started server that is closed
 * after the test file, a logger whose output the test can read, signed requests, and row counts.
 */
import { Writable } from 'node:stream';
import type pg from 'pg';
import { http, passthrough } from 'msw';
import { setupServer, type SetupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { upsertPlan, type PlanRecord } from '../../src/db/index.ts';
import { encodeOrderReference, type UserId } from '../../src/domain/index.ts';
import { createLogger, type Logger } from '../../src/shared/index.ts';
import {
  createWebhookServer,
  type PaymentOutcome,
  type StatusClass,
  type WebhookObserver,
  type WebhookServer,
} from '../../src/webhooks/index.ts';
import { insertUser } from './builders.ts';
import type { TestDatabase } from './database.ts';

/** A config for tests: the webhook server on 127.0.0.1, a free port, plus `env`. */
export function webhookConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ KEYWARDEN_WEBHOOK_HOST: '127.0.0.1', KEYWARDEN_WEBHOOK_PORT: '0', ...env });
}

/** A logger that keeps every line it writes. */
export function captureLogger(level = 'debug'): { readonly logger: Logger; readonly lines: () => string[] } {
  const lines: string[] = [];
  let pending = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      pending += chunk.toString('utf8');
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      lines.push(...parts.filter((line) => line.length > 0));
      callback();
    },
  });
  return { logger: createLogger({ level, destination }), lines: () => [...lines] };
}

/** An observer that counts what it is told. */
export function recordingObserver(): WebhookObserver & {
  readonly payments: Array<[string, PaymentOutcome]>;
  readonly requests: Array<[string, StatusClass]>;
} {
  const payments: Array<[string, PaymentOutcome]> = [];
  const requests: Array<[string, StatusClass]> = [];
  return {
    payments,
    requests,
    onPayment: (provider, outcome) => payments.push([provider, outcome]),
    onRequest: (provider, status) => requests.push([provider, status]),
  };
}

/**
 * Gives the calling test file a webhook server on 127.0.0.1:0 over the file's database, started
 * before its tests and closed after them. Call after `useTestDatabase()`.
 */
export function useWebhookServer(
  database: () => TestDatabase,
  options: {
    readonly env?: Record<string, string>;
    readonly logger?: Logger;
    readonly observer?: WebhookObserver;
  } = {},
): () => { readonly server: WebhookServer; readonly url: URL } {
  let started: { readonly server: WebhookServer; readonly url: URL } | undefined;
  beforeAll(async () => {
    const server = createWebhookServer({
      pool: database().pool,
      config: webhookConfig(options.env),
      logger: options.logger ?? createLogger({ level: 'silent' }),
      ...(options.observer === undefined ? {} : { observer: options.observer }),
    });
    started = { server, url: await server.listen() };
  });
  afterAll(async () => {
    await started?.server.close();
  });
  return () => {
    if (!started) {
      throw new Error('the webhook server is only available inside tests');
    }
    return started;
  };
}

/** The answer to one request. */
export interface Reply {
  readonly status: number;
  readonly body: {
    readonly ok?: boolean;
    readonly outcome?: string;
    readonly error?: { code: string; message: string };
  };
  readonly headers: Headers;
}

/** POSTs `body` (sent as-is) to `path` with JSON content type unless `headers` says otherwise. */
export async function post(
  url: URL,
  path: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const response = await fetch(new URL(path, url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text.length > 0 ? (JSON.parse(text) as Reply['body']) : {},
    headers: response.headers,
  };
}

/** A user and a 30-day plan (299.00 RUB, 250 XTR, 3.5 USD) to pay for. */
export async function seedCustomer(
  pool: pg.Pool,
): Promise<{ readonly userId: UserId; readonly plan: PlanRecord; readonly reference: string }> {
  const userId = await insertUser(pool);
  const plan = await upsertPlan(pool, {
    code: `month-${Math.floor(Math.random() * 1e9)}`,
    title: '30 days',
    durationDays: 30,
    price: '299.00',
    currency: 'RUB',
    prices: { XTR: '250', USD: '3.5', USDT: '3.5' },
  });
  return { userId, plan, reference: encodeOrderReference({ userId, planCode: plan.code }) };
}

/** Counts what the write path wrote for a user, and what it wrote in total. */
export async function rowsOf(
  pool: pg.Pool,
  userId: UserId,
): Promise<{ payments: number; periods: number; livePeriods: number; allPayments: number }> {
  const { rows } = await pool.query<{
    payments: number;
    periods: number;
    live_periods: number;
    all_payments: number;
  }>(
    `select (select count(*)::int from payments where user_id = $1) as payments,
            (select count(*)::int from subscription_periods where user_id = $1) as periods,
            (select count(*)::int from subscription_periods where user_id = $1 and cancelled_at is null) as live_periods,
            (select count(*)::int from payments) as all_payments`,
    [userId],
  );
  const row = rows[0]!;
  return {
    payments: row.payments,
    periods: row.periods,
    livePeriods: row.live_periods,
    allPayments: row.all_payments,
  };
}

/** Counts every payment and period row in the database. */
export async function totalRows(pool: pg.Pool): Promise<{ payments: number; periods: number }> {
  const { rows } = await pool.query<{ payments: number; periods: number }>(
    `select (select count(*)::int from payments) as payments,
            (select count(*)::int from subscription_periods) as periods`,
  );
  return rows[0]!;
}

/** Mocks outside HTTP APIs for this test file: only our own 127.0.0.1 servers pass; any other unhandled request fails. */
export function useMockedApis(): SetupServer {
  const api = setupServer(http.all(/^http:\/\/127\.0\.0\.1:\d+\//, () => passthrough()));
  beforeAll(() => {
    api.listen({ onUnhandledFrame: 'error' });
  });
  afterEach(() => {
    api.resetHandlers();
  });
  afterAll(() => {
    api.close();
  });
  return api;
}

/** Asserts that `reply` was refused with `status` and error `code`, and that nothing was written for `userId`. */
export async function expectRefused(
  reply: Reply,
  status: number,
  code: string | RegExp,
  pool: pg.Pool,
  userId: UserId,
): Promise<void> {
  expect(reply.status).toBe(status);
  if (typeof code === 'string') {
    expect(reply.body.error?.code).toBe(code);
  } else {
    expect(reply.body.error?.code).toMatch(code);
  }
  expect(await rowsOf(pool, userId)).toMatchObject({ payments: 0, periods: 0 });
}
