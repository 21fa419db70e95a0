import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { signCryptoPayUpdate } from '../../../src/webhooks/index.ts';
import { useTestDatabase } from '../../support/database.ts';
import {
  expectRefused,
  post,
  type Reply,
  rowsOf,
  seedCustomer,
  totalRows,
  useWebhookServer,
} from '../../support/webhooks.ts';

const database = useTestDatabase();
const TOKEN = '12345:AAzQcZWQqQAbsfgPnOLr4FHC8Doa4L7KryC';
const webhooks = useWebhookServer(database, { env: { KEYWARDEN_CRYPTOPAY_TOKEN: TOKEN } });
let url: URL;

beforeAll(() => {
  ({ url } = webhooks());
});

let invoiceId = 880_000;

/** An invoice_paid update as Crypto Pay sends it (reference/payments.md §3.2). */
function update(reference: string, invoice: Record<string, unknown> = {}): Record<string, unknown> {
  invoiceId += 1;
  return {
    update_id: 55_000 + invoiceId,
    update_type: 'invoice_paid',
    request_date: '2026-01-01T12:03:07.481Z',
    payload: {
      invoice_id: invoiceId,
      hash: 'IVxk2PqR7mZa',
      status: 'paid',
      currency_type: 'fiat',
      fiat: 'USD',
      amount: '3.5',
      accepted_assets: ['USDT', 'TON'],
      paid_asset: 'USDT',
      paid_amount: '3.5',
      fee_asset: 'USDT',
      fee_amount: '0.105',
      payload: reference,
      paid_at: '2026-01-01T12:03:05.000Z',
      ...invoice,
    },
  };
}

const send = (body: string, signature = signCryptoPayUpdate(TOKEN, body)): Promise<Reply> =>
  post(url, '/webhooks/cryptobot', body, { 'crypto-pay-api-signature': signature });

describe('Crypto Pay webhook', () => {
  it('grants exactly one period for a paid invoice, keyed by invoice_id', async () => {
    const { pool } = database();
    const { userId, reference } = await seedCustomer(pool);
    const body = update(reference);
    const reply = await send(JSON.stringify(body));
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ ok: true, outcome: 'granted' });
    expect(await rowsOf(pool, userId)).toMatchObject({ payments: 1, periods: 1, livePeriods: 1 });
    const { rows } = await pool.query<{
      external_id: string;
      currency: string;
      payload: Record<string, unknown>;
    }>('select external_id, currency, payload from payments where user_id = $1', [userId]);
    expect(rows[0]).toMatchObject({
      external_id: String(invoiceId),
      currency: 'USD',
      payload: { paid_asset: 'USDT', fee_amount: '0.105', hash: 'IVxk2PqR7mZa', reference },
    });
  });

  it('answers 200 to a replay and writes nothing new', async () => {
    const { pool } = database();
    const { userId, reference } = await seedCustomer(pool);
    const body = JSON.stringify(update(reference));
    expect((await send(body)).body.outcome).toBe('granted');
    const replay = await send(body);
    expect(replay.status).toBe(200);
    expect(replay.body.outcome).toBe('duplicate');
    expect(await rowsOf(pool, userId)).toMatchObject({ payments: 1, periods: 1 });
  });

  it('takes the asset as the currency of a crypto invoice', async () => {
    const { pool } = database();
    const { userId, reference } = await seedCustomer(pool);
    const body = update(reference, {
      currency_type: 'crypto',
      fiat: undefined,
      asset: 'USDT',
      amount: '3.50',
    });
    expect((await send(JSON.stringify(body))).body.outcome).toBe('granted');
    expect(await rowsOf(pool, userId)).toMatchObject({ payments: 1, periods: 1 });
  });

  it('accepts a signature over JSON.stringify of the parsed body when the raw body differs', async () => {
    const { pool } = database();
    const { userId, reference } = await seedCustomer(pool);
    const body = update(reference);
    const pretty = JSON.stringify(body, null, 2);
    const reply = await send(pretty, signCryptoPayUpdate(TOKEN, JSON.stringify(body)));
    expect(reply.status).toBe(200);
    expect(await rowsOf(pool, userId)).toMatchObject({ payments: 1, periods: 1 });
  });

  it.each([
    ['a signature made with another token', (body: string) => signCryptoPayUpdate('other-token', body)],
    // The key is SHA-256(token) as raw bytes; the token itself or the hex digest are common mistakes.
    [
      'a signature keyed with the token itself',
      (body: string) => createHmac('sha256', TOKEN).update(body).digest('hex'),
    ],
    [
      'a signature keyed with the hex digest of the token',
      (body: string) =>
        createHmac('sha256', createHash('sha256').update(TOKEN).digest('hex')).update(body).digest('hex'),
    ],
    ['a signature of odd length', () => 'abc'],
    ['a signature that is not hex', () => 'z'.repeat(64)],
  ])('refuses %s with 401 and writes nothing', async (_name, sign) => {
    const { pool } = database();
    const { userId, reference } = await seedCustomer(pool);
    const body = JSON.stringify(update(reference));
    const reply = await send(body, sign(body));
    await expectRefused(reply, 401, 'bad-signature', pool, userId);
  });

  it('refuses an update without a signature header with 401', async () => {
    const { pool } = database();
    const { userId, reference } = await seedCustomer(pool);
    const reply = await post(url, '/webhooks/cryptobot', JSON.stringify(update(reference)));
    await expectRefused(reply, 401, 'missing-signature', pool, userId);
  });

  it('answers 400 to signed malformed JSON and to an invoice that is not paid, writing nothing', async () => {
    const { pool } = database();
    const { userId, reference } = await seedCustomer(pool);
    const malformed = await send('{"update_type":"invoice_paid",');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error?.code).toBe('invalid-json');
    const active = await send(JSON.stringify(update(reference, { status: 'active' })));
    expect(active.status).toBe(400);
    expect(active.body.error?.message).toContain('payload.status');
    expect(await rowsOf(pool, userId)).toMatchObject({ payments: 0, periods: 0 });
  });

  it('answers 415 to another content type and 413 to an oversized body, writing nothing', async () => {
    const { pool } = database();
    const { userId, reference } = await seedCustomer(pool);
    const body = JSON.stringify(update(reference));
    const wrongType = await post(url, '/webhooks/cryptobot', body, {
      'content-type': 'application/x-www-form-urlencoded',
      'crypto-pay-api-signature': signCryptoPayUpdate(TOKEN, body),
    });
    expect(wrongType.status).toBe(415);
    const huge = JSON.stringify(update(reference, { description: 'x'.repeat(70_000) }));
    expect((await send(huge)).status).toBe(413);
    expect(await rowsOf(pool, userId)).toMatchObject({ payments: 0, periods: 0 });
  });

  it('records a payment of the wrong amount as a mismatch and grants nothing', async () => {
    const { pool } = database();
    const { userId, reference } = await seedCustomer(pool);
    const reply = await send(JSON.stringify(update(reference, { amount: '0.35' })));
    expect(reply.body.outcome).toBe('mismatch');
    expect(await rowsOf(pool, userId)).toMatchObject({ payments: 1, periods: 0 });
  });

  it('answers every signed random JSON body with a 4xx and writes nothing', async () => {
    const { pool } = database();
    const before = await totalRows(pool);
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const reply = await send(JSON.stringify(value));
        expect(reply.status).toBeGreaterThanOrEqual(400);
        expect(reply.status).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
    expect(await totalRows(pool)).toEqual(before);
  });
});
