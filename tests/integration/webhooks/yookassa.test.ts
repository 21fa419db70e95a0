import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { delay, http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../support/database.ts';
import {
  expectRefused,
  post,
  rowsOf,
  seedCustomer,
  totalRows,
  useMockedApis,
  useWebhookServer,
} from '../../support/webhooks.ts';

const database = useTestDatabase();
const API = 'https://api.yookassa.test/v3/';
const SHOP_ID = '506751';
const SECRET_KEY = 'test_Fh8hUAVVBGUGbjmlzba6TB0iyUbos_lueTHE-axOwM0';
const CREDENTIALS = {
  KEYWARDEN_YOOKASSA_SHOP_ID: SHOP_ID,
  KEYWARDEN_YOOKASSA_SECRET_KEY: SECRET_KEY,
  KEYWARDEN_YOOKASSA_API_ROOT: API,
  KEYWARDEN_PAYMENT_API_TIMEOUT: '300ms',
};

const api = useMockedApis();

// One server per way of deciding where a request comes from, all with shop credentials (the route
// is off without them), plus one without credentials and one that accepts test payments.
const loopbackAllowed = useWebhookServer(database, {
  env: { KEYWARDEN_YOOKASSA_ALLOWED_IPS: '127.0.0.1/32', ...CREDENTIALS },
});
const publishedList = useWebhookServer(database, { env: CREDENTIALS });
const behindProxy = useWebhookServer(database, {
  env: {
    KEYWARDEN_TRUSTED_PROXY_HEADER: 'X-Forwarded-For',
    KEYWARDEN_TRUSTED_PROXIES: '127.0.0.1, 10.0.0.0/8',
    ...CREDENTIALS,
  },
});
const proxyElsewhere = useWebhookServer(database, {
  env: {
    KEYWARDEN_TRUSTED_PROXY_HEADER: 'X-Forwarded-For',
    KEYWARDEN_TRUSTED_PROXIES: '10.0.0.1',
    ...CREDENTIALS,
  },
});
const refetching = useWebhookServer(database, {
  env: { KEYWARDEN_YOOKASSA_ALLOWED_IPS: '10.0.0.0/8, 127.0.0.0/8', ...CREDENTIALS },
});
const withoutCredentials = useWebhookServer(database, {
  env: { KEYWARDEN_YOOKASSA_ALLOWED_IPS: '127.0.0.1/32' },
});
const testShop = useWebhookServer(database, {
  env: {
    KEYWARDEN_YOOKASSA_ALLOWED_IPS: '127.0.0.1/32',
    KEYWARDEN_YOOKASSA_ALLOW_TEST: 'true',
    ...CREDENTIALS,
  },
});

/** A payment object as YooKassa shows it (reference/payments.md §2.2), paid to our shop. */
function payment(reference: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: randomUUID(),
    status: 'succeeded',
    paid: true,
    amount: { value: '299.00', currency: 'RUB' },
    income_amount: { value: '288.54', currency: 'RUB' },
    recipient: { account_id: SHOP_ID, gateway_id: '100700' },
    created_at: '2026-01-01T12:00:00.000Z',
    captured_at: '2026-01-01T12:00:41.000Z',
    description: 'VPN 30 days',
    metadata: { kw_ref: reference },
    payment_method: { type: 'bank_card', id: randomUUID(), saved: true, title: 'Bank card *4444' },
    refundable: true,
    test: false,
    ...fields,
  };
}

/** Makes the mocked API answer these payments and refunds by id (404 for any other). */
function apiKnows(...objects: ReadonlyArray<Record<string, unknown>>): void {
  const byId = new Map(objects.map((object) => [String(object['id']), object]));
  const answer = ({ params }: { params: Record<string, unknown> }) => {
    const found = byId.get(String(params['id']));
    return found ? HttpResponse.json(found) : HttpResponse.json({ type: 'error' }, { status: 404 });
  };
  api.use(http.get(`${API}payments/:id`, answer), http.get(`${API}refunds/:id`, answer));
}

