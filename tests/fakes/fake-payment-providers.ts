/**
 * Fake YooKassa and Crypto Pay APIs at the HTTP level (msw handlers for global fetch), behaving like the
 * real ones in what keywarden relies on (reference/payments.md): YooKassa keeps one payment per
 * `Idempotence-Key` (a repeat returns the original), answers `GET payments/{id}` and `refunds/{id}`
 * with the current object, and creates refunds; Crypto Pay creates invoices. Tests flip a payment to
 * succeeded or canceled, and script failures.
 */
import { randomUUID } from 'node:crypto';
import { http, HttpResponse } from 'msw';
import type { SetupServer } from 'msw/node';

/** A request the fake received. */
export interface FakeRequest {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Record<string, unknown>;
}

/** The fake YooKassa. */
export interface FakeYooKassa {
  readonly apiRoot: string;
  readonly requests: FakeRequest[];
  /** Payments by id, as the API would show them. */
  readonly payments: Map<string, Record<string, unknown>>;
  /** Marks a payment succeeded (optionally with its method saved) and returns its notification body. */
  succeed(id: string, options?: { readonly savedMethodId?: string }): string;
  /** Marks a payment canceled and returns its notification body. */
  cancel(id: string, reason?: string): string;
  /** The next `count` POSTs answer `status` (500: unknown outcome; 400: refused). */
  failNext(count: number, status: number): void;
  /** POSTs to payments that really created a payment (not idempotent repeats). */
  created(): number;
  /** The next charge of a saved method is canceled with `reason` (declined, permission_revoked). */
  declineNext(reason: string): void;
  /** The next POST creates its payment but the answer is lost (HTTP 500): a crash or a timeout. */
  loseNextResponse(): void;
}

/** The fake Crypto Pay. */
export interface FakeCryptoPay {
  readonly apiRoot: string;
  readonly requests: FakeRequest[];
  /** The paid update for an invoice (amount and currency as created unless overridden). */
  paidUpdate(invoiceId: string, overrides?: Record<string, unknown>): Record<string, unknown>;
}

// Invoice ids count up across installs, as Crypto Pay's do across invoices.
let nextInvoice = 880_000;

