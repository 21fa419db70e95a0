/**
 * YooKassa (API v3) HTTP notifications (reference/payments.md §2.2-2.3).
 *
 * YooKassa signs nothing, so trust comes from two checks, both always on (the route exists only
 * when the shop id and secret key are set):
 * 1. the caller's address must be in the allowlist (the published ranges by default), and
 * 2. the object is fetched again from the API (`GET payments/{id}` or `GET refunds/{id}`, Basic
 *    auth with the shop's credentials) and only the FETCHED object is acted on, never the
 *    notification body. A fetched payment must belong to our shop (`recipient.account_id` equals
 *    the shop id) and must not be a test payment (`test: true`) unless test payments are allowed.
 *
 * Events: `payment.succeeded` grants; `payment.canceled` and `payment.waiting_for_capture` write
 * nothing (we create payments with `capture: true`); `refund.succeeded` cancels the period of the
 * payment named by `payment_id`. Any succeeded refund, full or partial, cancels the whole period.
 * The order reference is `metadata.kw_ref`: `o:<order id>` for payments the bot created, or a legacy
 * `kw:<user>:<plan>` (src/domain/order-reference.ts).
 */
import {
  ok,
  parsePaymentReference,
  YOOKASSA_REFERENCE_KEY,
  type ParseError,
  type Result,
} from '../../domain/index.ts';
import { toError } from '../../shared/index.ts';
import type { IpAllowlist } from '../../net/index.ts';
import type {
  Confirmation,
  ConfirmContext,
  PaymentEvent,
  Verification,
  VerifyInput,
  WebhookProvider,
} from '../provider.ts';
import { readAmount, readCurrency, readLiteral, readObject, readString, type JsonObject } from '../wire.ts';

/** Shop credentials for the re-fetch. */
export interface YooKassaCredentials {
  readonly shopId: string;
  readonly secretKey: string;
  /** API root ending in `/`, e.g. `https://api.yookassa.ru/v3/`. */
  readonly apiRoot: string;
}

/** Options of the YooKassa provider. */
export interface YooKassaOptions {
  readonly allowlist: IpAllowlist;
  /** The shop whose payments are accepted; also the API credentials of the re-fetch. */
  readonly credentials: YooKassaCredentials;
  /** Accept payments marked `test: true` (a test shop); false in production. */
  readonly allowTest: boolean;
  /** Timeout of one API call, ms. */
  readonly timeoutMs: number;
  /** The fetch to call the API with (global fetch by default, so tests can intercept it). */
  readonly fetch?: typeof fetch;
}

const PAYMENT_STATUSES = ['pending', 'waiting_for_capture', 'succeeded', 'canceled'] as const;
const REFUND_STATUSES = ['pending', 'succeeded', 'canceled'] as const;

/** Maps a payment object (from a notification or the API) to what it means for us. */
function paymentEvent(object: JsonObject, path: string): Result<PaymentEvent, ParseError> {
  const id = readString(object['id'], `${path}.id`);
  if (!id.ok) {
    return id;
  }
  const status = readLiteral(object['status'], `${path}.status`, PAYMENT_STATUSES);
  if (!status.ok) {
    return status;
  }
  if (status.value === 'canceled') {
    const details = readObject(object['cancellation_details'], `${path}.cancellation_details`);
    const why = details.ok ? details.value['reason'] : undefined;
    return ok({
      kind: 'ignored',
      externalId: id.value,
      reason: 'payment canceled',
      cancellation: { reason: typeof why === 'string' ? why.slice(0, 100) : 'canceled' },
    });
  }
  if (status.value !== 'succeeded') {
    return ok({ kind: 'ignored', externalId: id.value, reason: `payment ${status.value}` });
  }
  const amount = readObject(object['amount'], `${path}.amount`);
  if (!amount.ok) {
    return amount;
  }
  const value = readAmount(amount.value['value'], `${path}.amount.value`);
  if (!value.ok) {
    return value;
  }
  const currency = readCurrency(amount.value['currency'], `${path}.amount.currency`);
  if (!currency.ok) {
    return currency;
  }
  const metadata = readObject(object['metadata'], `${path}.metadata`);
  if (!metadata.ok) {
    return metadata;
  }
  const reference = parsePaymentReference(
    metadata.value[YOOKASSA_REFERENCE_KEY],
    `${path}.metadata.${YOOKASSA_REFERENCE_KEY}`,
  );
  if (!reference.ok) {
    return reference;
  }
  const method = readObject(object['payment_method'], `${path}.payment_method`);
  const savedMethodId =
    method.ok && method.value['saved'] === true && typeof method.value['id'] === 'string'
      ? method.value['id']
      : undefined;
  return ok({
    kind: 'paid',
    ...(savedMethodId === undefined ? {} : { savedMethodId }),
    externalId: id.value,
    reference: reference.value,
    amount: value.value,
    currency: currency.value,
    payload: {
      metadata: metadata.value,
      ...(method.ok
        ? {
            payment_method: {
              id: method.value['id'] ?? null,
              type: method.value['type'] ?? null,
              saved: method.value['saved'] === true,
            },
          }
        : {}),
      test: object['test'] === true,
      captured_at: typeof object['captured_at'] === 'string' ? object['captured_at'] : null,
    },
  });
}

