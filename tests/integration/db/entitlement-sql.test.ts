import { describe, expect, it } from 'vitest';
import { AT, ENTITLEMENT_CASES, h } from '../../fixtures/entitlement-cases.ts';
import { useTestDatabase } from '../../support/database.ts';

const database = useTestDatabase();

describe('kw_entitlements (SQL) agrees with the shared case table', () => {
  it.each(ENTITLEMENT_CASES.map((testCase, index) => ({ ...testCase, index })))('$name', async (testCase) => {
    const { pool } = database();
    const client = await pool.connect();
    try {
      await client.query('begin');
      const { rows: users } = await client.query<{ id: string }>(
        'insert into users (telegram_id, banned_at) values ($1, $2) returning id',
        [900_000 + testCase.index, testCase.bannedAt === undefined ? null : h(testCase.bannedAt)],
      );
      const userId = users[0]!.id;
      for (const period of testCase.periods) {
        await client.query(
          `insert into subscription_periods (user_id, source, starts_at, ends_at, cancelled_at)
           values ($1, 'admin', $2, $3, $4)`,
          [userId, h(period.from), h(period.to), period.cancelled === undefined ? null : h(period.cancelled)],
        );
      }
      const { rows } = await client.query<{
        is_entitled: boolean;
        entitled_until: Date | null;
        next_boundary_at: Date | null;
      }>(
        `select is_entitled, entitled_until, next_boundary_at
         from kw_entitlements($1, make_interval(hours => $2)) where user_id = $3`,
        [h(testCase.atOffset ?? 0), testCase.graceHours ?? 0, userId],
      );
      await client.query('rollback');
      const row = rows[0]!;
      const toHours = (date: Date | null): number | null =>
        date === null ? null : (date.getTime() - AT.getTime()) / 3_600_000;
      expect({
        isEntitled: row.is_entitled,
        entitledUntil: toHours(row.entitled_until),
        nextBoundaryAt: toHours(row.next_boundary_at),
      }).toEqual(testCase.expected);
    } finally {
      client.release();
    }
  });
});
