/**
 * The bot's side of the outbox: queue expiry reminders, claim due messages, record each delivery.
 * Claiming uses `FOR UPDATE SKIP LOCKED` and a lease (next_attempt_at pushed forward), so two bot
 * replicas never claim the same message, and a replica that dies mid-send only delays it by the lease.
 */
import type pg from 'pg';
import { asUserId, type UserId } from '../../domain/index.ts';

/** A message claimed for delivery. */
export interface OutboxMessage {
  readonly id: string;
  readonly userId: UserId;
  readonly telegramId: number;
  readonly language: string | null;
  readonly kind: string;
  readonly payload: unknown;
  /** Delivery attempts including this one. */
  readonly attempts: number;
}

/**
 * Queues expiry reminders 3 days and 1 day before the end of each entitled user's coverage, one per
 * (days, period) through the unique dedupe_key. The 3-day reminder is skipped when less than a day is
 * left (the 1-day one covers it). Returns how many rows were queued.
 */
export async function enqueueExpiryReminders(db: pg.Pool | pg.ClientBase, graceMs: number): Promise<number> {
  const { rowCount } = await db.query(
    `with grace as (select $1::double precision * interval '1 millisecond' as g),
     -- Only users with a live period ending within 3 days can need a reminder: a cheap prefilter
     -- before the per-user entitlement function.
     candidates as (
       select distinct sp.user_id from subscription_periods sp, grace
       where sp.cancelled_at is null and sp.ends_at + grace.g > now() and sp.ends_at + grace.g <= now() + interval '3 days')
     insert into outbox (user_id, kind, dedupe_key, payload)
     select e.user_id, 'expiry-reminder', 'expiry-reminder:' || r.days || 'd:period:' || p.id,
            jsonb_build_object('days', r.days, 'endsAt', e.entitled_until, 'periodId', p.id)
     from candidates c
     join kw_entitlements(now(), $1::double precision * interval '1 millisecond') e on e.user_id = c.user_id
     cross join (values (3), (1)) as r (days)
     cross join lateral (
       select sp.id from subscription_periods sp
       where sp.user_id = e.user_id and sp.cancelled_at is null
         and sp.ends_at + $1::double precision * interval '1 millisecond' = e.entitled_until
       order by sp.id desc limit 1) as p
     where e.is_entitled and e.entitled_until > now()
       and e.entitled_until <= now() + make_interval(days => r.days)
       and (r.days = 1 or e.entitled_until > now() + interval '1 day')
     on conflict (dedupe_key) do nothing`,
    [graceMs],
  );
  return rowCount ?? 0;
}

/** Claims up to `limit` due messages for `leaseMs`; attempts is incremented on claim. */
export async function claimOutbox(
  db: pg.Pool | pg.ClientBase,
  limit: number,
  leaseMs: number,
): Promise<readonly OutboxMessage[]> {
  const { rows } = await db.query<{
    id: string;
    user_id: string;
    telegram_id: string;
    language: string | null;
    kind: string;
    payload: unknown;
    attempts: number;
  }>(
    `with due as (
       select id from outbox
       where sent_at is null and undeliverable_at is null and (next_attempt_at is null or next_attempt_at <= now())
       order by next_attempt_at nulls first, id
       limit $1
       for update skip locked)
     update outbox o set next_attempt_at = now() + $2::double precision * interval '1 millisecond', attempts = o.attempts + 1
     from due, users u
     where o.id = due.id and u.id = o.user_id
     returning o.id, o.user_id, u.telegram_id, u.language, o.kind, o.payload, o.attempts`,
    [limit, leaseMs],
  );
  return rows
    .map((row) => ({
      id: row.id,
      userId: asUserId(row.user_id),
      telegramId: Number(row.telegram_id),
      language: row.language,
      kind: row.kind,
      payload: row.payload,
      attempts: row.attempts,
    }))
    .sort((a, b) => Number(a.id) - Number(b.id));
}

/** Records a delivered message. */
export async function markOutboxSent(db: pg.Pool | pg.ClientBase, id: string): Promise<void> {
  await db.query(
    'update outbox set sent_at = now(), next_attempt_at = null, last_error = null where id = $1',
    [id],
  );
}

/**
 * Schedules another attempt after `delayMs`. `countAttempt: false` gives the attempt back (a 429 is
 * Telegram pacing us, not a failure of this message).
 */
export async function markOutboxRetry(
  db: pg.Pool | pg.ClientBase,
  id: string,
  delayMs: number,
  error: string,
  countAttempt: boolean,
): Promise<void> {
  await db.query(
    `update outbox set next_attempt_at = now() + $2::double precision * interval '1 millisecond', last_error = $3,
       attempts = case when $4 then attempts else greatest(attempts - 1, 0) end
     where id = $1`,
    [id, delayMs, error.slice(0, 500), countAttempt],
  );
}

/** Gives up on a message for good (blocked bot, deleted chat, attempts used up). */
export async function markOutboxUndeliverable(
  db: pg.Pool | pg.ClientBase,
  id: string,
  error: string,
): Promise<void> {
  await db.query(
    'update outbox set undeliverable_at = now(), next_attempt_at = null, last_error = $2 where id = $1',
    [id, error.slice(0, 500)],
  );
}
