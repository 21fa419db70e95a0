import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { listPayments } from '../../../src/db/index.ts';
import { signGenericWebhook, type WebhookServer } from '../../../src/webhooks/index.ts';
import { insertUser } from '../../support/builders.ts';
import { useTestDatabase } from '../../support/database.ts';
import {
  expectRefused,
  post,
  recordingObserver,
  type Reply,
  rowsOf,
  seedCustomer,
  totalRows,
  useWebhookServer,
} from '../../support/webhooks.ts';

const database = useTestDatabase();
const SECRET = 'generic-shared-secret-3f9c';
const observer = recordingObserver();
const webhooks = useWebhookServer(database, { env: { KEYWARDEN_WEBHOOK_SECRET: SECRET }, observer });
let url: URL;
let server: WebhookServer;

beforeAll(() => {
  ({ url, server } = webhooks());
});

let sequence = 0;
const paymentId = (): string => `ord-${Date.now()}-${(sequence += 1)}`;
const now = (): number => Math.floor(Date.now() / 1000);

/** POSTs a body signed like a shop would sign it. */
function send(body: string, options: { timestamp?: number; secret?: string } = {}): Promise<Reply> {
  const timestamp = options.timestamp ?? now();
  return post(url, '/webhooks/generic', body, {
    'x-keywarden-timestamp': String(timestamp),
    'x-keywarden-signature': signGenericWebhook(options.secret ?? SECRET, timestamp, body),
  });
}

const paid = (fields: Record<string, unknown>): string =>
  JSON.stringify({ event: 'payment.succeeded', amount: '299.00', currency: 'RUB', ...fields });

