import { describe, expect, it } from 'vitest';
import { redeemLoginToken } from '../../../src/db/index.ts';
import { textUpdate } from '../../fakes/telegram-updates.ts';
import { useTestDatabase } from '../../support/database.ts';
import { ADMIN_ID, botConfig, testBot, textOf, tgUserFactory, useFakeBotApi } from './support.ts';

const database = useTestDatabase();
const fake = useFakeBotApi();
const newTgUser = tgUserFactory(300_000, 'Carol');

describe('/console', () => {
  it('gives an admin a one-time console link without a link preview, and audits it', async () => {
    const bot = testBot(
      database().pool,
      fake(),
      botConfig({ consolePublicUrl: 'https://admin.example.net/' }),
    );
    await bot.handleUpdate(textUpdate({ ...newTgUser(), id: ADMIN_ID }, '/console'));
    const call = fake().callsOf('sendMessage')[0];
    const match = /https:\/\/admin\.example\.net\/login\?token=([A-Za-z0-9_-]{43})/.exec(textOf(call));
    expect(match).not.toBeNull();
    expect(call?.params['link_preview_options']).toEqual({ is_disabled: true });
    expect(await redeemLoginToken(database().pool, match![1]!)).toEqual({
      kind: 'ok',
      adminTelegramId: ADMIN_ID,
    });
    const { rows } = await database().pool.query<{ actor: string; admin_telegram_id: string }>(
      `select actor, admin_telegram_id from admin_audit where action = 'console.link'`,
    );
    expect(rows).toEqual([{ actor: 'bot', admin_telegram_id: String(ADMIN_ID) }]);
  });

  it('refuses a non-admin and creates no link', async () => {
    const count = async (): Promise<number> =>
      (await database().pool.query<{ n: number }>('select count(*)::int as n from console_login_tokens'))
        .rows[0]!.n;
    const before = await count();
    await testBot(database().pool, fake()).handleUpdate(textUpdate(newTgUser(), '/console'));
    expect(textOf(fake().callsOf('sendMessage')[0])).toContain('administrators only');
    expect(await count()).toBe(before);
  });
});
