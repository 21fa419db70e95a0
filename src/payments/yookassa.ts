/**
 * The YooKassa API calls keywarden makes itself (reference/payments.md §2.1): create a payment (with a
 * redirect confirmation for a customer, or a saved payment method for a renewal) and create a refund.
 * Every POST carries an `Idempotence-Key` that the caller stored before calling (the order's key), so a
 * retry after a timeout or a crash returns the original payment instead of creating a second one.
 * Money values are strings with two decimals.
 */
import { callJsonApi, fixedDecimals, isJsonObject, type ApiResult, type JsonObject } from './http.ts';

/** Shop credentials and where the API is. */
export interface YooKassaApiOptions {
  readonly shopId: string;
  readonly secretKey: string;
  /** API root ending in `/`, e.g. `https://api.yookassa.ru/v3/`. */
  readonly apiRoot: string;
  readonly timeoutMs: number;
  readonly fetch?: typeof fetch;
}

/** A 54-FZ receipt for one item: the customer's e-mail or phone, and the VAT code of the shop. */
export interface YooKassaReceipt {
  readonly customer: { readonly email: string } | { readonly phone: string };
  /** 1 (no VAT) to 12 (YooKassa's vat_code table). */
  readonly vatCode: number;
}

/** A payment to create. */
export interface CreateYooKassaPayment {
  readonly idempotenceKey: string;
  /** Decimal string; sent with two decimals. */
  readonly amount: string;
  readonly currency: string;
  readonly description: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** A customer payment: where YooKassa sends the customer back after paying. */
  readonly returnUrl?: string;
  /** Ask YooKassa to save the card for automatic renewals. */
  readonly savePaymentMethod?: boolean;
  /** A renewal: charge this saved method, no customer action. */
  readonly paymentMethodId?: string;
  readonly receipt?: YooKassaReceipt | null;
}

/** The fields of a YooKassa payment we use. */
export interface YooKassaPayment {
  readonly id: string;
  readonly status: 'pending' | 'waiting_for_capture' | 'succeeded' | 'canceled';
  readonly confirmationUrl: string | null;
  /** The saved method's id when `payment_method.saved` is true. */
  readonly savedMethodId: string | null;
  readonly cancellationReason: string | null;
  /** The amount as YooKassa holds it (decimal string and currency), or null when absent. */
  readonly amount: { readonly value: string; readonly currency: string } | null;
}

/** What a create call came to. */
export type YooKassaCreateResult =
  | { readonly kind: 'created'; readonly payment: YooKassaPayment }
  | { readonly kind: 'refused'; readonly reason: string }
  | { readonly kind: 'unavailable'; readonly reason: string; readonly cause?: Error };

/** A refund as created. */
export type YooKassaRefundResult =
  | {
      readonly kind: 'refunded';
      readonly refundId: string;
      readonly status: 'pending' | 'succeeded' | 'canceled';
    }
  | { readonly kind: 'refused'; readonly reason: string }
  | { readonly kind: 'unavailable'; readonly reason: string; readonly cause?: Error };

/** The YooKassa calls. */
export interface YooKassaApi {
  createPayment(payment: CreateYooKassaPayment, signal?: AbortSignal): Promise<YooKassaCreateResult>;
  createRefund(
    refund: {
      readonly idempotenceKey: string;
      readonly paymentId: string;
      readonly amount: string;
      readonly currency: string;
    },
    signal?: AbortSignal,
  ): Promise<YooKassaRefundResult>;
}

const STATUSES = ['pending', 'waiting_for_capture', 'succeeded', 'canceled'] as const;

