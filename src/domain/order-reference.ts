/**
 * The order reference: the one string every payment we create carries back to us.
 *
 * Since issue 16 keywarden creates an order first and sends the opaque `o:<order id>` (a UUID): the
 * order fixes user, plan, price and currency, so the reference says nothing a payer could change.
 * The older form below, naming user and plan, is still accepted for payments already in flight and
 * for operators' own checkouts (the generic webhook); `parsePaymentReference` reads both.
 *
 * The legacy form (issue 5) names the user and the plan a payment is for. The same format is used by
 * every provider:
 *
 * | provider        | where the reference goes                                   |
 * |-----------------|------------------------------------------------------------|
 * | Telegram Stars  | `sendInvoice` / `createInvoiceLink` `payload`              |
 * | YooKassa        | `metadata.kw_ref` of `POST /payments`                      |
 * | Crypto Pay      | `payload` of `createInvoice`                               |
 * | generic webhook | the `reference` field of the signed body (docs/webhooks.md)|
 *
 * Format: `kw:<userId>:<planCode>` or `kw:<userId>:<planCode>:<tag>`, where
 * - `userId` is keywarden's `users.id` (decimal, no leading zeros; not the Telegram id),
 * - `planCode` is `plans.code` (`[a-z0-9][a-z0-9_-]{0,63}`),
 * - `tag` is optional, `[A-Za-z0-9_-]{1,32}`: anything the creator wants to tell invoices apart by
 *   (an order number, a nonce). It is kept with the payment and never trusted for anything.
 *
 * At most 3 + 19 + 1 + 64 + 1 + 32 = 120 bytes of ASCII, inside the 128-byte limit of a Telegram
 * invoice payload (reference/payments.md §1.1).
 *
 * The reference is trusted only to say *which* user and plan: the amount is always checked against
 * the plan's prices when the payment is recorded, so a reference pointing at a dearer plan than the
 * one paid for is recorded as a mismatch and grants nothing.
 */
import { asOrderId, asUserId, type OrderId, type UserId } from './ids.ts';
import { err, ok, type ParseError, type Result } from './result.ts';

/** The user and plan a payment is for, as decoded from an order reference. */
export interface OrderReference {
  readonly userId: UserId;
  readonly planCode: string;
  /** The creator's free-form tag, or null. */
  readonly tag: string | null;
}

/** The YooKassa `metadata` key that holds the order reference. */
export const YOOKASSA_REFERENCE_KEY = 'kw_ref';

/** Longest reference `encodeOrderReference` can produce, in bytes (all ASCII). */
export const ORDER_REFERENCE_MAX_LENGTH = 120;

const USER_ID = /^[1-9][0-9]{0,18}$/;
const PLAN_CODE = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const TAG = /^[A-Za-z0-9_-]{1,32}$/;
// bigint ids are signed 64-bit in PostgreSQL; a larger number would fail in SQL rather than here.
const MAX_BIGINT = 9_223_372_036_854_775_807n;

/**
 * Encodes a reference. Throws a RangeError on a value that the format cannot carry (a programmer
 * error: user ids come from the database, plan codes from a checked column).
 */
export function encodeOrderReference(reference: {
  readonly userId: UserId | string;
  readonly planCode: string;
  readonly tag?: string | null;
}): string {
  const userId = String(reference.userId);
  if (!USER_ID.test(userId) || BigInt(userId) > MAX_BIGINT) {
    throw new RangeError(`user id must be a positive bigint, got ${JSON.stringify(userId)}`);
  }
  if (!PLAN_CODE.test(reference.planCode)) {
    throw new RangeError(
      `plan code must match ${PLAN_CODE.source}, got ${JSON.stringify(reference.planCode)}`,
    );
  }
  const tag = reference.tag ?? null;
  if (tag !== null && !TAG.test(tag)) {
    throw new RangeError(`tag must match ${TAG.source}, got ${JSON.stringify(tag)}`);
  }
  return tag === null ? `kw:${userId}:${reference.planCode}` : `kw:${userId}:${reference.planCode}:${tag}`;
}

/**
 * Decodes a reference. Takes `unknown` because it reads provider bodies; anything that is not a
 * well-formed reference is an error naming `path` (default `reference`) and the expected form.
 */
export function parseOrderReference(value: unknown, path = 'reference'): Result<OrderReference, ParseError> {
  const expected = 'an order reference kw:<userId>:<planCode>[:<tag>]';
  if (typeof value !== 'string' || value.length > ORDER_REFERENCE_MAX_LENGTH) {
    return err({ path, expected });
  }
  const parts = value.split(':');
  const [prefix, userId, planCode, tag, ...rest] = parts;
  if (
    prefix !== 'kw' ||
    userId === undefined ||
    !USER_ID.test(userId) ||
    BigInt(userId) > MAX_BIGINT ||
    planCode === undefined ||
    !PLAN_CODE.test(planCode) ||
    (tag !== undefined && !TAG.test(tag)) ||
    rest.length > 0
  ) {
    return err({ path, expected });
  }
  return ok({ userId: asUserId(userId), planCode, tag: tag ?? null });
}

/** What a provider's reference points at: one of our orders, or (legacy) a user and a plan. */
export type PaymentReference =
  | { readonly kind: 'order'; readonly orderId: OrderId }
  | { readonly kind: 'legacy'; readonly reference: OrderReference };

const ORDER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Encodes the opaque reference of an order: `o:<order id>` (38 bytes). */
export function encodeOrderId(orderId: OrderId): string {
  if (!ORDER_ID.test(orderId)) {
    throw new RangeError(`order id must be a UUID, got ${JSON.stringify(orderId)}`);
  }
  return `o:${orderId}`;
}

/**
 * Decodes a reference in either form: `o:<order id>` or `kw:<userId>:<planCode>[:<tag>]`. The error
 * names `path` and both expected forms.
 */
export function parsePaymentReference(
  value: unknown,
  path = 'reference',
): Result<PaymentReference, ParseError> {
  if (typeof value === 'string' && value.startsWith('o:')) {
    const id = value.slice(2);
    return ORDER_ID.test(id)
      ? ok({ kind: 'order', orderId: asOrderId(id) })
      : err({ path, expected: 'an order reference o:<order id> (a UUID)' });
  }
  const legacy = parseOrderReference(value, path);
  return legacy.ok
    ? ok({ kind: 'legacy', reference: legacy.value })
    : err({ path, expected: 'an order reference o:<order id> or kw:<userId>:<planCode>[:<tag>]' });
}
