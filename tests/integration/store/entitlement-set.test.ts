/**
 * The snapshot's set-based entitlement (KEYS_SQL) and kw_entitlements are one definition written
 * twice: they must agree on the shared table of cases and on random periods, bans and grace. The
 * snapshot's other period columns (current period and its quota, latest period, when access began
 * and ended) must agree with a per-user reading of their definitions (correlated subqueries, as the
 * snapshot read them before it went set-based).
 */
import fc from 'fast-check';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { KEY_FLAGS, KEYS_SQL } from '../../../src/store/snapshot.ts';
import { AT, ENTITLEMENT_CASES, h, type CasePeriod } from '../../fixtures/entitlement-cases.ts';
import { useTestDatabase } from '../../support/database.ts';

const database = useTestDatabase();

interface UserCase {
  readonly periods: readonly (CasePeriod & { readonly withQuota?: boolean | undefined })[];
  readonly bannedAt?: number | undefined;
}

interface Verdict {
  readonly isEntitled: boolean;
  readonly entitledUntil: number | null;
  readonly nextBoundaryAt: number | null;
}

/** The snapshot's other period columns of one key (times in hours from AT, periods by position). */
interface PeriodColumns {
  readonly hasHad: boolean;
  readonly latestPeriod: number | null;
  readonly currentPeriod: number | null;
  readonly quotaBytes: number | null;
  readonly entitledSince: number | null;
  readonly lastEndedAt: number | null;
}

const toHours = (ms: number | null): number | null => (ms === null ? null : (ms - AT.getTime()) / 3_600_000);

/** The per-user reading of the period columns (the snapshot's definitions as correlated subqueries). */
const PER_USER_SQL = `
  select k.user_id::text,
         coalesce(agg.has_had, false) as has_had,
         agg.latest_period_id::text as latest_period_id,
         extract(epoch from agg.last_ended_at) * 1000 as last_ended_at_ms,
         cover.id::text as current_period_id,
         extract(epoch from cover.since) * 1000 as entitled_since_ms,
         cover.traffic_limit_bytes::float8 as quota_bytes
  from vpn_keys k
  left join lateral (
    select bool_or(p.starts_at <= $1) as has_had,
           max(p.id) filter (where p.starts_at <= $1) as latest_period_id,
           max(p.ends_at + $2::interval) filter (where p.ends_at + $2::interval <= $1) as last_ended_at
    from subscription_periods p
    where p.user_id = k.user_id and p.cancelled_at is null
  ) agg on true
  left join lateral (
    select p.id, greatest(p.starts_at, p.created_at) as since, pl.traffic_limit_bytes
    from subscription_periods p left join plans pl on pl.id = p.plan_id
    where p.user_id = k.user_id and p.cancelled_at is null and p.starts_at <= $1 and $1 < p.ends_at + $2::interval
    order by p.starts_at desc, p.id desc
    limit 1
  ) cover on true
  where k.user_id = any($3::bigint[])`;

