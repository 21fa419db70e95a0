/** Text forms of the console's read models for the CLI (the JSON forms are the models themselves). */
import type { KeyDetail, UserDetail } from '../db/index.ts';
import { formatTable } from './pool.ts';

/** An instant as `2026-06-01 12:00Z`, or `-`. */
export function when(at: Date | null | undefined): string {
  return at === null || at === undefined ? '-' : `${at.toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

/** desired vs observed in one cell: `disabled (expired) / present, enabled`. */
export function desiredVsObserved(key: KeyDetail): string {
  const desired = key.desired === null ? 'not planned yet' : `${key.desired.kind} (${key.desired.reason})`;
  const observed =
    key.observed === null
      ? 'not read yet'
      : key.observed.kind === 'present'
        ? `present, ${key.observed.enabled === true ? 'enabled' : 'disabled'}`
        : key.observed.cause === null
          ? key.observed.kind
          : `${key.observed.kind} (${key.observed.cause})`;
  return `${desired} / ${observed}`;
}

/** The keys table. */
export function keysTable(keys: readonly KeyDetail[]): string {
  return formatTable(
    ['key', 'user', 'panel', 'email', 'state', 'desired / observed', 'last action', 'last error'],
    keys.map((key) => [
      key.id,
      String(key.telegramId),
      key.panelName,
      key.email,
      key.state,
      desiredVsObserved(key),
      key.lastAction ?? '-',
      key.lastError ?? '-',
    ]),
  );
}

/** One key with its history. */
export function keyText(key: KeyDetail, link: string | null): string {
  return [
    `key ${key.id} (${key.email}) of user ${key.userId} (telegram ${String(key.telegramId)}${key.username === null ? '' : `, @${key.username}`})`,
    `panel ${key.panelName}, inbound ${String(key.inboundId)}; created ${when(key.createdAt)}${key.revokedAt === null ? '' : `, revoked ${when(key.revokedAt)}`}`,
    `state: ${key.state}`,
    `desired / observed: ${desiredVsObserved(key)}`,
    `converged: ${key.converged === null ? '-' : key.converged ? 'yes' : 'no'}; last action: ${key.lastAction ?? '-'}; attempts: ${String(key.attempts)}${key.nextAttemptAt === null ? '' : `, next ${when(key.nextAttemptAt)}`}`,
    `last error: ${key.lastError ?? '-'}`,
    `link: ${link ?? '(inbound not observed yet)'}`,
    '',
    'history:',
    key.events.length === 0
      ? '  (none)'
      : formatTable(
          ['at', 'action', 'reason', 'outcome', 'error'],
          key.events.map((event) => [
            when(event.at),
            event.action,
            event.reason,
            event.outcome,
            event.error ?? '',
          ]),
        ),
  ].join('\n');
}

/** A user with periods, payments and keys. */
export function userText(detail: UserDetail, links: ReadonlyMap<string, string>): string {
  const { user } = detail;
  return [
    `user ${user.id}: telegram ${String(user.telegramId)}${user.username === null ? '' : ` @${user.username}`}, ${user.status}${user.entitledUntil === null ? '' : ` until ${when(user.entitledUntil)}`}${user.bannedAt === null ? '' : `, banned ${when(user.bannedAt)}`}`,
    '',
    'periods:',
    detail.periods.length === 0
      ? '  (none)'
      : formatTable(
          ['id', 'source', 'plan', 'from', 'to', 'cancelled'],
          detail.periods.map((period) => [
            period.id,
            period.source,
            period.planCode ?? '-',
            when(period.startsAt),
            when(period.endsAt),
            when(period.cancelledAt),
          ]),
        ),
    '',
    'payments:',
    detail.payments.length === 0
      ? '  (none)'
      : formatTable(
          ['id', 'at', 'provider', 'external id', 'plan', 'amount', 'status'],
          detail.payments.map((payment) => [
            payment.id,
            when(payment.createdAt),
            payment.provider,
            payment.externalId,
            payment.planCode ?? '-',
            `${payment.amount} ${payment.currency}`,
            payment.status,
          ]),
        ),
    '',
    'keys:',
    detail.keys.length === 0 ? '  (none)' : keysTable(detail.keys),
    ...[...links].map(([keyId, link]) => `  key ${keyId}: ${link}`),
  ].join('\n');
}
