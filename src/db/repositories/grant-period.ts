/**
 * The one way a subscription period is written (DESIGN.md §3, §6): payments, trials, admin grants and
 * promos all go through `appendPeriod`, inside a transaction that holds the user's row lock, so two
 * concurrent grants for one user never compute the same start.
 */
import type pg from 'pg';
import type { PlanId, UserId } from '../../domain/index.ts';
import { withTransaction } from '../pool.ts';

/**
 * Where a period comes from (`subscription_periods.source`). `import` is access an adopted shop sold
 * before keywarden (written only by `applyAdoption`, with its adoption row).
 */
export type PeriodSource = 'payment' | 'trial' | 'admin' | 'promo' | 'import';

/** A period as written. */
export interface PeriodRecord {
  readonly id: string;
  readonly startsAt: Date;
  readonly endsAt: Date;
}

/** What to append. */
export interface AppendPeriod {
  readonly userId: UserId;
  readonly planId: PlanId | null;
  readonly source: PeriodSource;
  readonly paymentId: string | null;
  /** Length of the period in ms (> 0). */
  readonly durationMs: number;
}

/**
 * Appends a period starting at max(now, end of the user's current coverage), on the DB clock.
 * "Coverage end" is the latest end of any live (not cancelled) period still in the future. Must run
 * inside a transaction; locks the user row until it ends. Resolves to null for a trial when the user
 * already had one (a unique index allows one trial per user, ever).
 */
export async function appendPeriod(
  client: pg.ClientBase,
  period: AppendPeriod,
): Promise<PeriodRecord | null> {
  if (!Number.isFinite(period.durationMs) || period.durationMs <= 0) {
    throw new RangeError(`period duration must be positive, got ${period.durationMs} ms`);
  }
  const locked = await client.query('select 1 from users where id = $1 for update', [period.userId]);
  if (locked.rowCount !== 1) {
    throw new Error(`user ${period.userId} does not exist`);
  }
  const { rows } = await client.query<{ id: string; starts_at: Date; ends_at: Date }>(
    `with coverage as (
       select greatest(now(), max(ends_at)) as start_at from subscription_periods
       where user_id = $1 and cancelled_at is null and ends_at > now()
     )
     insert into subscription_periods (user_id, plan_id, source, payment_id, starts_at, ends_at)
     select $1, $2, $3, $4, coalesce(start_at, now()), coalesce(start_at, now()) + make_interval(secs => $5::double precision / 1000)
     from coverage
     on conflict (user_id) where source = 'trial' do nothing
     returning id, starts_at, ends_at`,
    [period.userId, period.planId, period.source, period.paymentId, period.durationMs],
  );
  const row = rows[0];
  return row ? { id: row.id, startsAt: row.starts_at, endsAt: row.ends_at } : null;
}

/** Outcome of a grant that is not a payment. */
export type GrantOutcome =
  { readonly kind: 'granted'; readonly period: PeriodRecord } | { readonly kind: 'trial-already-used' };

/**
 * Grants access without a payment: a trial (once per user), an admin grant or a promo. With a plan
 * code, the plan's duration is the default and the plan's quota and key limit apply.
 */
export async function grantPeriod(
  pool: pg.Pool,
  grant: {
    readonly userId: UserId;
    readonly source: Exclude<PeriodSource, 'payment' | 'import'>;
    readonly planId?: PlanId | null;
    readonly durationMs: number;
  },
): Promise<GrantOutcome> {
  return withTransaction(pool, async (client) => {
    const period = await appendPeriod(client, {
      userId: grant.userId,
      planId: grant.planId ?? null,
      source: grant.source,
      paymentId: null,
      durationMs: grant.durationMs,
    });
    return period ? { kind: 'granted', period } : { kind: 'trial-already-used' };
  });
}
