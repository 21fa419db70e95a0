/** Read-only look-ups for the admin commands: counts and one user's history. */
import type pg from 'pg';
import type { UserId } from '../../domain/index.ts';
import { keyStatusOf, type KeyStatus } from '../key-status.ts';

/** Counts for /stats. */
export interface Stats {
  readonly users: number;
  readonly entitled: number;
  readonly banned: number;
  /** Live keys by status kind (active, suspended, setting-up, problem). */
  readonly keys: Readonly<Record<KeyStatus['kind'], number>>;
  readonly panels: { readonly total: number; readonly enabled: number; readonly suspended: number };
  /** Panels with an inbound the reconciler observed in the last 10 minutes ("up" as far as we know). */
  readonly panelsObservedRecently: number;
}

/** Reads the counts for /stats. */
export async function readStats(db: pg.Pool | pg.ClientBase, graceMs: number): Promise<Stats> {
  const users = await db.query<{ users: number; entitled: number; banned: number }>(
    `select count(*)::int as users,
            count(*) filter (where e.is_entitled)::int as entitled,
            count(*) filter (where u.banned_at is not null)::int as banned
     from users u join kw_entitlements(now(), $1::double precision * interval '1 millisecond') e on e.user_id = u.id`,
    [graceMs],
  );
  // Group by the inputs of keyStatusOf, then classify each group with it: one definition of status.
  const keys = await db.query<{
    has_state: boolean;
    converged: boolean | null;
    last_error: string | null;
    kind: string | null;
    reason: string | null;
    count: number;
  }>(
    `select s.key_id is not null as has_state, s.converged,
            case when s.last_error is null or s.last_error = '' then null else 'error' end as last_error,
            s.desired ->> 'kind' as kind, s.desired ->> 'reason' as reason, count(*)::int as count
     from vpn_keys k left join key_state s on s.key_id = k.id
     where k.revoked_at is null
     group by 1, 2, 3, 4, 5`,
  );
  const byStatus: Record<KeyStatus['kind'], number> = {
    active: 0,
    suspended: 0,
    'setting-up': 0,
    problem: 0,
  };
  for (const row of keys.rows) {
    const status = keyStatusOf(
      row.has_state
        ? {
            desired: { kind: row.kind, reason: row.reason },
            converged: row.converged === true,
            lastError: row.last_error,
          }
        : null,
    );
    byStatus[status.kind] += row.count;
  }
  const panels = await db.query<{ total: number; enabled: number; suspended: number; observed: number }>(
    `select count(*)::int as total,
            count(*) filter (where is_enabled)::int as enabled,
            count(*) filter (where suspended)::int as suspended,
            count(*) filter (where exists (select 1 from inbounds i where i.panel_id = panels.id
                                           and i.observed_at > now() - interval '10 minutes'))::int as observed
     from panels where removed_at is null`,
  );
  const u = users.rows[0] ?? { users: 0, entitled: 0, banned: 0 };
  const p = panels.rows[0] ?? { total: 0, enabled: 0, suspended: 0, observed: 0 };
  return {
    users: u.users,
    entitled: u.entitled,
    banned: u.banned,
    keys: byStatus,
    panels: { total: p.total, enabled: p.enabled, suspended: p.suspended },
    panelsObservedRecently: p.observed,
  };
}

/** One user's recent history for /user. */
export interface UserHistory {
  readonly periods: ReadonlyArray<{
    readonly id: string;
    readonly source: string;
    readonly planCode: string | null;
    readonly startsAt: Date;
    readonly endsAt: Date;
    readonly cancelledAt: Date | null;
  }>;
  readonly payments: ReadonlyArray<{
    readonly id: string;
    readonly provider: string;
    readonly amount: string;
    readonly currency: string;
    readonly status: string;
    readonly createdAt: Date;
  }>;
  readonly keys: ReadonlyArray<{
    readonly id: string;
    readonly email: string;
    readonly panelName: string;
    readonly revokedAt: Date | null;
    readonly status: KeyStatus;
  }>;
}

/** Reads a user's last 10 periods and payments and last 20 keys, newest first. */
export async function readUserHistory(db: pg.Pool | pg.ClientBase, userId: UserId): Promise<UserHistory> {
  const periods = await db.query<{
    id: string;
    source: string;
    plan: string | null;
    starts_at: Date;
    ends_at: Date;
    cancelled_at: Date | null;
  }>(
    `select sp.id, sp.source, pl.code as plan, sp.starts_at, sp.ends_at, sp.cancelled_at
     from subscription_periods sp left join plans pl on pl.id = sp.plan_id
     where sp.user_id = $1 order by sp.starts_at desc, sp.id desc limit 10`,
    [userId],
  );
  const payments = await db.query<{
    id: string;
    provider: string;
    amount: string;
    currency: string;
    status: string;
    created_at: Date;
  }>(
    `select id, provider, amount::text as amount, currency, status, created_at from payments
     where user_id = $1 order by created_at desc, id desc limit 10`,
    [userId],
  );
  const keys = await db.query<{
    id: string;
    email: string;
    panel: string;
    revoked_at: Date | null;
    has_state: boolean;
    desired: unknown;
    converged: boolean | null;
    last_error: string | null;
  }>(
    `select k.id, k.email, p.name as panel, k.revoked_at, s.key_id is not null as has_state, s.desired, s.converged, s.last_error
     from vpn_keys k join panels p on p.id = k.panel_id left join key_state s on s.key_id = k.id
     where k.user_id = $1 order by k.id desc limit 20`,
    [userId],
  );
  return {
    periods: periods.rows.map((row) => ({
      id: row.id,
      source: row.source,
      planCode: row.plan,
      startsAt: row.starts_at,
      endsAt: row.ends_at,
      cancelledAt: row.cancelled_at,
    })),
    payments: payments.rows.map((row) => ({
      id: row.id,
      provider: row.provider,
      amount: row.amount,
      currency: row.currency,
      status: row.status,
      createdAt: row.created_at,
    })),
    keys: keys.rows.map((row) => ({
      id: row.id,
      email: row.email,
      panelName: row.panel,
      revokedAt: row.revoked_at,
      status: keyStatusOf(
        row.has_state
          ? { desired: row.desired, converged: row.converged === true, lastError: row.last_error }
          : null,
      ),
    })),
  };
}
