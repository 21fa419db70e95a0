import { describe, expect, it } from 'vitest';
import {
  admitDevice,
  findSubscriptionUser,
  grantPeriod,
  hashSubscriptionToken,
  listDevices,
  subscriptionTokenOf,
} from '../../../src/db/index.ts';
import { asUserId } from '../../../src/domain/index.ts';
import { callbackUpdate, textUpdate } from '../../fakes/telegram-updates.ts';
import { useTestDatabase } from '../../support/database.ts';
import {
  botConfig,
  buttonsOf,
  testBot,
  textOf,
  tgUserFactory,
  useFakeBotApi,
  userIdByTelegramId,
} from './support.ts';

const database = useTestDatabase();
const fake = useFakeBotApi();
const newTgUser = tgUserFactory(700_000, 'Sub');
const SECRET = 'bot-subscription-secret-0123456789abcdef';
const config = botConfig({
  subPublicUrl: 'https://sub.example.com/',
  subTokenSecret: SECRET,
  subTitle: 'Acme VPN',
});

async function entitledUser() {
  const pool = database().pool;
  const user = newTgUser();
  const bot = testBot(pool, fake(), config);
  await bot.handleUpdate(textUpdate(user, '/start'));
  const userId = asUserId(await userIdByTelegramId(pool, user.id));
  await grantPeriod(pool, { userId, source: 'admin', durationMs: 86_400_000 });
  fake().reset();
  return { user, userId, bot };
}

const URL_PATTERN = /https:\/\/sub\.example\.com\/sub\/([A-Za-z0-9_-]{32})/;

describe('bot: My subscription', () => {
  it('offers the button only when subscription URLs are configured', async () => {
    const pool = database().pool;
    const { user, bot } = await entitledUser();
    await bot.handleUpdate(textUpdate(user, '/menu'));
    expect(buttonsOf(fake().callsOf('sendMessage')[0])).toContain('sub');
    fake().reset();
    await testBot(pool, fake()).handleUpdate(textUpdate(user, '/menu'));
    expect(buttonsOf(fake().callsOf('sendMessage')[0])).not.toContain('sub');
  });

  it('shows the URL, its QR code, an import button per app and the browser page', async () => {
    const { user, userId, bot } = await entitledUser();
    await bot.handleUpdate(callbackUpdate(user, 'sub'));
    const message = fake().callsOf('sendMessage')[0];
    const token = URL_PATTERN.exec(textOf(message))?.[1];
    expect(token).toBe(await subscriptionTokenOf(database().pool, userId, SECRET));
    const url = `https://sub.example.com/sub/${token!}`;
    expect(buttonsOf(message)).toEqual([
      `${url}/import/happ`,
      `${url}/import/v2rayng`,
      `${url}/import/streisand`,
      `${url}/import/hiddify`,
      `${url}/import/singbox`,
      `${url}/import/clash`,
      url,
      'devs',
      'subrot',
      'menu',
    ]);
    const photo = fake().callsOf('sendPhoto')[0]?.params['photo'] as { bytes: Buffer } | undefined;
    expect(photo?.bytes.subarray(0, 4)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  });

  it('makes a new URL only after confirmation; the old one stops at once', async () => {
    const pool = database().pool;
    const { user, userId, bot } = await entitledUser();
    const old = await subscriptionTokenOf(pool, userId, SECRET);
    await bot.handleUpdate(callbackUpdate(user, 'subrot'));
    expect(buttonsOf(fake().callsOf('sendMessage')[0])).toEqual(['subrotok', 'sub']);
    expect(await findSubscriptionUser(pool, hashSubscriptionToken(old))).toBe(userId);
    await bot.handleUpdate(callbackUpdate(user, 'subrotok'));
    const shown = URL_PATTERN.exec(textOf(fake().callsOf('sendMessage')[2]))?.[1];
    expect(shown).toBeDefined();
    expect(shown).not.toBe(old);
    expect(await findSubscriptionUser(pool, hashSubscriptionToken(old))).toBeNull();
    expect(await findSubscriptionUser(pool, hashSubscriptionToken(shown!))).toBe(userId);
  });

  it('lists devices and removes one, but never another customer’s', async () => {
    const pool = database().pool;
    const { user, userId, bot } = await entitledUser();
    const other = await entitledUser();
    await admitDevice(
      pool,
      userId,
      {
        hwid: 'phone-000001',
        deviceOs: 'Android',
        osVersion: '14',
        deviceModel: 'Pixel 8',
        userAgent: 'Happ/3.7.0',
      },
      null,
    );
    await admitDevice(
      pool,
      other.userId,
      { hwid: 'phone-000002', deviceOs: null, osVersion: null, deviceModel: null, userAgent: null },
      null,
    );
    await bot.handleUpdate(callbackUpdate(user, 'devs'));
    const list = fake().callsOf('sendMessage')[0];
    expect(textOf(list)).toContain('1. Pixel 8 · Android 14 · Happ/3.7.0');
    const [mine] = await listDevices(pool, userId);
    const [theirs] = await listDevices(pool, other.userId);
    expect(buttonsOf(list)).toEqual([`devrm:${mine!.id}`, 'sub']);
    await bot.handleUpdate(callbackUpdate(user, `devrm:${theirs!.id}`));
    expect(textOf(fake().callsOf('sendMessage')[1])).toContain('not in your list');
    expect(await listDevices(pool, other.userId)).toHaveLength(1);
    await bot.handleUpdate(callbackUpdate(user, `devrm:${mine!.id}`));
    expect(textOf(fake().callsOf('sendMessage')[3])).toContain('removed');
    expect(await listDevices(pool, userId)).toHaveLength(0);
  });

  it('shows the URL only in a private chat', async () => {
    const { user, bot } = await entitledUser();
    const update = callbackUpdate(user, 'sub');
    const message = update.callback_query?.message;
    if (message !== undefined) {
      Object.assign(message, { chat: { id: -100_123, type: 'supergroup', title: 'Friends' } });
    }
    await bot.handleUpdate(update);
    expect(textOf(fake().callsOf('sendMessage')[0])).toContain('private chat');
    expect(fake().callsOf('sendPhoto')).toHaveLength(0);
  });

  it('says so when subscription URLs are not configured', async () => {
    const { user } = await entitledUser();
    await testBot(database().pool, fake()).handleUpdate(callbackUpdate(user, 'sub'));
    expect(textOf(fake().callsOf('sendMessage')[0])).toContain('not set up');
  });
});