const notification = (event: string, object: Record<string, unknown>): string =>
  JSON.stringify({ type: 'notification', event, object });

const send = (url: URL, body: string, headers: Record<string, string> = {}) =>
  post(url, '/webhooks/yookassa', body, headers);

describe('YooKassa webhook defaults (reproduces issue 12)', () => {
  it('is off (404) without shop credentials, so an unverifiable notification is never trusted', async () => {
    const { pool } = database();
    const { userId, reference } = await seedCustomer(pool);
    const reply = await send(withoutCredentials().url, notification('payment.succeeded', payment(reference)));
    expect(reply.status).toBe(404);
    expect(withoutCredentials().server.providers).not.toContain('yookassa');
    expect(await rowsOf(pool, userId)).toMatchObject({ payments: 0, periods: 0 });
  });

  it('refuses a test payment (test: true from the API) with 409 and writes nothing', async () => {
    const { pool } = database();
    const { userId, reference } = await seedCustomer(pool);
    const object = payment(reference, { test: true });
    apiKnows(object);
    const reply = await send(loopbackAllowed().url, notification('payment.succeeded', object));
    await expectRefused(reply, 409, 'not-confirmed', pool, userId);
    expect(reply.body.error?.message).toContain('KEYWARDEN_YOOKASSA_ALLOW_TEST');
  });

  it('accepts a test payment when KEYWARDEN_YOOKASSA_ALLOW_TEST is set', async () => {
    const { pool } = database();
    const { userId, reference } = await seedCustomer(pool);
    const object = payment(reference, { test: true });
    apiKnows(object);
    const reply = await send(testShop().url, notification('payment.succeeded', object));
    expect(reply.body.outcome).toBe('granted');
    expect(await rowsOf(pool, userId)).toMatchObject({ payments: 1, periods: 1 });
  });

  it.each([
    ['another shop', { recipient: { account_id: '999999', gateway_id: '1' } }],
    ['no recipient', { recipient: undefined }],
  ])('refuses a payment the API shows made to %s, writing nothing', async (_name, fields) => {
    const { pool } = database();
    const { userId, reference } = await seedCustomer(pool);
    const object = payment(reference, fields);
    apiKnows(object);
    const reply = await send(loopbackAllowed().url, notification('payment.succeeded', object));
    await expectRefused(reply, 409, 'not-confirmed', pool, userId);
  });

  it('refuses a direct connection forging X-Forwarded-For when it does not come from a trusted proxy', async () => {
    const { pool } = database();
    const { userId, reference } = await seedCustomer(pool);
    const object = payment(reference);
    apiKnows(object);
    for (let attempt = 0; attempt < 7; attempt += 1) {
      const reply = await send(proxyElsewhere().url, notification('payment.succeeded', object), {
        'x-forwarded-for': '185.71.76.1',
      });
      expect(reply.status).toBe(403);
    }
    expect(await rowsOf(pool, userId)).toMatchObject({ payments: 0, periods: 0 });
  });
});