/** Reads the payment fields we use; null when the object is not a payment. */
export function readYooKassaPayment(body: JsonObject): YooKassaPayment | null {
  const id = body['id'];
  const status = body['status'];
  if (typeof id !== 'string' || id.length === 0 || !(STATUSES as readonly unknown[]).includes(status)) {
    return null;
  }
  const confirmation = isJsonObject(body['confirmation']) ? body['confirmation'] : null;
  const method = isJsonObject(body['payment_method']) ? body['payment_method'] : null;
  const cancellation = isJsonObject(body['cancellation_details']) ? body['cancellation_details'] : null;
  const amount = isJsonObject(body['amount']) ? body['amount'] : null;
  return {
    amount:
      amount !== null && typeof amount['value'] === 'string' && typeof amount['currency'] === 'string'
        ? { value: amount['value'], currency: amount['currency'] }
        : null,
    id,
    status: status as YooKassaPayment['status'],
    confirmationUrl:
      confirmation !== null && typeof confirmation['confirmation_url'] === 'string'
        ? confirmation['confirmation_url']
        : null,
    savedMethodId:
      method !== null && method['saved'] === true && typeof method['id'] === 'string' ? method['id'] : null,
    cancellationReason:
      cancellation !== null && typeof cancellation['reason'] === 'string' ? cancellation['reason'] : null,
  };
}

function failed(result: Exclude<ApiResult, { kind: 'ok' }>): YooKassaCreateResult & YooKassaRefundResult {
  return result.kind === 'refused'
    ? { kind: 'refused', reason: result.reason }
    : { kind: 'unavailable', reason: result.reason, ...(result.cause ? { cause: result.cause } : {}) };
}

/** Creates the client. */
export function createYooKassaApi(options: YooKassaApiOptions): YooKassaApi {
  const apiRoot = options.apiRoot.endsWith('/') ? options.apiRoot : `${options.apiRoot}/`;
  const authorization = `Basic ${Buffer.from(`${options.shopId}:${options.secretKey}`).toString('base64')}`;
  const post = (path: string, key: string, body: unknown, signal?: AbortSignal): Promise<ApiResult> =>
    callJsonApi({
      url: new URL(path, apiRoot),
      method: 'POST',
      headers: { authorization, 'idempotence-key': key },
      body,
      timeoutMs: options.timeoutMs,
      signal,
      fetch: options.fetch,
      op: `POST ${path}`,
    });

  return {
    async createPayment(payment, signal) {
      const amount = { value: fixedDecimals(payment.amount, 2), currency: payment.currency };
      const body: Record<string, unknown> = {
        amount,
        capture: true,
        description: payment.description.slice(0, 128),
        metadata: payment.metadata,
      };
      if (payment.paymentMethodId !== undefined) {
        body['payment_method_id'] = payment.paymentMethodId;
      } else {
        body['confirmation'] = { type: 'redirect', return_url: payment.returnUrl };
        if (payment.savePaymentMethod === true) {
          body['save_payment_method'] = true;
        }
      }
      if (payment.receipt) {
        body['receipt'] = {
          customer: payment.receipt.customer,
          items: [
            {
              description: payment.description.slice(0, 128),
              quantity: '1.00',
              amount,
              vat_code: payment.receipt.vatCode,
              payment_mode: 'full_payment',
              payment_subject: 'service',
            },
          ],
        };
      }
      const result = await post('payments', payment.idempotenceKey, body, signal);
      if (result.kind !== 'ok') {
        return failed(result);
      }
      const created = readYooKassaPayment(result.body);
      return created === null
        ? { kind: 'unavailable', reason: 'POST payments answered an object that is not a payment' }
        : { kind: 'created', payment: created };
    },

    async createRefund(refund, signal) {
      const result = await post(
        'refunds',
        refund.idempotenceKey,
        {
          payment_id: refund.paymentId,
          amount: { value: fixedDecimals(refund.amount, 2), currency: refund.currency },
        },
        signal,
      );
      if (result.kind !== 'ok') {
        return failed(result);
      }
      const id = result.body['id'];
      const status = result.body['status'];
      if (
        typeof id !== 'string' ||
        (status !== 'pending' && status !== 'succeeded' && status !== 'canceled')
      ) {
        return { kind: 'unavailable', reason: 'POST refunds answered an object that is not a refund' };
      }
      return { kind: 'refunded', refundId: id, status };
    },
  };
}
