import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { loadMigrations, migrate } from '../../../src/db/index.ts';
import { createTestDatabase } from '../../support/database.ts';

describe('migration 003 (quota baseline)', () => {
  it('keeps tracked keys counting their current period from 0, and leaves keys without a covering period unset', async () => {
    const database = await createTestDatabase({ empty: true });
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const all = await loadMigrations();
      await migrate(
        client,
        all.filter((migration) => migration.version < 3),
      );
      const {
        rows: [panel],
      } = await client.query<{ id: string }>(
        `insert into panels (name, base_url, auth) values ('p', 'http://127.0.0.1:1/', '{"kind":"token","token":"t"}')
         returning id`,
      );
      const keyOf = async (telegramId: number, periodOffsets: string | null): Promise<string> => {
        const {
          rows: [user],
        } = await client.query<{ id: string }>('insert into users (telegram_id) values ($1) returning id', [
          telegramId,
        ]);
        if (periodOffsets !== null) {
          await client.query(
            `insert into subscription_periods (user_id, source, starts_at, ends_at)
             values ($1, 'admin', now() + $2::interval, now() + $2::interval + interval '1 day')`,
            [user!.id, periodOffsets],
          );
        }
        const {
          rows: [key],
        } = await client.query<{ id: string }>(
          'insert into vpn_keys (user_id, panel_id, inbound_id) values ($1, $2, 1) returning id',
          [user!.id, panel!.id],
        );
        await client.query(
          `insert into key_state (key_id, desired, observed, converged) values ($1, '{}', '{}', true)`,
          [key!.id],
        );
        return key!.id;
      };
      const covered = await keyOf(1, '-1 hour');
      const lapsed = await keyOf(2, '-2 days');
      const never = await keyOf(3, null);

      await migrate(client, all);

      const { rows } = await client.query<{ key_id: string; period: string | null; bytes: string | null }>(
        `select s.key_id::text, s.quota_period_id::text as period, s.quota_baseline_bytes::text as bytes
         from key_state s order by s.key_id`,
      );
      const { rows: periods } = await client.query<{ id: string }>(
        `select p.id::text from subscription_periods p join vpn_keys k on k.user_id = p.user_id where k.id = $1`,
        [covered],
      );
      expect(rows).toEqual([
        { key_id: covered, period: periods[0]!.id, bytes: '0' },
        { key_id: lapsed, period: null, bytes: null },
        { key_id: never, period: null, bytes: null },
      ]);
    } finally {
      await client.end();
      await database.drop();
    }
  });
});