describe('YooKassa webhook from an allowed address', () => {
  it('grants exactly one period for payment.succeeded from an allowed address', async () => {
    const { pool } = database();
    const { userId, reference } = await seedCustomer(pool);
    const object = payment(reference);
    apiKnows(object);
    const reply = await send(loopbackAllowed().url, notification('payment.succeeded', object));
    expect(reply.status).toBe(200);
    expect(reply.body.outcome).toBe('granted');
    expect(await rowsOf(pool, userId)).toMatchObject({ payments: 1, periods: 1 });
    const { rows } = await pool.query<{ external_id: string; payload: Record<string, unknown> }>(
      'select external_id, payload from payments where user_id = $1',
      [userId],
    );
    expect(rows[0]).toMatchObject({
      external_id: object['id'],
      payload: { metadata: { kw_ref: reference }, payment_method: { saved: true, type: 'bank_card' } },
    });
  });

  it('answers 200 to a replay and writes nothing new', async () => {
    const { pool } = database();
    const { userId, reference } = await seedCustomer(pool);
    const object = payment(reference);
    apiKnows(object);
    const body = notification('payment.succeeded', object);
    await send(loopbackAllowed().url, body);
    const replay = await send(loopbackAllowed().url, body);
    expect(replay.status).toBe(200);
    expect(replay.body.outcome).toBe('duplicate');
    expect(await rowsOf(pool, userId)).toMatchObject({ payments: 1, periods: 1 });
  });

  it('refuses a caller outside the published allowlist with 403 and writes nothing', async () => {
    const { pool } = database();
    const { userId, reference } = await seedCustomer(pool);
    const reply = await send(publishedList().url, notification('payment.succeeded', payment(reference)));
    await expectRefused(reply, 403, 'forbidden-source', pool, userId);
  });

  it('writes nothing for payment.canceled and payment.waiting_for_capture', async () => {
    const { pool } = database();
    const { userId, reference } = await seedCustomer(pool);
    const canceled = payment(reference, { status: 'canceled', paid: false });
    const waiting = payment(reference, { status: 'waiting_for_capture' });
    apiKnows(canceled, waiting);
    const first = await send(loopbackAllowed().url, notification('payment.canceled', canceled));
    expect(first.body).toEqual({ ok: true, outcome: 'ignored' });
    const second = await send(loopbackAllowed().url, notification('payment.waiting_for_capture', waiting));
    expect(second.body).toEqual({ ok: true, outcome: 'ignored' });
    expect(await rowsOf(pool, userId)).toMatchObject({ payments: 0, periods: 0 });
  });

  it('cancels the period on refund.succeeded, keyed by the payment id; a replay changes nothing', async () => {
    const { pool } = database();
    const { userId, reference } = await seedCustomer(pool);
    const object = payment(reference);
    const refundObject = {
      id: randomUUID(),
      payment_id: object['id'],
      status: 'succeeded',
      amount: { value: '299.00', currency: 'RUB' },
      created_at: '2026-01-03T09:15:00.000Z',
    };
    apiKnows(object, refundObject);
    await send(loopbackAllowed().url, notification('payment.succeeded', object));
    const refund = notification('refund.succeeded', refundObject);
    const first = await send(loopbackAllowed().url, refund);
    expect(first.body.outcome).toBe('refunded');
    expect(await rowsOf(pool, userId)).toMatchObject({ payments: 1, periods: 1, livePeriods: 0 });
    const again = await send(loopbackAllowed().url, refund);
    expect(again.body.outcome).toBe('duplicate');
  });

  it('answers 4xx to malformed JSON, another content type and an oversized body, writing nothing', async () => {
    const { pool } = database();
    const { userId, reference } = await seedCustomer(pool);
    const { url } = loopbackAllowed();
    const body = notification('payment.succeeded', payment(reference));
    expect((await send(url, body.slice(0, -3))).status).toBe(400);
    expect((await send(url, body, { 'content-type': 'text/html' })).status).toBe(415);
    const huge = notification('payment.succeeded', payment(reference, { description: 'x'.repeat(70_000) }));
    expect((await send(url, huge)).status).toBe(413);
    expect(await rowsOf(pool, userId)).toMatchObject({ payments: 0, periods: 0 });
  });

  it('answers 400 naming the field when the fetched metadata carries no order reference', async () => {
    const { pool } = database();
    const { reference } = await seedCustomer(pool);
    const object = payment(reference, { metadata: { order_id: '7f3c9b2e' } });
    apiKnows(object);
    const reply = await send(loopbackAllowed().url, notification('payment.succeeded', object));
    expect(reply.status).toBe(400);
    expect(reply.body.error?.message).toContain('metadata.kw_ref');
  });
});

