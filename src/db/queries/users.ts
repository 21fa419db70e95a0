/**
 * Read-only user look-ups for the console and the CLI: search with a status, and one user's full
 * picture (periods, payments, keys with desired vs observed state and their last actions).
 */
import type pg from 'pg';
import { asUserId, type UserId } from '../../domain/index.ts';
import { readKeys, type KeyDetail } from './keys.ts';

/** How a user stands now. `none`: never had a period. */
export const USER_STATUSES = ['active', 'expiring', 'suspended', 'banned', 'none'] as const;
/** One of USER_STATUSES. */
export type UserStatus = (typeof USER_STATUSES)[number];

/** Users entitled now but not in this long are `expiring` (3 days). */
export const EXPIRING_WITHIN_MS = 3 * 86_400_000;

/** A user in a list. */
export interface UserSummary {
  readonly id: UserId;
  readonly telegramId: number;
  readonly username: string | null;
  readonly language: string | null;
  readonly status: UserStatus;
  /** While entitled: when access ends (grace included); else null. */
  readonly entitledUntil: Date | null;
  readonly bannedAt: Date | null;
  readonly liveKeys: number;
  readonly createdAt: Date;
}

interface SummaryRow {
  id: string;
  telegram_id: string;
  username: string | null;
  language: string | null;
  status: UserStatus;
  entitled_until: Date | null;
  banned_at: Date | null;
  live_keys: number;
  created_at: Date;
}

const toSummary = (row: SummaryRow): UserSummary => ({
  id: asUserId(row.id),
  telegramId: Number(row.telegram_id),
  username: row.username,
  language: row.language,
  status: row.status,
  entitledUntil: row.entitled_until,
  bannedAt: row.banned_at,
  liveKeys: row.live_keys,
  createdAt: row.created_at,
});

// $1 grace in ms, $2 expiring window in ms. The status is computed once here for lists, filters and
// the user page alike. `expiring`: entitled now but not at the end of the window (asked of
// kw_entitlements at that moment, which keeps counts cheap: the coverage end is only computed for
// rows that are shown).
const SUMMARY = `
  with s as (
    select u.id, u.telegram_id, u.username, u.language, u.banned_at, u.created_at,
      case when e.is_entitled then e.entitled_until end as entitled_until,
      case
        when u.banned_at is not null and u.banned_at <= now() then 'banned'
        when e.is_entitled and not soon.is_entitled then 'expiring'
        when e.is_entitled then 'active'
        when exists (select 1 from subscription_periods p where p.user_id = u.id and p.cancelled_at is null) then 'suspended'
        else 'none'
      end as status,
      (select count(*)::int from vpn_keys k where k.user_id = u.id and k.revoked_at is null) as live_keys
    from users u
    join kw_entitlements(now(), $1::double precision * interval '1 millisecond') e on e.user_id = u.id
    join kw_entitlements(now() + $2::double precision * interval '1 millisecond',
                         $1::double precision * interval '1 millisecond') soon on soon.user_id = u.id
  )
  select * from s`;

/** What to search for. */
export interface UserSearch {
  /** A Telegram id, our id (`#12`), a username (`@name` or part of it) or a key's client email. */
  readonly query?: string;
  readonly status?: UserStatus;
  readonly limit?: number;
  readonly offset?: number;
}

/** Searches users, newest first (at most `limit`, default 50). */
export async function searchUsers(
  db: pg.Pool | pg.ClientBase,
  graceMs: number,
  search: UserSearch = {},
): Promise<readonly UserSummary[]> {
  const query = search.query?.trim() ?? '';
  const numeric = /^#?\d{1,19}$/.test(query) ? query.replace(/^#/, '') : null;
  const text = query.replace(/^@/, '');
  const { rows } = await db.query<SummaryRow>(
    `${SUMMARY}
     where ($3::text = '' or ($4::text is not null and (s.telegram_id::text = $4 or s.id::text = $4))
            or s.username ilike '%' || $5 || '%'
            or exists (select 1 from vpn_keys k where k.user_id = s.id and lower(k.email) = lower($3)))
       and ($6::text is null or s.status = $6)
     order by s.id desc limit $7 offset $8`,
    [
      graceMs,
      EXPIRING_WITHIN_MS,
      query,
      numeric,
      text.replace(/[\\%_]/g, (c) => `\\${c}`),
      search.status ?? null,
      search.limit ?? 50,
      search.offset ?? 0,
    ],
  );
  return rows.map(toSummary);
}

/** Counts users by status (the users page's filter tabs). */
export async function countUsersByStatus(
  db: pg.Pool | pg.ClientBase,
  graceMs: number,
): Promise<Readonly<Record<UserStatus, number>>> {
  const { rows } = await db.query<{ status: UserStatus; n: number }>(
    SUMMARY.replace('select * from s', 'select status, count(*)::int as n from s group by status'),
    [graceMs, EXPIRING_WITHIN_MS],
  );
  const counts: Record<UserStatus, number> = { active: 0, expiring: 0, suspended: 0, banned: 0, none: 0 };
  for (const row of rows) {
    counts[row.status] = row.n;
  }
  return counts;
}