describe('generic signed webhook', () => {
  it('turns on only the configured providers: generic by its secret, not YooKassa without its shop', () => {
    expect(server.providers).toEqual(['generic']);
  });

  it('grants exactly one period for a valid payment', async () => {
    const { pool } = database();
    const { userId, reference, plan } = await seedCustomer(pool);
    const reply = await send(paid({ payment_id: paymentId(), reference }));
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ ok: true, outcome: 'granted' });
    expect(reply.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await rowsOf(pool, userId)).toMatchObject({ payments: 1, periods: 1, livePeriods: 1 });
    const { rows } = await pool.query<{ days: number; provider: string; status: string }>(
      `select extract(epoch from sp.ends_at - sp.starts_at)::int / 86400 as days, p.provider, p.status
       from subscription_periods sp join payments p on p.id = sp.payment_id where sp.user_id = $1`,
      [userId],
    );
    expect(rows).toEqual([{ days: plan.durationDays, provider: 'generic', status: 'succeeded' }]);
  });

  it('answers 200 to a replay and writes nothing new', async () => {
    const { pool } = database();
    const { userId, reference } = await seedCustomer(pool);
    const body = paid({ payment_id: paymentId(), reference });
    expect((await send(body)).body.outcome).toBe('granted');
    const replay = await send(body);
    expect(replay.status).toBe(200);
    expect(replay.body.outcome).toBe('duplicate');
    expect(await rowsOf(pool, userId)).toMatchObject({ payments: 1, periods: 1 });
  });

  it.each([
    ['a wrong secret', (body: string) => send(body, { secret: 'not-the-secret' })],
    ['no signature headers', (body: string) => post(url, '/webhooks/generic', body)],
    [
      'a signature of another body',
      (body: string) =>
        post(url, '/webhooks/generic', body, {
          'x-keywarden-timestamp': String(now()),
          'x-keywarden-signature': signGenericWebhook(SECRET, now(), `${body} `),
        }),
    ],
    [
      'a truncated signature',
      (body: string) =>
        post(url, '/webhooks/generic', body, {
          'x-keywarden-timestamp': String(now()),
          'x-keywarden-signature': signGenericWebhook(SECRET, now(), body).slice(0, 40),
        }),
    ],
    ['a timestamp older than 5 minutes', (body: string) => send(body, { timestamp: now() - 301 })],
    ['a timestamp more than 5 minutes ahead', (body: string) => send(body, { timestamp: now() + 301 })],
  ])('refuses %s with 401 and writes nothing', async (_name, deliver) => {
    const { pool } = database();
    const { userId, reference } = await seedCustomer(pool);
    const reply = await deliver(paid({ payment_id: paymentId(), reference }));
    await expectRefused(reply, 401, /signature|timestamp/, pool, userId);
  });

  it('answers 400 to a signed body that is not JSON, and writes nothing', async () => {
    const { pool } = database();
    const before = await totalRows(pool);
    const reply = await send('{"event": "payment.succeeded", ');
    expect(reply.status).toBe(400);
    expect(reply.body.error?.code).toBe('invalid-json');
    expect(await totalRows(pool)).toEqual(before);
  });

  it('answers 415 to another content type and 413 to an oversized body, writing nothing', async () => {
    const { pool } = database();
    const { userId, reference } = await seedCustomer(pool);
    const body = paid({ payment_id: paymentId(), reference });
    const timestamp = now();
    const wrongType = await post(url, '/webhooks/generic', body, {
      'content-type': 'text/plain',
      'x-keywarden-timestamp': String(timestamp),
      'x-keywarden-signature': signGenericWebhook(SECRET, timestamp, body),
    });
    expect(wrongType.status).toBe(415);
    const huge = paid({ payment_id: paymentId(), reference, metadata: { pad: 'x'.repeat(70_000) } });
    const tooLarge = await send(huge);
    await expectRefused(tooLarge, 413, 'body-too-large', pool, userId);
  });

  it('answers 405 to a GET', async () => {
    const response = await fetch(new URL('/webhooks/generic', url));
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect(await response.json()).toMatchObject({ error: { code: 'method-not-allowed' } });
  });

  it('answers 422 for an unknown plan or user and writes nothing', async () => {
    const { pool } = database();
    const { userId, plan } = await seedCustomer(pool);
    const unknownPlan = await send(paid({ payment_id: paymentId(), reference: `kw:${userId}:no-such-plan` }));
    expect(unknownPlan.status).toBe(422);
    expect(unknownPlan.body.error?.code).toBe('unknown-plan');
    const unknownUser = await send(
      paid({ payment_id: paymentId(), reference: `kw:987654321987:${plan.code}` }),
    );
    await expectRefused(unknownUser, 422, 'unknown-user', pool, userId);
  });

  it('answers 400 naming the field when the reference is malformed', async () => {
    const reply = await send(paid({ payment_id: paymentId(), reference: 'o:7f3c9b2e' }));
    expect(reply.status).toBe(400);
    expect(reply.body.error).toEqual({
      code: 'invalid-body',
      message: expect.stringContaining('reference: expected an order reference') as string,
    });
  });

  it('records a payment of the wrong amount as a mismatch, grants nothing, and lists it', async () => {
    const { pool } = database();
    const { userId, reference, plan } = await seedCustomer(pool);
    const externalId = paymentId();
    const before = observer.payments.filter(([, outcome]) => outcome === 'mismatch').length;
    const reply = await send(paid({ payment_id: externalId, reference, amount: '29.90' }));
    expect(reply.status).toBe(200);
    expect(reply.body.outcome).toBe('mismatch');
    expect(await rowsOf(pool, userId)).toMatchObject({ payments: 1, periods: 0 });
    const listed = (await listPayments(pool, { mismatched: true })).find(
      (payment) => payment.externalId === externalId,
    );
    expect(listed).toMatchObject({
      provider: 'generic',
      amount: '29.90000000',
      currency: 'RUB',
      planCode: plan.code,
    });
    expect(listed?.expected).toMatchObject({ RUB: '299.00000000', XTR: '250.00000000' });
    expect(observer.payments.filter(([, outcome]) => outcome === 'mismatch').length).toBe(before + 1);
  });

  it('accepts the plan price in another of its currencies', async () => {
    const { pool } = database();
    const { userId, reference } = await seedCustomer(pool);
    const reply = await send(paid({ payment_id: paymentId(), reference, amount: '3.50', currency: 'USD' }));
    expect(reply.body.outcome).toBe('granted');
    expect(await rowsOf(pool, userId)).toMatchObject({ payments: 1, periods: 1 });
  });

  it('cancels the period on a refund; a repeated refund changes nothing', async () => {
    const { pool } = database();
    const { userId, reference } = await seedCustomer(pool);
    const externalId = paymentId();
    await send(paid({ payment_id: externalId, reference }));
    const refund = JSON.stringify({ event: 'payment.refunded', payment_id: externalId, refund_id: 'rf-1' });
    const first = await send(refund);
    expect(first.status).toBe(200);
    expect(first.body.outcome).toBe('refunded');
    expect(await rowsOf(pool, userId)).toMatchObject({ payments: 1, periods: 1, livePeriods: 0 });
    const again = await send(refund);
    expect(again.status).toBe(200);
    expect(again.body.outcome).toBe('duplicate');
    const { rows } = await pool.query<{ status: string; refund: unknown }>(
      "select status, payload -> 'refund' as refund from payments where provider = 'generic' and external_id = $1",
      [externalId],
    );
    expect(rows).toEqual([{ status: 'refunded', refund: { refund_id: 'rf-1' } }]);
  });

  it('answers 409 to a refund of a payment it never recorded, so the shop retries', async () => {
    const { pool } = database();
    const before = await totalRows(pool);
    const reply = await send(JSON.stringify({ event: 'payment.refunded', payment_id: paymentId() }));
    expect(reply.status).toBe(409);
    expect(reply.body.error?.code).toBe('unknown-payment');
    expect(await totalRows(pool)).toEqual(before);
  });

  it('writes one payment and one period for 100 concurrent identical deliveries', async () => {
    const { pool } = database();
    const { userId, reference } = await seedCustomer(pool);
    const body = paid({ payment_id: paymentId(), reference });
    const replies = await Promise.all(Array.from({ length: 100 }, () => send(body)));
    expect(replies.map((reply) => reply.status)).toEqual(Array.from({ length: 100 }, () => 200));
    const outcomes = replies.map((reply) => reply.body.outcome);
    expect(outcomes.filter((outcome) => outcome === 'granted')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === 'duplicate')).toHaveLength(99);
    expect(await rowsOf(pool, userId)).toMatchObject({ payments: 1, periods: 1 });
  });

  it('answers every signed random JSON body with a 4xx and writes nothing', async () => {
    const { pool } = database();
    await insertUser(pool);
    const before = await totalRows(pool);
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const reply = await send(JSON.stringify(value));
        expect(reply.status).toBeGreaterThanOrEqual(400);
        expect(reply.status).toBeLessThan(500);
        expect(reply.body.error?.code).toEqual(expect.any(String));
      }),
      { numRuns: 150 },
    );
    expect(await totalRows(pool)).toEqual(before);
  });

  it('counts every answered request by provider and status class', () => {
    expect(observer.requests.some(([provider, status]) => provider === 'generic' && status === '2xx')).toBe(
      true,
    );
    expect(observer.requests.some(([provider, status]) => provider === 'generic' && status === '4xx')).toBe(
      true,
    );
    expect(observer.requests.every(([, status]) => status !== '5xx')).toBe(true);
  });
});
