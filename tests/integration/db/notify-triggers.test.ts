import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertPanel, insertUser } from '../../support/builders.ts';
import { useTestDatabase } from '../../support/database.ts';

const database = useTestDatabase();
let listener: pg.Client;
const received: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  listener = new pg.Client({ connectionString: database().url });
  await listener.connect();
  listener.on('notification', (message) => {
    if (message.channel === 'keywarden' && message.payload !== undefined) {
      received.push(JSON.parse(message.payload) as Record<string, unknown>);
    }
  });
  await listener.query('listen keywarden');
});

afterAll(async () => {
  await listener.end();
});

/** Runs `change`, then returns the notifications it caused (NOTIFY is delivered at commit). */
async function notificationsOf(change: () => Promise<unknown>): Promise<Array<Record<string, unknown>>> {
  received.length = 0;
  await change();
  await listener.query('select 1');
  await new Promise((resolve) => setTimeout(resolve, 50));
  return [...received];
}

describe('NOTIFY triggers on channel keywarden', () => {
  it('names the user when a period is inserted, extended or cancelled', async () => {
    const { pool } = database();
    const userId = await insertUser(pool);
    const inserted = await notificationsOf(() =>
      pool.query(
        `insert into subscription_periods (user_id, source, starts_at, ends_at) values ($1, 'admin', now(), now() + interval '1 day')`,
        [userId],
      ),
    );
    expect(inserted).toEqual([{ table: 'subscription_periods', user_id: Number(userId) }]);
    const cancelled = await notificationsOf(() =>
      pool.query('update subscription_periods set cancelled_at = now() where user_id = $1', [userId]),
    );
    expect(cancelled).toHaveLength(1);
  });

  it('stays silent when an irrelevant column changes', async () => {
    const { pool } = database();
    const userId = await insertUser(pool);
    const renamed = await notificationsOf(() =>
      pool.query("update users set username = 'someone' where id = $1", [userId]),
    );
    expect(renamed).toEqual([]);
    const banned = await notificationsOf(() =>
      pool.query('update users set banned_at = now() where id = $1', [userId]),
    );
    expect(banned).toEqual([{ table: 'users', user_id: Number(userId) }]);
  });

  it('names key, user and panel when a key is inserted or revoked', async () => {
    const { pool } = database();
    const userId = await insertUser(pool);
    let panelId = '';
    const created = await notificationsOf(async () => {
      panelId = await insertPanel(pool);
    });
    expect(created).toEqual([{ table: 'panels', panel_id: Number(panelId) }]);
    const inserted = await notificationsOf(() =>
      pool.query('insert into vpn_keys (user_id, panel_id, inbound_id) values ($1, $2, 1)', [
        userId,
        panelId,
      ]),
    );
    expect(inserted).toEqual([
      {
        table: 'vpn_keys',
        key_id: expect.any(Number) as number,
        user_id: Number(userId),
        panel_id: Number(panelId),
      },
    ]);
    const suspended = await notificationsOf(() =>
      pool.query('update panels set suspended = true where id = $1', [panelId]),
    );
    expect(suspended).toEqual([{ table: 'panels', panel_id: Number(panelId) }]);
  });
});
