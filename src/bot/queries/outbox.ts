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

/** What reminders to queue: the days before the end, and autopay's terms for the text. */
export interface ReminderOptions {
  /** Whole days before the end of coverage (KEYWARDEN_REMINDER_DAYS); default 3 and 1. */
  readonly days?: readonly number[];
  /** With card autopay: its currency and lead, so the text says "autopay will charge X on DATE". */
  readonly autopay?: { readonly currency: string; readonly leadMs: number } | undefined;
}

/**
 * Queues expiry reminders `days` before the end of each entitled user's coverage (3 and 1 by
 * default), one per (days, period) through the unique dedupe_key, so each is queued once per period.
 * Only the nearest window applies (no 3-day reminder with less than a day left), and a customer whose
 * coverage extends further gets none: the end is the end of the whole coverage (kw_entitlements), not
 * of one period. With autopay on, the payload carries the amount and the charge date. Returns how many
 * rows were queued.
 */
export async function enqueueExpiryReminders(
  db: pg.Pool | pg.ClientBase,
  graceMs: number,
  options: ReminderOptions = {},
): Promise<number> {
  const days = [...new Set(options.days ?? [3, 1])].filter((day) => Number.isInteger(day) && day > 0);
  if (days.length === 0) {
    return 0;
  }
  const { rowCount } = await db.query(
    `with grace as (select $1::double precision * interval '1 millisecond' as g),
     windows as (select unnest($2::int[]) as days),
     -- Only users with a live period ending within the widest window can need a reminder: a cheap
     -- prefilter before the per-user entitlement function.
     candidates as (
       select distinct sp.user_id from subscription_periods sp, grace
       where sp.cancelled_at is null and sp.ends_at + grace.g > now()
         and sp.ends_at + grace.g <= now() + make_interval(days => (select max(days) from windows)))
     insert into outbox (user_id, kind, dedupe_key, payload)
     select e.user_id, 'expiry-reminder', 'expiry-reminder:' || r.days || 'd:period:' || p.id,
            jsonb_build_object('days', r.days, 'endsAt', e.entitled_until, 'periodId', p.id)
            || case when ap.amount is null then '{}'::jsonb else jsonb_build_object(
                 'autopay', jsonb_build_object('amount', ap.amount::text, 'currency', $3::text),
                 'chargeAt', greatest(now(), e.entitled_until - $4::double precision * interval '1 millisecond')) end
     from candidates c
     join kw_entitlements(now(), $1::double precision * interval '1 millisecond') e on e.user_id = c.user_id
     cross join windows as r
     cross join lateral (
       select sp.id from subscription_periods sp
       where sp.user_id = e.user_id and sp.cancelled_at is null
         and sp.ends_at + $1::double precision * interval '1 millisecond' = e.entitled_until
       order by sp.id desc limit 1) as p
     left join lateral (
       select coalesce(pp.amount, case when pl.currency = $3 then pl.price end) as amount
       from autopay a join plans pl on pl.id = a.plan_id
       left join plan_prices pp on pp.plan_id = pl.id and pp.currency = $3
       where $3 is not null and a.user_id = e.user_id and a.is_enabled and a.method_revoked_at is null) as ap on true
     where e.is_entitled and e.entitled_until > now()
       and e.entitled_until <= now() + make_interval(days => r.days)
       and not exists (select 1 from windows w where w.days < r.days
                       and e.entitled_until <= now() + make_interval(days => w.days))
     on conflict (dedupe_key) do nothing`,
    [graceMs, days, options.autopay?.currency ?? null, options.autopay?.leadMs ?? 0],
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