/** Reads one user's summary; null when unknown. */
export async function readUserSummary(
  db: pg.Pool | pg.ClientBase,
  graceMs: number,
  by: { readonly id: UserId } | { readonly telegramId: number },
): Promise<UserSummary | null> {
  const { rows } = await db.query<SummaryRow>(
    `${SUMMARY} where ${'id' in by ? 's.id = $3' : 's.telegram_id = $3'}`,
    [graceMs, EXPIRING_WITHIN_MS, 'id' in by ? by.id : by.telegramId],
  );
  const row = rows[0];
  return row ? toSummary(row) : null;
}

/** One subscription period. */
export interface PeriodView {
  readonly id: string;
  readonly source: string;
  readonly planCode: string | null;
  readonly paymentId: string | null;
  readonly startsAt: Date;
  readonly endsAt: Date;
  readonly cancelledAt: Date | null;
  readonly createdAt: Date;
}

/** One payment. `status` is succeeded, mismatch or refunded. */
export interface PaymentView {
  readonly id: string;
  readonly provider: string;
  readonly externalId: string;
  readonly userId: string;
  readonly telegramId: number;
  readonly planCode: string | null;
  /** Decimal string, as paid. */
  readonly amount: string;
  readonly currency: string;
  readonly status: string;
  /**
   * The plan's prices now, by currency (decimal strings; empty without a plan): what a `mismatch`
   * payment should have paid.
   */
  readonly expected: Readonly<Record<string, string>>;
  readonly createdAt: Date;
}

/** Everything the console's user page and `users show` need. */
export interface UserDetail {
  readonly user: UserSummary;
  /** Oldest first: a timeline. */
  readonly periods: readonly PeriodView[];
  /** Newest first, every status. */
  readonly payments: readonly PaymentView[];
  /** Live keys first, then revoked; each with its recent history. */
  readonly keys: readonly KeyDetail[];
}

/** Reads one user's detail; null when unknown. */
export async function readUserDetail(
  db: pg.Pool | pg.ClientBase,
  graceMs: number,
  by: { readonly id: UserId } | { readonly telegramId: number },
): Promise<UserDetail | null> {
  const user = await readUserSummary(db, graceMs, by);
  if (user === null) {
    return null;
  }
  const periods = await db.query<{
    id: string;
    source: string;
    plan_code: string | null;
    payment_id: string | null;
    starts_at: Date;
    ends_at: Date;
    cancelled_at: Date | null;
    created_at: Date;
  }>(
    `select sp.id, sp.source, pl.code as plan_code, sp.payment_id, sp.starts_at, sp.ends_at, sp.cancelled_at, sp.created_at
     from subscription_periods sp left join plans pl on pl.id = sp.plan_id
     where sp.user_id = $1 order by sp.starts_at, sp.id`,
    [user.id],
  );
  const payments = await listPayments(db, { userId: user.id, limit: 500 });
  const keys = await readKeys(db, { userId: user.id, includeRevoked: true, limit: 200 });
  return {
    user,
    periods: periods.rows.map((row) => ({
      id: row.id,
      source: row.source,
      planCode: row.plan_code,
      paymentId: row.payment_id,
      startsAt: row.starts_at,
      endsAt: row.ends_at,
      cancelledAt: row.cancelled_at,
      createdAt: row.created_at,
    })),
    payments,
    keys,
  };
}

/** Filters of the payments list. */
export interface PaymentFilter {
  readonly userId?: UserId;
  /** Only payments whose amount or currency matched no price of their plan. */
  readonly mismatched?: boolean;
  readonly status?: string;
  readonly since?: Date;
  readonly limit?: number;
}

/** Lists payments, newest first (at most `limit`, default 100). */
export async function listPayments(
  db: pg.Pool | pg.ClientBase,
  filter: PaymentFilter = {},
): Promise<readonly PaymentView[]> {
  const { rows } = await db.query<{
    id: string;
    provider: string;
    external_id: string;
    user_id: string;
    telegram_id: string;
    plan_code: string | null;
    amount: string;
    currency: string;
    status: string;
    expected: Record<string, string> | null;
    created_at: Date;
  }>(
    `select p.id, p.provider, p.external_id, p.user_id, u.telegram_id, pl.code as plan_code,
            p.amount::text as amount, p.currency, p.status, p.created_at,
            case when pl.id is null then null else
              jsonb_build_object(pl.currency, pl.price::text)
              || coalesce((select jsonb_object_agg(pp.currency, pp.amount::text) from plan_prices pp
                           where pp.plan_id = pl.id), '{}'::jsonb) end as expected
     from payments p join users u on u.id = p.user_id left join plans pl on pl.id = p.plan_id
     where ($1::bigint is null or p.user_id = $1)
       and ($2::text is null or p.status = $2)
       and ($3::timestamptz is null or p.created_at >= $3)
     order by p.created_at desc, p.id desc limit $4`,
    [
      filter.userId ?? null,
      filter.mismatched === true ? 'mismatch' : (filter.status ?? null),
      filter.since ?? null,
      filter.limit ?? 100,
    ],
  );
  return rows.map((row) => ({
    id: row.id,
    provider: row.provider,
    externalId: row.external_id,
    userId: row.user_id,
    telegramId: Number(row.telegram_id),
    planCode: row.plan_code,
    amount: row.amount,
    currency: row.currency,
    status: row.status,
    expected: row.expected ?? {},
    createdAt: row.created_at,
  }));
}