/** Inserts the users (one key each) in a transaction that is rolled back; returns both readings. */
async function evaluate(
  pool: pg.Pool,
  users: readonly UserCase[],
  atOffset: number,
  graceHours: number,
): Promise<{ set: Verdict[]; fn: Verdict[]; setColumns: PeriodColumns[]; perUser: PeriodColumns[] }> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const { rows: panels } = await client.query<{ id: string }>(
      `insert into panels (name, base_url, auth) values ('p', 'http://127.0.0.1:1/', '{"kind":"token","token":"x"}')
       returning id`,
    );
    const panelId = panels[0]!.id;
    const { rows: plans } = await client.query<{ id: string }>(
      `insert into plans (code, title, duration_days, price, currency, traffic_limit_bytes)
       values ('q', 'Q', 30, 1, 'RUB', 5000000000) returning id`,
    );
    const quotaPlanId = plans[0]!.id;
    const ids: string[] = [];
    // Period ids in insertion order: columns that name a period are compared by position.
    const periodIds: string[] = [];
    for (const [index, user] of users.entries()) {
      const { rows } = await client.query<{ id: string }>(
        'insert into users (telegram_id, banned_at) values ($1, $2) returning id',
        [800_000 + index, user.bannedAt === undefined ? null : h(user.bannedAt)],
      );
      const userId = rows[0]!.id;
      ids.push(userId);
      for (const period of user.periods) {
        const { rows: inserted } = await client.query<{ id: string }>(
          `insert into subscription_periods (user_id, source, starts_at, ends_at, cancelled_at, plan_id, created_at)
           values ($1, 'admin', $2, $3, $4, $5, $6) returning id`,
          [
            userId,
            h(period.from),
            h(period.to),
            period.cancelled === undefined ? null : h(period.cancelled),
            period.withQuota === true ? quotaPlanId : null,
            // Committed some hours before or after it starts (entitledSince is the later of both).
            h(period.from + (periodIds.length % 3) - 1),
          ],
        );
        periodIds.push(inserted[0]!.id);
      }
      await client.query('insert into vpn_keys (user_id, panel_id, inbound_id) values ($1, $2, 1)', [
        userId,
        panelId,
      ]);
    }
    const at = h(atOffset);
    const grace = `${String(graceHours)} hours`;
    const result = await client.query<unknown[]>({
      text: KEYS_SQL,
      values: [at, grace, [panelId], null, false],
      rowMode: 'array',
    });
    // A full pass reads the same rows without the scope checks ($5: every enabled panel, every user).
    const whole = await client.query<unknown[]>({
      text: KEYS_SQL,
      values: [at, grace, [panelId], null, true],
      rowMode: 'array',
    });
    expect(whole.rows).toEqual(result.rows);
    const columns = result.fields.map((field) => field.name);
    const set = result.rows.map((row) =>
      Object.fromEntries(columns.map((name, index) => [name, row[index]])),
    );
    const { rows: fn } = await client.query<{
      user_id: string;
      is_entitled: boolean;
      entitled_until: Date | null;
      next_boundary_at: Date | null;
    }>(
      `select user_id::text, is_entitled, entitled_until, next_boundary_at
       from kw_entitlements($1, $2::interval) where user_id = any($3::bigint[])`,
      [at, grace, ids],
    );
    const { rows: perUser } = await client.query<{
      user_id: string;
      has_had: boolean;
      latest_period_id: string | null;
      last_ended_at_ms: string | null;
      current_period_id: string | null;
      entitled_since_ms: string | null;
      quota_bytes: number | null;
    }>(PER_USER_SQL, [at, grace, ids]);
    await client.query('rollback');
    const bySet = new Map(set.map((row) => [row['user_id'], row]));
    const byFn = new Map(fn.map((row) => [row.user_id, row]));
    const byPerUser = new Map(perUser.map((row) => [row.user_id, row]));
    const position = (periodId: unknown): number | null =>
      periodId === null ? null : periodIds.indexOf(periodId as string);
    const ms = (value: unknown): number | null => (value === null ? null : Number(value));
    return {
      set: ids.map((id) => {
        const row = bySet.get(id)!;
        return {
          isEntitled: ((row['flags'] as number) & KEY_FLAGS.entitled) !== 0,
          entitledUntil: toHours(ms(row['entitled_until_ms'])),
          nextBoundaryAt: toHours(ms(row['next_boundary_ms'])),
        };
      }),
      fn: ids.map((id) => {
        const row = byFn.get(id)!;
        return {
          isEntitled: row.is_entitled,
          entitledUntil: toHours(row.entitled_until?.getTime() ?? null),
          nextBoundaryAt: toHours(row.next_boundary_at?.getTime() ?? null),
        };
      }),
      setColumns: ids.map((id) => {
        const row = bySet.get(id)!;
        return {
          hasHad: ((row['flags'] as number) & KEY_FLAGS.hasHad) !== 0,
          latestPeriod: position(row['latest_period_id']),
          currentPeriod: position(row['current_period_id']),
          quotaBytes: ms(row['quota_bytes']),
          entitledSince: toHours(ms(row['entitled_since_ms'])),
          lastEndedAt: toHours(ms(row['last_ended_at_ms'])),
        };
      }),
      perUser: ids.map((id) => {
        const row = byPerUser.get(id)!;
        return {
          hasHad: row.has_had,
          latestPeriod: position(row.latest_period_id),
          currentPeriod: position(row.current_period_id),
          quotaBytes: row.quota_bytes,
          entitledSince: toHours(ms(row.entitled_since_ms)),
          lastEndedAt: toHours(ms(row.last_ended_at_ms)),
        };
      }),
    };
  } finally {
    client.release();
  }
}

describe('the set-based entitlement of the snapshot agrees with kw_entitlements', () => {
  it.each(ENTITLEMENT_CASES.map((testCase, index) => ({ ...testCase, index })))('$name', async (testCase) => {
    const { set, fn, setColumns, perUser } = await evaluate(
      database().pool,
      [{ periods: testCase.periods, bannedAt: testCase.bannedAt }],
      testCase.atOffset ?? 0,
      testCase.graceHours ?? 0,
    );
    expect(set).toEqual(fn);
    expect(set[0]).toEqual(testCase.expected);
    expect(setColumns).toEqual(perUser);
  });

  it('on random periods, cancellations, bans and grace', async () => {
    const period = fc
      .record({
        from: fc.integer({ min: -60, max: 60 }),
        length: fc.integer({ min: 1, max: 48 }),
        cancelled: fc.option(fc.integer({ min: -60, max: 60 }), { nil: undefined }),
        withQuota: fc.boolean(),
      })
      .map(({ from, length, cancelled, withQuota }) =>
        cancelled === undefined
          ? { from, to: from + length, withQuota }
          : { from, to: from + length, cancelled, withQuota },
      );
    const user = fc.record({
      periods: fc.array(period, { maxLength: 5 }),
      bannedAt: fc.option(fc.integer({ min: -60, max: 60 }), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(user, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: -30, max: 30 }),
        fc.integer({ min: 0, max: 3 }),
        async (users, atOffset, graceHours) => {
          const { set, fn, setColumns, perUser } = await evaluate(
            database().pool,
            users,
            atOffset,
            graceHours,
          );
          expect(set).toEqual(fn);
          expect(setColumns).toEqual(perUser);
        },
      ),
      { numRuns: 40 },
    );
  });
});
