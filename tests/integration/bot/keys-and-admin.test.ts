import type { Bot } from 'grammy';
import type { BotContext } from '../../../src/bot/index.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { grantPeriod, replaceKey, upsertPlan } from '../../../src/db/index.ts';
import { asKeyId, asUserId } from '../../../src/domain/index.ts';
import { callbackUpdate, textUpdate, type TgUser } from '../../fakes/telegram-updates.ts';
import { insertInbound, insertPanel } from '../../support/builders.ts';
import { useTestDatabase } from '../../support/database.ts';
import {
  ADMIN_ID,
  buttonsOf,
  testBot,
  textOf,
  tgUserFactory,
  useFakeBotApi,
  userIdByTelegramId,
} from './support.ts';

const database = useTestDatabase();
const fake = useFakeBotApi();

beforeAll(async () => {
  const pool = database().pool;
  const panel = await insertPanel(pool, { baseUrl: 'https://panel.example.net:2053/secret/' });
  await pool.query(`update panels set public_host = 'nl1.example.net' where id = $1`, [panel]);
  await insertInbound(pool, panel, 1, {
    protocol: 'vless',
    settings: { encryption: 'none', clients: [] },
    streamSettings: {
      network: 'tcp',
      security: 'reality',
      realitySettings: {
        serverNames: ['www.microsoft.com'],
        shortIds: ['6ba85179e30d4fc2'],
        settings: {
          publicKey: 'Z84J2IelR9ch3k8VtlVhhs5ycBUlXA7wHBWcBrjqnAw',
          fingerprint: 'chrome',
          spiderX: '/',
        },
      },
    },
  });
});

const newTgUser = tgUserFactory(200_000, 'Bob');

async function registered(user: TgUser): Promise<string> {
  await testBot(database().pool, fake()).handleUpdate(textUpdate(user, '/start'));
  fake().reset();
  return userIdByTelegramId(database().pool, user.id);
}

/** A registered user with a one-day admin grant who has asked for a key once, and the bot that served them. */
async function userWithKey(
  user: TgUser = newTgUser(),
): Promise<{ user: TgUser; userId: string; bot: Bot<BotContext> }> {
  const pool = database().pool;
  const userId = await registered(user);
  await grantPeriod(pool, { userId: asUserId(userId), source: 'admin', durationMs: 86_400_000 });
  const bot = testBot(pool, fake());
  await bot.handleUpdate(callbackUpdate(user, 'getkey'));
  return { user, userId, bot };
}

async function liveKeys(userId: string): Promise<Array<{ id: string; client_uuid: string }>> {
  const { rows } = await database().pool.query<{ id: string; client_uuid: string }>(
    'select id, client_uuid::text from vpn_keys where user_id = $1 and revoked_at is null order by id',
    [userId],
  );
  return rows;
}

