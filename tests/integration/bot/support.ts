/** Shared set-up of the bot integration tests: a bot on a test database and the fake Bot API. */
import type { Bot } from 'grammy';
import type pg from 'pg';
import { createBot, type BotConfig, type BotContext, type BotObserver } from '../../../src/bot/index.ts';
import { createLogger } from '../../../src/shared/index.ts';
import { FAKE_BOT_INFO, type FakeBotApi, type RecordedCall } from '../../fakes/fake-bot-api.ts';

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