/** Installs both fakes on `api` (an msw server); returns their handles. `shopId` is the YooKassa shop. */
export function installFakePaymentProviders(
  api: SetupServer,
  shopId = '506751',
): {
  readonly yookassa: FakeYooKassa;
  readonly cryptoPay: FakeCryptoPay;
} {
  const ykRoot = 'https://api.yookassa.test/v3/';
  const cpRoot = 'https://pay.crypt.test/api/';
  const ykRequests: FakeRequest[] = [];
  const payments = new Map<string, Record<string, unknown>>();
  const refunds = new Map<string, Record<string, unknown>>();
  const byKey = new Map<string, string>();
  let failures: { count: number; status: number } = { count: 0, status: 500 };
  let createdCount = 0;
  let decline: string | null = null;
  let loseResponse = false;
  const cpRequests: FakeRequest[] = [];
  const invoices = new Map<string, Record<string, unknown>>();

  const record = async (
    list: FakeRequest[],
    request: Request,
    path: string,
  ): Promise<Record<string, unknown>> => {
    const text = await request.text();
    const body = text.length > 0 ? (JSON.parse(text) as Record<string, unknown>) : {};
    list.push({ path, headers: Object.fromEntries(request.headers.entries()), body });
    return body;
  };
  const notification = (event: string, object: Record<string, unknown>): string =>
    JSON.stringify({ type: 'notification', event, object });

  const handlers = [
    http.post(`${ykRoot}payments`, async ({ request }) => {
      const body = await record(ykRequests, request, 'payments');
      if (failures.count > 0) {
        failures = { ...failures, count: failures.count - 1 };
        return HttpResponse.json(
          { type: 'error', code: 'test', description: 'scripted failure' },
          { status: failures.status },
        );
      }
      const key = request.headers.get('idempotence-key') ?? '';
      const known = byKey.get(key);
      if (known !== undefined) {
        return HttpResponse.json(payments.get(known));
      }
      createdCount += 1;
      const id = randomUUID();
      const charged = body['payment_method_id'] !== undefined;
      const declined = charged ? decline : null;
      decline = null;
      const payment: Record<string, unknown> = {
        id,
        status: !charged ? 'pending' : declined === null ? 'succeeded' : 'canceled',
        paid: charged && declined === null,
        ...(declined === null
          ? {}
          : { cancellation_details: { party: 'payment_network', reason: declined } }),
        amount: body['amount'],
        recipient: { account_id: shopId, gateway_id: '100500' },
        created_at: new Date().toISOString(),
        description: body['description'],
        metadata: body['metadata'],
        payment_method:
          body['payment_method_id'] === undefined
            ? { type: 'bank_card', id: randomUUID(), saved: false }
            : { type: 'bank_card', id: body['payment_method_id'], saved: true },
        ...(body['confirmation'] === undefined
          ? {}
          : { confirmation: { type: 'redirect', confirmation_url: `https://yoomoney.test/checkout/${id}` } }),
        refundable: false,
        test: false,
      };
      payments.set(id, payment);
      byKey.set(key, id);
      if (loseResponse) {
        loseResponse = false;
        return HttpResponse.json({ type: 'error', code: 'internal_server_error' }, { status: 500 });
      }
      return HttpResponse.json(payment);
    }),
    http.get(`${ykRoot}payments/:id`, ({ params }) => {
      const payment = payments.get(String(params['id']));
      return payment
        ? HttpResponse.json(payment)
        : HttpResponse.json({ type: 'error', code: 'not_found' }, { status: 404 });
    }),
    http.post(`${ykRoot}refunds`, async ({ request }) => {
      const body = await record(ykRequests, request, 'refunds');
      const key = request.headers.get('idempotence-key') ?? '';
      const known = byKey.get(key);
      if (known !== undefined) {
        return HttpResponse.json(refunds.get(known));
      }
      const id = randomUUID();
      const refund = {
        id,
        payment_id: body['payment_id'],
        status: 'succeeded',
        amount: body['amount'],
        created_at: new Date().toISOString(),
      };
      refunds.set(id, refund);
      byKey.set(key, id);
      return HttpResponse.json(refund);
    }),
    http.get(`${ykRoot}refunds/:id`, ({ params }) => {
      const refund = refunds.get(String(params['id']));
      return refund
        ? HttpResponse.json(refund)
        : HttpResponse.json({ type: 'error', code: 'not_found' }, { status: 404 });
    }),
    http.post(`${cpRoot}createInvoice`, async ({ request }) => {
      const body = await record(cpRequests, request, 'createInvoice');
      nextInvoice += 1;
      const invoice = {
        invoice_id: nextInvoice,
        hash: `IV${nextInvoice}`,
        status: 'active',
        ...body,
        accepted_assets:
          typeof body['accepted_assets'] === 'string' ? body['accepted_assets'].split(',') : undefined,
        bot_invoice_url: `https://t.me/CryptoTestBot?start=IV${nextInvoice}`,
        created_at: new Date().toISOString(),
      };
      invoices.set(String(nextInvoice), invoice);
      return HttpResponse.json({ ok: true, result: invoice });
    }),
  ];
  api.use(...handlers);

  return {
    yookassa: {
      apiRoot: ykRoot,
      requests: ykRequests,
      payments,
      succeed(id, options = {}) {
        const payment = payments.get(id);
        if (!payment) {
          throw new Error(`no fake payment ${id}`);
        }
        payment['status'] = 'succeeded';
        payment['paid'] = true;
        payment['captured_at'] = new Date().toISOString();
        if (options.savedMethodId !== undefined) {
          payment['payment_method'] = {
            type: 'bank_card',
            id: options.savedMethodId,
            saved: true,
            title: 'Bank card *4444',
          };
        }
        return notification('payment.succeeded', payment);
      },
      cancel(id, reason = 'expired_on_confirmation') {
        const payment = payments.get(id);
        if (!payment) {
          throw new Error(`no fake payment ${id}`);
        }
        payment['status'] = 'canceled';
        payment['cancellation_details'] = { party: 'yoo_money', reason };
        return notification('payment.canceled', payment);
      },
      failNext(count, status) {
        failures = { count, status };
      },
      created: () => createdCount,
      declineNext(reason) {
        decline = reason;
      },
      loseNextResponse() {
        loseResponse = true;
      },
    },
    cryptoPay: {
      apiRoot: cpRoot,
      requests: cpRequests,
      paidUpdate(invoiceId, overrides = {}) {
        const invoice = invoices.get(invoiceId);
        if (!invoice) {
          throw new Error(`no fake invoice ${invoiceId}`);
        }
        return {
          update_id: Number(invoiceId) + 1,
          update_type: 'invoice_paid',
          request_date: new Date().toISOString(),
          payload: {
            ...invoice,
            status: 'paid',
            paid_asset: 'USDT',
            paid_amount: invoice['amount'],
            paid_at: new Date().toISOString(),
            ...overrides,
          },
        };
      },
    },
  };
}