describe('YooKassa webhook fuzzed', () => {
  it('answers every random JSON body from an allowed address with a 4xx and writes nothing', async () => {
    const { pool } = database();
    const before = await totalRows(pool);
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const reply = await send(loopbackAllowed().url, JSON.stringify(value));
        expect(reply.status).toBeGreaterThanOrEqual(400);
        expect(reply.status).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
    expect(await totalRows(pool)).toEqual(before);
  });
});

describe('YooKassa webhook behind a trusted proxy', () => {
  it.each([
    ['the last X-Forwarded-For entry is YooKassa', '203.0.113.9, 185.71.76.10', 200],
    ['YooKassa is the right-most hop before our second proxy', '203.0.113.9, 185.71.76.10, 10.1.2.3', 200],
    ['an IPv6 address inside 2a02:5180::/32', '2a02:5180:0:1509::5', 200],
    ['an IPv4-mapped IPv6 address of YooKassa', '::ffff:77.75.156.11', 200],
    ['only a spoofed first entry is YooKassa', '185.71.76.10, 203.0.113.9', 403],
    ['an address just outside 185.71.76.0/27', '185.71.76.32', 403],
  ])('%s → %i', async (_name, forwardedFor, status) => {
    const { pool } = database();
    const { userId, reference } = await seedCustomer(pool);
    const object = payment(reference);
    apiKnows(object);
    const reply = await send(behindProxy().url, notification('payment.succeeded', object), {
      'x-forwarded-for': forwardedFor,
    });
    expect(reply.status).toBe(status);
    expect((await rowsOf(pool, userId)).payments).toBe(status === 200 ? 1 : 0);
  });

  it('refuses a request through our proxy without the proxy header', async () => {
    const { pool } = database();
    const { reference } = await seedCustomer(pool);
    const reply = await send(behindProxy().url, notification('payment.succeeded', payment(reference)));
    expect(reply.status).toBe(403);
    expect(reply.body.error?.message).toContain('trusted proxy header');
  });
});

