/**
 * Inline-button payloads. Telegram hands callback data back verbatim, but anyone can send any string
 * (old buttons, forged clients), so it is parsed like any other input and never trusted: the ids it
 * carries are re-checked against the database (a key id must belong to the pressing user).
 * Format: `<action>` or `<action>:<argument>`, at most 64 bytes (Bot API limit).
 */
import {
  asKeyId,
  asPlanId,
  err,
  ok,
  type KeyId,
  type ParseError,
  type PlanId,
  type Result,
} from '../domain/index.ts';

/** A button press, parsed. */
export type CallbackAction =
  | { readonly kind: 'menu' }
  | { readonly kind: 'plans' }
  | { readonly kind: 'trial' }
  | { readonly kind: 'keys' }
  | { readonly kind: 'get-key' }
  | { readonly kind: 'buy'; readonly planId: PlanId }
  | { readonly kind: 'show-key'; readonly keyId: KeyId }
  | { readonly kind: 'replace-key'; readonly keyId: KeyId }
  | { readonly kind: 'revoke-key'; readonly keyId: KeyId }
  | { readonly kind: 'confirm-held'; readonly fingerprintPrefix: string }
  | {
      readonly kind: 'checkout';
      readonly provider: CheckoutProvider;
      readonly planId: PlanId;
      /** Card only: save it for automatic renewals (`pay:ya:<plan id>`). */
      readonly autopay?: boolean;
    }
  | { readonly kind: 'autopay-off' }
  | { readonly kind: 'subscribe'; readonly planId: PlanId }
  | { readonly kind: 'stars-subscription-off' }
  | { readonly kind: 'subscription' }
  | { readonly kind: 'rotate-subscription' }
  | { readonly kind: 'confirm-rotate-subscription' }
  | { readonly kind: 'devices' }
  | { readonly kind: 'remove-device'; readonly deviceId: string };

/** Providers the bot creates payments with (callback data `pay:<code>:<plan id>`). */
export type CheckoutProvider = 'yookassa' | 'cryptobot';

const CHECKOUT_CODES = { yk: 'yookassa', ya: 'yookassa', cp: 'cryptobot' } as const satisfies Record<
  string,
  CheckoutProvider
>;

const SIMPLE = {
  menu: 'menu',
  plans: 'plans',
  trial: 'trial',
  keys: 'keys',
  getkey: 'get-key',
  autopayoff: 'autopay-off',
  starsuboff: 'stars-subscription-off',
  sub: 'subscription',
  subrot: 'rotate-subscription',
  subrotok: 'confirm-rotate-subscription',
  devs: 'devices',
} as const;
const WITH_ID = {
  buy: 'buy',
  ssub: 'subscribe',
  show: 'show-key',
  repl: 'replace-key',
  revoke: 'revoke-key',
} as const;
const ID = /^[1-9]\d{0,18}$/;
/** Our ids are PostgreSQL bigints: a larger number would fail the query, not just find nothing. */
const MAX_ID = 9_223_372_036_854_775_807n;
const FINGERPRINT = /^[A-Za-z0-9_-]{8,48}$/;

/** Parses callback data; the error names what was wrong with it. */
export function parseCallbackData(data: string | undefined): Result<CallbackAction, ParseError> {
  if (data === undefined || data.length === 0 || data.length > 64) {
    return err({ path: 'callback_data', expected: '1 to 64 characters' });
  }
  const colon = data.indexOf(':');
  const head = colon === -1 ? data : data.slice(0, colon);
  const arg = colon === -1 ? undefined : data.slice(colon + 1);
  if (arg === undefined && Object.hasOwn(SIMPLE, head)) {
    return ok({ kind: SIMPLE[head as keyof typeof SIMPLE] });
  }
  if (arg !== undefined && Object.hasOwn(WITH_ID, head)) {
    if (!ID.test(arg) || BigInt(arg) > MAX_ID) {
      return err({ path: 'callback_data.id', expected: 'a positive decimal id up to 2^63-1' });
    }
    const kind = WITH_ID[head as keyof typeof WITH_ID];
    return ok(
      kind === 'buy' || kind === 'subscribe'
        ? { kind, planId: asPlanId(arg) }
        : { kind, keyId: asKeyId(arg) },
    );
  }
  if (head === 'pay' && arg !== undefined) {
    const [code, id, ...rest] = arg.split(':');
    if (code === undefined || !Object.hasOwn(CHECKOUT_CODES, code) || id === undefined || rest.length > 0) {
      return err({ path: 'callback_data', expected: 'pay:<yk|ya|cp>:<plan id>' });
    }
    if (!ID.test(id)) {
      return err({ path: 'callback_data.id', expected: 'a positive decimal id' });
    }
    return ok({
      kind: 'checkout',
      provider: CHECKOUT_CODES[code as keyof typeof CHECKOUT_CODES],
      planId: asPlanId(id),
      ...(code === 'ya' ? { autopay: true } : {}),
    });
  }
  if (head === 'devrm' && arg !== undefined) {
    return ID.test(arg)
      ? ok({ kind: 'remove-device', deviceId: arg })
      : err({ path: 'callback_data.id', expected: 'a positive decimal id' });
  }
  if (head === 'held' && arg !== undefined) {
    return FINGERPRINT.test(arg)
      ? ok({ kind: 'confirm-held', fingerprintPrefix: arg })
      : err({ path: 'callback_data.fingerprint', expected: '8 to 48 URL-safe characters' });
  }
  return err({ path: 'callback_data', expected: 'a known button action' });
}

/** Encodes a button action as callback data (the inverse of parseCallbackData). */
export function encodeCallbackData(action: CallbackAction): string {
  switch (action.kind) {
    case 'menu':
    case 'plans':
    case 'trial':
    case 'keys':
      return action.kind;
    case 'get-key':
      return 'getkey';
    case 'buy':
      return `buy:${action.planId}`;
    case 'show-key':
      return `show:${action.keyId}`;
    case 'replace-key':
      return `repl:${action.keyId}`;
    case 'revoke-key':
      return `revoke:${action.keyId}`;
    case 'confirm-held':
      return `held:${action.fingerprintPrefix}`;
    case 'checkout':
      return `pay:${action.provider === 'cryptobot' ? 'cp' : action.autopay === true ? 'ya' : 'yk'}:${action.planId}`;
    case 'autopay-off':
      return 'autopayoff';
    case 'subscribe':
      return `ssub:${action.planId}`;
    case 'stars-subscription-off':
      return 'starsuboff';
    case 'subscription':
      return 'sub';
    case 'rotate-subscription':
      return 'subrot';
    case 'confirm-rotate-subscription':
      return 'subrotok';
    case 'devices':
      return 'devs';
    case 'remove-device':
      return `devrm:${action.deviceId}`;
  }
}