describe('keys', () => {
  it('issues keys up to the plan’s max_keys and refuses the next one', async () => {
    const pool = database().pool;
    const plan = await upsertPlan(pool, {
      code: 'duo',
      title: 'Duo',
      durationDays: 30,
      price: '1',
      currency: 'RUB',
      maxKeys: 2,
    });
    const user = newTgUser();
    const userId = await registered(user);
    await grantPeriod(pool, {
      userId: asUserId(userId),
      source: 'admin',
      planId: plan.id,
      durationMs: 86_400_000,
    });
    const bot = testBot(pool, fake());
    for (let i = 0; i < 3; i += 1) {
      await bot.handleUpdate(callbackUpdate(user, 'getkey'));
    }
    expect(await liveKeys(userId)).toHaveLength(2);
    const texts = fake().callsOf('sendMessage').map(textOf);
    expect(texts[0]).toContain('being set up');
    expect(texts[2]).toContain('maximum of 2 key(s)');
  });

  it('gives no key to a user without a subscription and leads to the plans', async () => {
    const user = newTgUser();
    const userId = await registered(user);
    await testBot(database().pool, fake()).handleUpdate(callbackUpdate(user, 'getkey'));
    expect(await liveKeys(userId)).toHaveLength(0);
    const reply = fake().callsOf('sendMessage')[0];
    expect(textOf(reply)).toContain('needs an active subscription');
    expect(buttonsOf(reply)).toEqual(['plans']);
  });

  it('lists keys with the status the reconciler recorded, and shows the link and a QR code', async () => {
    const pool = database().pool;
    const { user, userId, bot } = await userWithKey();
    const [key] = await liveKeys(userId);
    await pool.query(`update vpn_keys set flow = 'xtls-rprx-vision' where id = $1`, [key!.id]);
    fake().reset();

    await bot.handleUpdate(callbackUpdate(user, 'keys'));
    expect(textOf(fake().callsOf('sendMessage')[0])).toContain('being set up');

    await pool.query(
      `insert into key_state (key_id, desired, observed, converged) values ($1, $2, '{}', true)`,
      [key!.id, JSON.stringify({ kind: 'disabled', reason: 'quota-exhausted' })],
    );
    await bot.handleUpdate(callbackUpdate(user, 'keys'));
    expect(textOf(fake().callsOf('sendMessage')[1])).toContain('suspended: the traffic limit is used up');

    await pool.query(`update key_state set desired = $2, converged = true where key_id = $1`, [
      key!.id,
      JSON.stringify({ kind: 'enabled', reason: 'entitled' }),
    ]);
    await bot.handleUpdate(callbackUpdate(user, 'keys'));
    const list = fake().callsOf('sendMessage')[2];
    expect(textOf(list)).toContain('1. ✅ active');
    expect(buttonsOf(list)).toEqual([`show:${key!.id}`, `repl:${key!.id}`, `revoke:${key!.id}`, 'menu']);

    await bot.handleUpdate(callbackUpdate(user, `show:${key!.id}`));
    expect(textOf(fake().callsOf('sendMessage')[3])).toContain(
      `vless://${key!.client_uuid}@nl1.example.net:40001?encryption=none&amp;flow=xtls-rprx-vision&amp;fp=chrome`,
    );
    const params = fake().callsOf('sendPhoto')[0]?.params ?? {};
    const photo = params['photo'] as { bytes: Buffer } | undefined;
    expect(photo?.bytes.subarray(0, 8)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );
  });

  it('replaces a key (new key, old one revoked) and revokes a key', async () => {
    const { user, userId, bot } = await userWithKey();
    const [first] = await liveKeys(userId);
    await bot.handleUpdate(callbackUpdate(user, `repl:${first!.id}`));
    const afterReplace = await liveKeys(userId);
    expect(afterReplace).toHaveLength(1);
    expect(afterReplace[0]?.id).not.toBe(first!.id);
    await bot.handleUpdate(callbackUpdate(user, `revoke:${afterReplace[0]!.id}`));
    expect(await liveKeys(userId)).toHaveLength(0);
  });

  it('keeps a user within the key limit under eight concurrent replace presses from several chats (issue 12)', async () => {
    const pool = database().pool;
    const plan = await upsertPlan(pool, {
      code: 'duo-race',
      title: 'Duo',
      durationDays: 30,
      price: '1',
      currency: 'RUB',
      maxKeys: 2,
    });
    const user = newTgUser();
    const userId = await registered(user);
    await grantPeriod(pool, {
      userId: asUserId(userId),
      source: 'admin',
      planId: plan.id,
      durationMs: 86_400_000,
    });
    const bot = testBot(pool, fake());
    await bot.handleUpdate(callbackUpdate(user, 'getkey'));
    await bot.handleUpdate(callbackUpdate(user, 'getkey'));
    const keys = await liveKeys(userId);
    expect(keys).toHaveLength(2);
    // Four presses in the private chat and four in group chats, all at once.
    await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        bot.handleUpdate(
          callbackUpdate(
            user,
            `repl:${keys[index % 2]!.id}`,
            index < 4 ? undefined : { id: -1_000_000 - index, type: 'supergroup', title: 'Friends' },
          ),
        ),
      ),
    );
    expect(await liveKeys(userId)).toHaveLength(2);
    // The group presses were answered with a private-chat hint and changed nothing.
    const alerts = fake()
      .callsOf('answerCallbackQuery')
      .filter((call) => call.params['show_alert'] === true);
    expect(alerts).toHaveLength(4);
    expect(String(alerts[0]?.params['text'])).toContain('private chat');
  });

  it('replaces keys in the database under the user lock: concurrent replaces never pass the limit', async () => {
    const pool = database().pool;
    const plan = await upsertPlan(pool, {
      code: 'duo-db',
      title: 'Duo',
      durationDays: 30,
      price: '1',
      currency: 'RUB',
      maxKeys: 2,
    });
    const user = newTgUser();
    const userId = await registered(user);
    await grantPeriod(pool, {
      userId: asUserId(userId),
      source: 'admin',
      planId: plan.id,
      durationMs: 86_400_000,
    });
    const bot = testBot(pool, fake());
    await bot.handleUpdate(callbackUpdate(user, 'getkey'));
    await bot.handleUpdate(callbackUpdate(user, 'getkey'));
    const keys = await liveKeys(userId);
    expect(keys).toHaveLength(2);
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        replaceKey(pool, { userId: asUserId(userId), keyId: asKeyId(keys[index % 2]!.id) }),
      ),
    );
    expect(outcomes.filter((outcome) => outcome.kind === 'replaced')).toHaveLength(2);
    expect(outcomes.filter((outcome) => outcome.kind === 'not-found')).toHaveLength(6);
    expect(await liveKeys(userId)).toHaveLength(2);
  });

  it('does not revoke another user’s key', async () => {
    const { userId: ownerId, bot } = await userWithKey();
    const [key] = await liveKeys(ownerId);
    await bot.handleUpdate(callbackUpdate(newTgUser(), `revoke:${key!.id}`));
    expect(await liveKeys(ownerId)).toHaveLength(1);
    expect(textOf(fake().callsOf('sendMessage').at(-1))).toContain('not yours');
  });
});