/** Maps a refund object; `succeeded` refunds only (others are reported as the status they have). */
function refundEvent(
  object: JsonObject,
  path: string,
): Result<{ readonly status: (typeof REFUND_STATUSES)[number]; readonly event: PaymentEvent }, ParseError> {
  const id = readString(object['id'], `${path}.id`);
  if (!id.ok) {
    return id;
  }
  const paymentId = readString(object['payment_id'], `${path}.payment_id`);
  if (!paymentId.ok) {
    return paymentId;
  }
  const status = readLiteral(object['status'], `${path}.status`, REFUND_STATUSES);
  if (!status.ok) {
    return status;
  }
  const amount = readObject(object['amount'], `${path}.amount`);
  return ok({
    status: status.value,
    event: {
      kind: 'refunded',
      externalId: paymentId.value,
      refundId: id.value,
      refund: {
        id: id.value,
        amount: amount.ok ? (amount.value['value'] ?? null) : null,
        currency: amount.ok ? (amount.value['currency'] ?? null) : null,
        created_at: typeof object['created_at'] === 'string' ? object['created_at'] : null,
      },
    },
  });
}

/**
 * Why a fetched payment is not one we may act on, or null when it is: it must be paid to our shop
 * (`recipient.account_id`, which YooKassa sets on every payment) and, unless test payments are
 * allowed, not be a test-shop payment (`test: true`).
 */
function refusePayment(object: JsonObject, shopId: string, allowTest: boolean): string | null {
  const recipient = readObject(object['recipient'], 'payment.recipient');
  const accountId = recipient.ok ? recipient.value['account_id'] : undefined;
  if (typeof accountId !== 'string' && typeof accountId !== 'number') {
    return 'the API answered a payment without recipient.account_id';
  }
  if (String(accountId) !== shopId) {
    return 'the payment was made to another shop (recipient.account_id is not our shop id)';
  }
  if (object['test'] !== false && !allowTest) {
    return object['test'] === true
      ? 'a test payment (test: true) is refused; set KEYWARDEN_YOOKASSA_ALLOW_TEST to accept it'
      : 'the API answered a payment without a boolean test flag';
  }
  return null;
}

/** Parses a YooKassa notification body `{type: "notification", event, object}`. */
export function parseYooKassaNotification(json: unknown): Result<PaymentEvent, ParseError> {
  const body = readObject(json, '$');
  if (!body.ok) {
    return body;
  }
  const type = readLiteral(body.value['type'], 'type', ['notification']);
  if (!type.ok) {
    return type;
  }
  const event = readLiteral(body.value['event'], 'event', [
    'payment.succeeded',
    'payment.canceled',
    'payment.waiting_for_capture',
    'refund.succeeded',
  ]);
  if (!event.ok) {
    return event;
  }
  const object = readObject(body.value['object'], 'object');
  if (!object.ok) {
    return object;
  }
  if (event.value === 'refund.succeeded') {
    const refund = refundEvent(object.value, 'object');
    if (!refund.ok) {
      return refund;
    }
    return refund.value.status === 'succeeded'
      ? ok(refund.value.event)
      : { ok: false, error: { path: 'object.status', expected: '"succeeded"' } };
  }
  const expected = event.value.slice('payment.'.length);
  const status = readLiteral(object.value['status'], 'object.status', [expected]);
  if (!status.ok) {
    return status;
  }
  return paymentEvent(object.value, 'object');
}

