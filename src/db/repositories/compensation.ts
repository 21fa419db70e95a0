/**
 * Compensation days: one admin period of N days for every targeted user, appended after the user's
 * current coverage (as appendPeriod does), in one transaction: all users get it or none. The valve
 * is not involved: a period only adds access.
 */
import type pg from 'pg';
import { withTransaction } from '../pool.ts';

/** Who gets compensation. */
export interface CompensationTarget {
  /** Only users entitled now; otherwise every non-banned user who ever had a live period. */
  readonly activeOnly: boolean;
  /** Grace of the entitlement definition, in ms (KEYWARDEN_GRACE). */
  readonly graceMs: number;
}

const TARGETS = `
  select u.id from users u
  join kw_entitlements(now(), $1::double precision * interval '1 millisecond') e on e.user_id = u.id
  where (u.banned_at is null or u.banned_at > now())
    and case when $2::boolean then e.is_entitled
             else exists (select 1 from subscription_periods p where p.user_id = u.id and p.cancelled_at is null) end`;

/** Counts the users a compensation would reach (the preview). */
export async function countCompensationTargets(
  db: pg.Pool | pg.ClientBase,
  target: CompensationTarget,
): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`select count(*)::int as n from (${TARGETS}) t`, [
    target.graceMs,
    target.activeOnly,
  ]);
  return rows[0]?.n ?? 0;
}

/** Appends a `days`-day admin period for every targeted user; resolves to the number of periods. */
export async function applyCompensation(
  pool: pg.Pool,
  target: CompensationTarget & { readonly days: number },
): Promise<number> {
  if (!Number.isInteger(target.days) || target.days <= 0 || target.days > 3650) {
    throw new RangeError(`compensation must be 1 to 3650 whole days, got ${target.days}`);
  }
  return withTransaction(pool, async (client) => {
    // Lock the users in id order (appendPeriod locks one user row: no deadlock with it).
    const { rows } = await client.query<{ id: string }>(
      `select id from users where id in (${TARGETS}) order by id for update`,
      [target.graceMs, target.activeOnly],
    );
    if (rows.length === 0) {
      return 0;
    }
    const inserted = await client.query(
      `insert into subscription_periods (user_id, plan_id, source, payment_id, starts_at, ends_at)
       select t.id, null, 'admin', null, c.start_at, c.start_at + make_interval(days => $2)
       from unnest($1::bigint[]) as t(id)
       cross join lateral (
         select greatest(now(), coalesce(max(p.ends_at), now())) as start_at from subscription_periods p
         where p.user_id = t.id and p.cancelled_at is null and p.ends_at > now()) c`,
      [rows.map((row) => row.id), target.days],
    );
    return inserted.rowCount ?? 0;
  });
}