describe('admin commands', () => {
  it.each(['/stats', '/user 1', '/grant 1 30d', '/ban 1', '/unban 1', '/held'])(
    'refuses %s to a non-admin',
    async (command) => {
      const pool = database().pool;
      const before = await pool.query<{ periods: number; banned: number }>(
        `select (select count(*)::int from subscription_periods) as periods, (select count(*)::int from users where banned_at is not null) as banned`,
      );
      await testBot(pool, fake()).handleUpdate(textUpdate(newTgUser(), command));
      expect(textOf(fake().callsOf('sendMessage')[0])).toContain('administrators only');
      const after = await pool.query<{ periods: number; banned: number }>(
        `select (select count(*)::int from subscription_periods) as periods, (select count(*)::int from users where banned_at is not null) as banned`,
      );
      expect(after.rows).toEqual(before.rows);
    },
  );

  it('lets an admin grant, look up, ban and unban a user, and read /stats', async () => {
    const pool = database().pool;
    const admin: TgUser = { id: ADMIN_ID, first_name: 'Root', language_code: 'en' };
    const target = newTgUser();
    const targetId = await registered(target);
    const bot = testBot(pool, fake());

    await bot.handleUpdate(textUpdate(admin, `/grant ${target.id} 30d`));
    expect(textOf(fake().callsOf('sendMessage')[0])).toContain('Granted');
    const periods = await pool.query<{ source: string; days: number }>(
      `select source, round(extract(epoch from ends_at - starts_at) / 86400)::int as days from subscription_periods where user_id = $1`,
      [targetId],
    );
    expect(periods.rows).toEqual([{ source: 'admin', days: 30 }]);

    await bot.handleUpdate(textUpdate(admin, `/user @${target.username ?? ''}`));
    const card = textOf(fake().callsOf('sendMessage')[1]);
    expect(card).toContain(`User #${targetId}, Telegram ${target.id}, @${target.username ?? ''}`);
    expect(card).toMatch(/Periods \(1\):\n {2}#\d+ admin: /);

    await bot.handleUpdate(textUpdate(admin, `/ban ${target.id}`));
    const banned = await pool.query<{ banned: boolean }>(
      'select banned_at is not null as banned from users where id = $1',
      [targetId],
    );
    expect(banned.rows[0]?.banned).toBe(true);
    await bot.handleUpdate(textUpdate(admin, `/unban ${target.id}`));
    const unbanned = await pool.query<{ banned: boolean }>(
      'select banned_at is not null as banned from users where id = $1',
      [targetId],
    );
    expect(unbanned.rows[0]?.banned).toBe(false);

    await bot.handleUpdate(textUpdate(admin, '/stats'));
    const stats = textOf(fake().callsOf('sendMessage').at(-1));
    expect(stats).toMatch(/Users: \d+, entitled: \d+, banned: \d+/);
    expect(stats).toContain('Keys: active');
    expect(stats).toContain('Held plans awaiting confirmation: 0');

    await bot.handleUpdate(textUpdate(admin, '/grant nobody 30d'));
    expect(textOf(fake().callsOf('sendMessage').at(-1))).toContain('No such user');
    await bot.handleUpdate(textUpdate(admin, `/grant ${target.id} soon`));
    expect(textOf(fake().callsOf('sendMessage').at(-1))).toContain('Usage');
  });

  it('refuses the held-plan confirm button to a non-admin', async () => {
    await testBot(database().pool, fake()).handleUpdate(callbackUpdate(newTgUser(), 'held:abcdef0123456789'));
    expect(String(fake().callsOf('answerCallbackQuery')[0]?.params['text'])).toContain('administrators only');
  });

  it.each(['/stats', '/grant 1 30d', 'held:abcdef0123456789'])(
    'creates no users row for an unknown sender of %s (issue 12)',
    async (input) => {
      const pool = database().pool;
      const stranger = newTgUser();
      const update = input.startsWith('/') ? textUpdate(stranger, input) : callbackUpdate(stranger, input);
      await testBot(pool, fake()).handleUpdate(update);
      const { rows } = await pool.query('select 1 from users where telegram_id = $1', [stranger.id]);
      expect(rows).toHaveLength(0);
    },
  );
});
