/** Shared set-up of the bot integration tests: a bot on a test database and the fake Bot API. */
import type { Bot } from 'grammy';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createBot, type BotConfig, type BotContext, type BotObserver } from '../../../src/bot/index.ts';
import { upsertPlan, type PlanRecord } from '../../../src/db/index.ts';
import { createLogger } from '../../../src/shared/index.ts';
import {
  FAKE_BOT_INFO,
  startFakeBotApi,
  type FakeBotApi,
  type RecordedCall,
} from '../../fakes/fake-bot-api.ts';
import type { TgUser } from '../../fakes/telegram-updates.ts';

/** The admin's Telegram id in these tests. */
export const ADMIN_ID = 900_000_001;

/** A silent logger. */
export const silentLogger = createLogger({ level: 'silent' });

/** Bot settings with overrides. */
export function botConfig(overrides: Partial<BotConfig> = {}): BotConfig {
  return {
    graceMs: 0,
    adminTelegramIds: new Set([ADMIN_ID]),
    trialDurationMs: 3 * 86_400_000,
    checkoutLinks: [],
    subPublicUrl: undefined,
    subTokenSecret: undefined,
    subTitle: 'VPN',
    ...overrides,
  };
}

/** A bot on `pool` talking to `fake`. */
export function testBot(
  pool: pg.Pool,
  fake: FakeBotApi,
  config: BotConfig = botConfig(),
  observer?: BotObserver,
): Bot<BotContext> {
  return createBot(
    '123456:TEST-TOKEN',
    { pool, logger: silentLogger, config, ...(observer === undefined ? {} : { observer }) },
    { apiRoot: fake.apiRoot, botInfo: FAKE_BOT_INFO },
  );
}

/** Text of a recorded sendMessage call. */
export const textOf = (call: RecordedCall | undefined): string => {
  const text = call?.params['text'];
  return typeof text === 'string' ? text : '';
};

/** Callback data of every inline button of a recorded call. */
export function buttonsOf(call: RecordedCall | undefined): string[] {
  const markup = call?.params['reply_markup'] as
    { inline_keyboard?: Array<Array<{ callback_data?: string; url?: string }>> } | undefined;
  return (markup?.inline_keyboard ?? []).flat().map((button) => button.callback_data ?? button.url ?? '');
}

/** An observer that records every event, in order. */
export function recordingObserver(): BotObserver & { readonly events: Array<[string, string, string]> } {
  const events: Array<[string, string, string]> = [];
  return {
    events,
    onOutbox: (kind, outcome) => events.push(['outbox', kind, outcome]),
    onPayment: (provider, outcome) => events.push(['payment', provider, outcome]),
  };
}

/** Starts the fake Bot API for this test file (reset after each test, closed after all); returns its getter. */
export function useFakeBotApi(): () => FakeBotApi {
  let fake: FakeBotApi | undefined;
  beforeAll(async () => {
    fake = await startFakeBotApi();
  });
  afterEach(() => {
    fake?.reset();
  });
  afterAll(async () => {
    await fake?.close();
  });
  return () => {
    if (fake === undefined) {
      throw new Error('the fake Bot API is not started yet (use it inside a test)');
    }
    return fake;
  };
}

/** A maker of fresh Telegram users named `firstName`, with ids counting up from `firstId`. */
export function tgUserFactory(firstId: number, firstName: string): (overrides?: Partial<TgUser>) => TgUser {
  let nextTelegramId = firstId;
  return (overrides = {}) => {
    nextTelegramId += 1;
    return {
      id: nextTelegramId,
      first_name: firstName,
      username: `${firstName.toLowerCase()}${nextTelegramId}`,
      language_code: 'en',
      ...overrides,
    };
  };
}

/** Our user id of the user registered with `telegramId`. */
export async function userIdByTelegramId(pool: pg.Pool, telegramId: number): Promise<string> {
  const { rows } = await pool.query<{ id: string }>('select id from users where telegram_id = $1', [
    telegramId,
  ]);
  return rows[0]!.id;
}

/** Upserts a 30-day plan `code` titled Month at 299 RUB and 250 Telegram Stars. */
export function upsertStarsPlan(pool: pg.Pool, code: string): Promise<PlanRecord> {
  return upsertPlan(pool, {
    code,
    title: 'Month',
    durationDays: 30,
    price: '299',
    currency: 'RUB',
    prices: { XTR: '250' },
  });
}