/** Creates the YooKassa provider. */
export function createYooKassaProvider(options: YooKassaOptions): WebhookProvider {
  const { credentials } = options;
  const base: WebhookProvider = {
    name: 'yookassa',
    description: `source address allowlist (${options.allowlist.entries.length} entries), re-fetch from the API, shop ${
      credentials.shopId
    } only${options.allowTest ? ', TEST payments accepted' : ''}`,
    verify(request: VerifyInput): Verification {
      if (request.clientAddress !== null && options.allowlist.allows(request.clientAddress)) {
        return { kind: 'accepted' };
      }
      return {
        kind: 'rejected',
        status: 403,
        code: 'forbidden-source',
        reason:
          request.clientAddress === null
            ? 'the caller address is unknown (trusted proxy header missing)'
            : 'the caller address is not in the YooKassa allowlist',
      };
    },
    parse: parseYooKassaNotification,
  };
  const apiRoot = credentials.apiRoot.endsWith('/') ? credentials.apiRoot : `${credentials.apiRoot}/`;
  const authorization = `Basic ${Buffer.from(`${credentials.shopId}:${credentials.secretKey}`).toString('base64')}`;
  const fetchImpl = options.fetch ?? globalThis.fetch;

  /** GETs one object; resolves to its JSON, or to a Confirmation that ends the handling. */
  async function getObject(
    kind: 'payments' | 'refunds',
    id: string,
    context: ConfirmContext,
  ): Promise<{ readonly kind: 'found'; readonly object: JsonObject } | Confirmation> {
    const url = new URL(`${kind}/${encodeURIComponent(id)}`, apiRoot);
    const started = Date.now();
    let response: Response;
    try {
      response = await fetchImpl(url, {
        headers: { authorization, accept: 'application/json' },
        signal: AbortSignal.any([context.signal, AbortSignal.timeout(options.timeoutMs)]),
      });
    } catch (thrown) {
      return { kind: 'unavailable', reason: `GET ${kind}/{id} failed`, cause: toError(thrown) };
    }
    context.logger.debug(
      { op: `get ${kind}`, objectId: id, status: response.status, ms: Date.now() - started },
      'yookassa api call',
    );
    if (response.status === 404) {
      await response.body?.cancel();
      return { kind: 'disagrees', reason: `YooKassa does not know ${kind} ${id}` };
    }
    if (!response.ok) {
      await response.body?.cancel();
      // 401/403 are our credentials (an operator must fix them); 429/5xx are theirs. Either way the
      // event is real as far as we know, so YooKassa should deliver it again later.
      return { kind: 'unavailable', reason: `GET ${kind}/{id} answered HTTP ${response.status}` };
    }
    let json: unknown;
    try {
      json = await response.json();
    } catch (thrown) {
      return {
        kind: 'unavailable',
        reason: `GET ${kind}/{id} answered a body that is not JSON`,
        cause: toError(thrown),
      };
    }
    const object = readObject(json, 'response');
    return object.ok
      ? { kind: 'found', object: object.value }
      : { kind: 'unavailable', reason: `GET ${kind}/{id} answered JSON that is not an object` };
  }

  return {
    ...base,
    async confirm(event: PaymentEvent, context: ConfirmContext): Promise<Confirmation> {
      if (event.kind === 'refunded') {
        if (event.refundId === null) {
          return { kind: 'disagrees', reason: 'a YooKassa refund without an id' };
        }
        const found = await getObject('refunds', event.refundId, context);
        if (found.kind !== 'found') {
          return found;
        }
        const fetched = refundEvent(found.object, 'refund');
        if (!fetched.ok) {
          return { kind: 'invalid', error: fetched.error };
        }
        if (fetched.value.status !== 'succeeded') {
          return {
            kind: 'disagrees',
            reason: `the API says refund ${event.refundId} is ${fetched.value.status}`,
          };
        }
        if (fetched.value.event.externalId !== event.externalId) {
          return {
            kind: 'disagrees',
            reason: `the API says refund ${event.refundId} is for another payment`,
          };
        }
        return { kind: 'confirmed', event: fetched.value.event };
      }
      if (event.externalId === null) {
        // An ignored event without an object id: nothing to fetch, and nothing is written.
        return { kind: 'confirmed', event };
      }
      const found = await getObject('payments', event.externalId, context);
      if (found.kind !== 'found') {
        return found;
      }
      if (found.object['id'] !== event.externalId) {
        return { kind: 'disagrees', reason: `the API answered another payment for ${event.externalId}` };
      }
      const foreign = refusePayment(found.object, credentials.shopId, options.allowTest);
      if (foreign !== null) {
        context.logger.warn({ objectId: event.externalId, reason: foreign }, 'yookassa payment refused');
        return { kind: 'disagrees', reason: foreign };
      }
      const fetched = paymentEvent(found.object, 'payment');
      if (!fetched.ok) {
        return { kind: 'invalid', error: fetched.error };
      }
      if (event.kind === 'paid' && fetched.value.kind !== 'paid') {
        // The notification says succeeded, the API not (yet): write nothing and let YooKassa retry.
        return { kind: 'disagrees', reason: `the API says payment ${event.externalId} is not succeeded` };
      }
      return { kind: 'confirmed', event: fetched.value };
    },
  };
}