describe('YooKassa webhook with shop credentials: acts on the re-fetched object', () => {
  it('grants from the fetched payment, not the notification body, with Basic auth', async () => {
    const { pool } = database();
    const { userId, reference } = await seedCustomer(pool);
    const real = payment(reference);
    const authorizations: Array<string | null> = [];
    api.use(
      http.get(`${API}payments/:id`, ({ request, params }) => {
        authorizations.push(request.headers.get('authorization'));
        return params['id'] === real['id']
          ? HttpResponse.json(real)
          : new HttpResponse(null, { status: 404 });
      }),
    );
    // A forged body: the price of a cheaper plan. The fetched payment has the right amount.
    const forged = { ...real, amount: { value: '1.00', currency: 'RUB' } };
    const reply = await send(refetching().url, notification('payment.succeeded', forged));
    expect(reply.status).toBe(200);
    expect(reply.body.outcome).toBe('granted');
    expect(authorizations).toEqual([`Basic ${Buffer.from(`${SHOP_ID}:${SECRET_KEY}`).toString('base64')}`]);
    const { rows } = await pool.query<{ amount: string }>(
      'select amount::text from payments where user_id = $1',
      [userId],
    );
    expect(rows).toEqual([{ amount: '299.00000000' }]);
  });

  it('answers 409 and writes nothing when the API says the payment is still pending', async () => {
    const { pool } = database();
    const { userId, reference } = await seedCustomer(pool);
    const object = payment(reference);
    api.use(
      http.get(`${API}payments/:id`, () => HttpResponse.json({ ...object, status: 'pending', paid: false })),
    );
    const reply = await send(refetching().url, notification('payment.succeeded', object));
    await expectRefused(reply, 409, 'not-confirmed', pool, userId);
  });

  it('answers 409 and writes nothing when YooKassa does not know the payment', async () => {
    const { pool } = database();
    const { userId, reference } = await seedCustomer(pool);
    api.use(http.get(`${API}payments/:id`, () => HttpResponse.json({ type: 'error' }, { status: 404 })));
    const reply = await send(refetching().url, notification('payment.succeeded', payment(reference)));
    expect(reply.status).toBe(409);
    expect(await rowsOf(pool, userId)).toMatchObject({ payments: 0, periods: 0 });
  });

  it.each([
    ['answers 500', () => new HttpResponse('oops', { status: 500 })],
    [
      'answers garbage',
      () => new HttpResponse('<html>', { status: 200, headers: { 'content-type': 'text/html' } }),
    ],
    [
      'is slower than the timeout',
      async () => {
        await delay(2_000);
        return HttpResponse.json({});
      },
    ],
    ['drops the connection', () => HttpResponse.error()],
  ])('answers 502 so YooKassa retries when its API %s, writing nothing', async (_name, respond) => {
    const { pool } = database();
    const { userId, reference } = await seedCustomer(pool);
    api.use(http.get(`${API}payments/:id`, respond));
    const reply = await send(refetching().url, notification('payment.succeeded', payment(reference)));
    await expectRefused(reply, 502, 'provider-unavailable', pool, userId);
  });

  it('grants when payment.canceled arrives but the API says succeeded (the fetched object decides)', async () => {
    const { pool } = database();
    const { userId, reference } = await seedCustomer(pool);
    const object = payment(reference);
    api.use(http.get(`${API}payments/:id`, () => HttpResponse.json(object)));
    const reply = await send(
      refetching().url,
      notification('payment.canceled', { ...object, status: 'canceled', paid: false }),
    );
    expect(reply.body.outcome).toBe('granted');
    expect(await rowsOf(pool, userId)).toMatchObject({ payments: 1, periods: 1 });
  });

  it('cancels the period after confirming the refund with GET refunds/{id}', async () => {
    const { pool } = database();
    const { userId, reference } = await seedCustomer(pool);
    const object = payment(reference);
    const refund = {
      id: randomUUID(),
      payment_id: object['id'],
      status: 'succeeded',
      amount: { value: '299.00', currency: 'RUB' },
      created_at: '2026-01-03T09:15:00.000Z',
    };
    api.use(
      http.get(`${API}payments/:id`, () => HttpResponse.json(object)),
      http.get(`${API}refunds/:id`, ({ params }) =>
        params['id'] === refund.id ? HttpResponse.json(refund) : new HttpResponse(null, { status: 404 }),
      ),
    );
    await send(refetching().url, notification('payment.succeeded', object));
    const reply = await send(refetching().url, notification('refund.succeeded', refund));
    expect(reply.body.outcome).toBe('refunded');
    expect(await rowsOf(pool, userId)).toMatchObject({ payments: 1, periods: 1, livePeriods: 0 });
  });

  it('refuses a refund the API says belongs to another payment', async () => {
    const { pool } = database();
    const { userId, reference } = await seedCustomer(pool);
    const object = payment(reference);
    const refund = {
      id: randomUUID(),
      payment_id: object['id'],
      status: 'succeeded',
      amount: object['amount'],
    };
    api.use(
      http.get(`${API}payments/:id`, () => HttpResponse.json(object)),
      http.get(`${API}refunds/:id`, () => HttpResponse.json({ ...refund, payment_id: randomUUID() })),
    );
    await send(refetching().url, notification('payment.succeeded', object));
    const reply = await send(refetching().url, notification('refund.succeeded', refund));
    expect(reply.status).toBe(409);
    expect(await rowsOf(pool, userId)).toMatchObject({ payments: 1, livePeriods: 1 });
  });

  it('writes nothing for random JSON bodies from an allowed address', async () => {
    const { pool } = database();
    const before = await totalRows(pool);
    for (const body of [
      '[]',
      'null',
      '{"type":"notification"}',
      '{"type":"notification","event":"payment.succeeded","object":[]}',
    ]) {
      const reply = await send(refetching().url, body);
      expect(reply.status).toBe(400);
    }
    expect(await totalRows(pool)).toEqual(before);
  });
});
