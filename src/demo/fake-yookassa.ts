/**
 * A small stand-in for the YooKassa API for the demo (never used by `keywarden run`): a real HTTP
 * server on 127.0.0.1:0 that creates payments (one per Idempotence-Key), charges saved cards at once,
 * answers `GET payments/{id}` (the webhook's re-fetch), and can mark a customer payment succeeded
 * and hand back its notification, as YooKassa would send it.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The running fake. */
export interface FakeYooKassaServer {
  /** API root ending in `/v3/`. */
  readonly apiRoot: string;
  readonly shopId: string;
  /** Marks a payment succeeded with its card saved, and returns the notification body. */
  succeed(paymentId: string): string;
  close(): Promise<void>;
}

/** Starts the fake for `shopId`. */
export async function startFakeYooKassa(shopId: string): Promise<FakeYooKassaServer> {
  const payments = new Map<string, Record<string, unknown>>();
  const byKey = new Map<string, string>();
  const server = createServer((request, response) => {
    let raw = '';
    request.on('data', (chunk: Buffer) => {
      raw += chunk.toString('utf8');
    });
    request.on('end', () => {
      const answer = (status: number, body: unknown): void => {
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      const path = new URL(request.url ?? '/', 'http://fake').pathname;
      if (request.method === 'GET' && path.startsWith('/v3/payments/')) {
        const payment = payments.get(decodeURIComponent(path.slice('/v3/payments/'.length)));
        answer(payment ? 200 : 404, payment ?? { type: 'error', code: 'not_found' });
        return;
      }
      if (request.method !== 'POST' || path !== '/v3/payments') {
        answer(404, { type: 'error', code: 'not_found' });
        return;
      }
      const key = String(request.headers['idempotence-key'] ?? '');
      const known = byKey.get(key);
      if (known !== undefined) {
        answer(200, payments.get(known));
        return;
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        // Not JSON: YooKassa answers such requests with invalid_request.
        answer(400, { type: 'error', code: 'invalid_request' });
        return;
      }
      const id = randomUUID();
      const saved = body['payment_method_id'];
      const payment: Record<string, unknown> = {
        id,
        status: typeof saved === 'string' ? 'succeeded' : 'pending',
        paid: typeof saved === 'string',
        amount: body['amount'],
        description: body['description'],
        metadata: body['metadata'],
        recipient: { account_id: shopId, gateway_id: '100500' },
        payment_method: {
          type: 'bank_card',
          id: typeof saved === 'string' ? saved : randomUUID(),
          saved: typeof saved === 'string',
        },
        created_at: new Date().toISOString(),
        test: false,
        ...(typeof saved === 'string'
          ? {}
          : {
              confirmation: { type: 'redirect', confirmation_url: `https://yoomoney.example/checkout/${id}` },
            }),
      };
      payments.set(id, payment);
      byKey.set(key, id);
      answer(200, payment);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    apiRoot: `http://127.0.0.1:${String(port)}/v3/`,
    shopId,
    succeed(paymentId) {
      const payment = payments.get(paymentId);
      if (!payment) {
        throw new Error(`no payment ${paymentId}`);
      }
      const method = payment['payment_method'] as Record<string, unknown>;
      Object.assign(payment, {
        status: 'succeeded',
        paid: true,
        captured_at: new Date().toISOString(),
        payment_method: { ...method, saved: true, title: 'Bank card *4444' },
      });
      return JSON.stringify({ type: 'notification', event: 'payment.succeeded', object: payment });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
