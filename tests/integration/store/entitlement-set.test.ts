/**
 * The snapshot's set-based entitlement (KEYS_SQL) and kw_entitlements are one definition written
 * twice: they must agree on the shared table of cases and on random periods, bans and grace.
 */
import fc from 'fast-check';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { KEYS_SQL } from '../../../src/store/snapshot.ts';
import { AT, ENTITLEMENT_CASES, h, type CasePeriod } from '../../fixtures/entitlement-cases.ts';
import { useTestDatabase } from '../../support/database.ts';

const database = useTestDatabase();

interface UserCase {
  readonly periods: readonly CasePeriod[];
  readonly bannedAt?: number | undefined;
}

interface Verdict {
  readonly isEntitled: boolean;
  readonly entitledUntil: number | null;
  readonly nextBoundaryAt: number | null;
}

const toHours = (date: Date | null): number | null =>
  date === null ? null : (date.getTime() - AT.getTime()) / 3_600_000;

/** Inserts the users (one key each) in a transaction that is rolled back; returns both readings. */
async function evaluate(
  pool: pg.Pool,
  users: readonly UserCase[],
  atOffset: number,
  graceHours: number,
): Promise<{ set: Verdict[]; fn: Verdict[] }> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const { rows: panels } = await client.query<{ id: string }>(
      `insert into panels (name, base_url, auth) values ('p', 'http://127.0.0.1:1/', '{"kind":"token","token":"x"}')
       returning id`,
    );
    const panelId = panels[0]!.id;
    const ids: string[] = [];
    for (const [index, user] of users.entries()) {
      const { rows } = await client.query<{ id: string }>(
        'insert into users (telegram_id, banned_at) values ($1, $2) returning id',
        [800_000 + index, user.bannedAt === undefined ? null : h(user.bannedAt)],
      );
      const userId = rows[0]!.id;
      ids.push(userId);
      for (const period of user.periods) {
        await client.query(
          `insert into subscription_periods (user_id, source, starts_at, ends_at, cancelled_at)
           values ($1, 'admin', $2, $3, $4)`,
          [userId, h(period.from), h(period.to), period.cancelled === undefined ? null : h(period.cancelled)],
        );
      }
      await client.query('insert into vpn_keys (user_id, panel_id, inbound_id) values ($1, $2, 1)', [
        userId,
        panelId,
      ]);
    }
    const at = h(atOffset);
    const grace = `${String(graceHours)} hours`;
    const { rows: set } = await client.query<{
      user_id: string;
      is_entitled: boolean;
      entitled_until: Date | null;
      next_boundary: Date | null;
    }>(KEYS_SQL, [at, grace, [panelId], null]);
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
    await client.query('rollback');
    const bySet = new Map(set.map((row) => [row.user_id, row]));
    const byFn = new Map(fn.map((row) => [row.user_id, row]));
    return {
      set: ids.map((id) => {
        const row = bySet.get(id)!;
        return {
          isEntitled: row.is_entitled,
          entitledUntil: toHours(row.entitled_until),
          nextBoundaryAt: toHours(row.next_boundary),
        };
      }),
      fn: ids.map((id) => {
        const row = byFn.get(id)!;
        return {
          isEntitled: row.is_entitled,
          entitledUntil: toHours(row.entitled_until),
          nextBoundaryAt: toHours(row.next_boundary_at),
        };
      }),
    };
  } finally {
    client.release();
  }
}

describe('the set-based entitlement of the snapshot agrees with kw_entitlements', () => {
  it.each(ENTITLEMENT_CASES.map((testCase, index) => ({ ...testCase, index })))('$name', async (testCase) => {
    const { set, fn } = await evaluate(
      database().pool,
      [{ periods: testCase.periods, bannedAt: testCase.bannedAt }],
      testCase.atOffset ?? 0,
      testCase.graceHours ?? 0,
    );
    expect(set).toEqual(fn);
    expect(set[0]).toEqual(testCase.expected);
  });

  it('on random periods, cancellations, bans and grace', async () => {
    const period = fc
      .record({
        from: fc.integer({ min: -60, max: 60 }),
        length: fc.integer({ min: 1, max: 48 }),
        cancelled: fc.option(fc.integer({ min: -60, max: 60 }), { nil: undefined }),
      })
      .map(({ from, length, cancelled }): CasePeriod =>
        cancelled === undefined ? { from, to: from + length } : { from, to: from + length, cancelled },
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
          const { set, fn } = await evaluate(database().pool, users, atOffset, graceHours);
          expect(set).toEqual(fn);
        },
      ),
      { numRuns: 40 },
    );
  });
});
