/** Texts made from data: key statuses and outbox notices, in the user's language. */
import type { Messages } from './i18n/index.ts';
import { formatInstant } from './i18n/index.ts';
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
): { readonly text: string; readonly known: boolean } {
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
        return { text: messages.noticeExpiring(formatInstant(endsAt)), known: true };
      }
      return { text: messages.noticeGeneric, known: false };
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
