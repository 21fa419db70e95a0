/** Texts made from data: key statuses and outbox notices, in the user's language. */
import type { Messages } from './i18n/index.ts';
import { formatInstant } from './i18n/index.ts';
import { trimDecimals } from '../payments/index.ts';

/** A price as shown: `299 RUB`, `3.5 USD`. */
export function formatPrice(amount: string, currency: string): string {
  return `${trimDecimals(amount)} ${currency}`;
}
import type { KeyStatus, SuspendReason } from './key-status.ts';

/** Why a key is suspended, in words. */
export function reasonText(messages: Messages, reason: SuspendReason): string {
  switch (reason) {
    case 'expired':
      return messages.reasonExpired;
    case 'no-subscription':
      return messages.reasonNoSubscription;
    case 'banned':
      return messages.reasonBanned;
    case 'quota-exhausted':
      return messages.reasonQuotaExhausted;
    case 'revoked':
      return messages.reasonRevoked;
    case 'other':
      return messages.reasonOther;
  }
}

/** A key's status, in words. Panel error texts are not shown to users (they name servers). */
export function statusText(messages: Messages, status: KeyStatus): string {
  switch (status.kind) {
    case 'active':
      return messages.statusActive;
    case 'suspended':
      return messages.statusSuspended(reasonText(messages, status.reason));
    case 'setting-up':
      return messages.statusSettingUp;
    case 'problem':
      return messages.statusProblem(messages.problemUnknown);
  }
}

const SUSPEND_REASONS: ReadonlySet<string> = new Set([
  'expired',
  'no-subscription',
  'banned',
  'quota-exhausted',
  'revoked',
]);

/**
 * The text of an outbox message. Known kinds: `access-suspended` (payload.reason), `access-reactivated`,
 * `expiry-reminder` (payload.endsAt), `payment-received` (payload.endsAt: a payment recorded by a
 * webhook or the Stars sweep). Anything else gets a generic notice rather than being dropped.
 */
export function noticeText(
  messages: Messages,
  kind: string,
  payload: unknown,
): {
  readonly text: string;
  readonly known: boolean;
  /** One-tap buttons under the notice (callback data by label). */
  readonly buttons?: ReadonlyArray<{ readonly text: string; readonly data: string }>;
} {
  const data =
    typeof payload === 'object' && payload !== null ? (payload as Readonly<Record<string, unknown>>) : {};
  switch (kind) {
    case 'access-suspended': {
      const reason = data['reason'];
      const known =
        typeof reason === 'string' && SUSPEND_REASONS.has(reason) ? (reason as SuspendReason) : 'other';
      return { text: messages.noticeSuspended(reasonText(messages, known)), known: true };
    }
    case 'access-reactivated':
      return { text: messages.noticeReactivated, known: true };
    case 'expiry-reminder': {
      const endsAt = typeof data['endsAt'] === 'string' ? new Date(data['endsAt']) : null;
      if (endsAt !== null && !Number.isNaN(endsAt.getTime())) {
        const autopay = data['autopay'];
        if (
          typeof autopay === 'object' &&
          autopay !== null &&
          'amount' in autopay &&
          'currency' in autopay &&
          typeof autopay.amount === 'string' &&
          typeof autopay.currency === 'string'
        ) {
          const chargeAt = typeof data['chargeAt'] === 'string' ? new Date(data['chargeAt']) : endsAt;
          return {
            text: messages.noticeExpiringAutopay(
              formatPrice(autopay.amount, autopay.currency),
              formatInstant(chargeAt),
            ),
            known: true,
            buttons: [{ text: messages.buttonAutopayOff, data: 'autopayoff' }],
          };
        }
        return {
          text: messages.noticeExpiring(formatInstant(endsAt)),
          known: true,
          buttons: [{ text: messages.buttonRenew, data: 'plans' }],
        };
      }
      return { text: messages.noticeGeneric, known: false };
    }
    case 'autopay-failed': {
      const endsAt = typeof data['endsAt'] === 'string' ? new Date(data['endsAt']) : null;
      const amount = typeof data['amount'] === 'string' ? data['amount'] : null;
      const currency = typeof data['currency'] === 'string' ? data['currency'] : null;
      const planId =
        typeof data['planId'] === 'string' && /^[1-9]\d{0,18}$/.test(data['planId']) ? data['planId'] : null;
      if (
        endsAt === null ||
        Number.isNaN(endsAt.getTime()) ||
        amount === null ||
        currency === null ||
        planId === null
      ) {
        return { text: messages.noticeGeneric, known: false };
      }
      const price = formatPrice(amount, currency);
      return {
        text: messages.noticeAutopayFailed(price, formatInstant(endsAt)),
        known: true,
        buttons: [{ text: messages.buttonPayNow(price), data: `pay:yk:${planId}` }],
      };
    }
    case 'payment-received': {
      const endsAt = typeof data['endsAt'] === 'string' ? new Date(data['endsAt']) : null;
      if (endsAt !== null && !Number.isNaN(endsAt.getTime())) {
        return { text: messages.paymentGranted(formatInstant(endsAt)), known: true };
      }
      return { text: messages.noticeGeneric, known: false };
    }
    default:
      return { text: messages.noticeGeneric, known: false };
  }
}
