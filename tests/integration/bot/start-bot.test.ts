import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { startBot } from '../../../src/bot/index.ts';
import { loadConfig } from '../../../src/config/index.ts';
import { createLogger } from '../../../src/shared/index.ts';
import { FAKE_BOT_INFO } from '../../fakes/fake-bot-api.ts';
import { callbackUpdate, textUpdate } from '../../fakes/telegram-updates.ts';
import { useTestDatabase } from '../../support/database.ts';
import { captureLogger } from '../../support/webhooks.ts';
import { silentLogger, useFakeBotApi } from './support.ts';

const database = useTestDatabase();
const fake = useFakeBotApi();

const env = (extra: Record<string, string>): Record<string, string> => ({
  KEYWARDEN_TELEGRAM_API_ROOT: fake().apiRoot,
  KEYWARDEN_OUTBOX_INTERVAL: '50ms',
  ...extra,
});

describe('startBot', () => {
  it('is off without a bot token and says so once', async () => {
    const lines: string[] = [];
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').trim().split('\n')));
    const logger = createLogger({ level: 'info', destination: stream });
    const handle = await startBot({ pool: database().pool, config: loadConfig(env({})), logger });
    await handle.done;
    await handle.close();
    expect(handle.isRunning).toBe(false);
    expect(lines.filter((line) => line.includes('TELEGRAM_BOT_TOKEN is not set'))).toHaveLength(1);
    expect(fake().calls).toHaveLength(0);
  });

  it('polls for updates, handles them, and stops gracefully on close', async () => {
    let delivered = false;
    fake().respond((call) => {
      if (call.method !== 'getUpdates' || delivered) {
        return undefined;
      }
      delivered = true;
      return { result: [textUpdate({ id: 400_101, first_name: 'Pat', language_code: 'en' }, '/start')] };
    });
    const handle = await startBot({
      pool: database().pool,
      config: loadConfig(env({ TELEGRAM_BOT_TOKEN: '123456:TEST-TOKEN' })),
      logger: silentLogger,
      botInfo: FAKE_BOT_INFO,
    });
    expect(handle.isRunning).toBe(true);
    // A webhook left from webhook mode would make getUpdates fail: it is removed first.
    expect(fake().callsOf('deleteWebhook')).toHaveLength(1);
    expect(
      fake()
        .callsOf('setMyCommands')
        .map((call) => call.params['language_code'] ?? 'default'),
    ).toEqual(['default', 'ru']);
    await expect.poll(() => fake().callsOf('sendMessage')[0]?.params['chat_id']).toBe(400_101);
    await handle.close();
    await handle.done;
    await handle.close();
  });

  it('stops when the signal aborts', async () => {
    const controller = new AbortController();
    const handle = await startBot({
      pool: database().pool,
      config: loadConfig(env({ TELEGRAM_BOT_TOKEN: '123456:TEST-TOKEN' })),
      logger: silentLogger,
      botInfo: FAKE_BOT_INFO,
      signal: controller.signal,
    });
    controller.abort();
    await handle.done;
  });

  it('in webhook mode sets the webhook with the secret and rejects updates without it', async () => {
    const handle = await startBot({
      pool: database().pool,
      config: loadConfig(
        env({
          TELEGRAM_BOT_TOKEN: '123456:TEST-TOKEN',
          KEYWARDEN_TELEGRAM_WEBHOOK_URL: 'https://bot.example.net/telegram',
          KEYWARDEN_TELEGRAM_WEBHOOK_SECRET: 'letmein_123',
          KEYWARDEN_TELEGRAM_WEBHOOK_HOST: '127.0.0.1',
          KEYWARDEN_TELEGRAM_WEBHOOK_PORT: '0',
        }),
      ),
      logger: silentLogger,
      botInfo: FAKE_BOT_INFO,
    });
    try {
      expect(fake().callsOf('setWebhook')[0]?.params).toMatchObject({
        url: 'https://bot.example.net/telegram',
        secret_token: 'letmein_123',
      });
      const url = handle.webhookListenUrl ?? '';
      const update = JSON.stringify(
        textUpdate({ id: 400_001, first_name: 'Eve', language_code: 'en' }, '/start'),
      );
      const forged = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 'wrong' },
        body: update,
      });
      expect(forged.status).toBe(401);
      expect(fake().callsOf('sendMessage')).toHaveLength(0);
      const genuine = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 'letmein_123' },
        body: update,
      });
      expect(genuine.status).toBe(200);
      expect(fake().callsOf('sendMessage')[0]?.params['chat_id']).toBe(400_001);
    } finally {
      await handle.close();
    }
    await handle.done;
  });

  it('refuses webhook mode without a secret, naming the variable', async () => {
    await expect(
      startBot({
        pool: database().pool,
        config: loadConfig(
          env({
            TELEGRAM_BOT_TOKEN: '123456:TEST-TOKEN',
            KEYWARDEN_TELEGRAM_WEBHOOK_URL: 'https://bot.example.net/telegram',
          }),
        ),
        logger: silentLogger,
        botInfo: FAKE_BOT_INFO,
      }),
    ).rejects.toThrow('KEYWARDEN_TELEGRAM_WEBHOOK_SECRET');
  });

  it('logs a failing handler without the bot token or the update, and answers an id beyond bigint (issue 12)', async () => {
    const TOKEN = '7312345678:AAH-SeCrEtBoTtOkEn_abcdefghijklmnop';
    const { logger, lines } = captureLogger('trace');
    const handle = await startBot({
      pool: database().pool,
      config: loadConfig(
        env({
          TELEGRAM_BOT_TOKEN: TOKEN,
          KEYWARDEN_TELEGRAM_WEBHOOK_URL: 'https://bot.example.net/telegram',
          KEYWARDEN_TELEGRAM_WEBHOOK_SECRET: 'letmein_123',
          KEYWARDEN_TELEGRAM_WEBHOOK_HOST: '127.0.0.1',
          KEYWARDEN_TELEGRAM_WEBHOOK_PORT: '0',
        }),
      ),
      logger,
      botInfo: FAKE_BOT_INFO,
    });
    const deliver = (update: unknown) =>
      fetch(handle.webhookListenUrl ?? '', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 'letmein_123' },
        body: JSON.stringify(update),
      });
    const user = { id: 400_077, first_name: 'Zoyá-Secretname', language_code: 'en' };
    try {
      // The callback id no longer reaches the database: a stale-button answer, 200, no redelivery.
      const beyond = await deliver(callbackUpdate(user, 'show:9999999999999999999'));
      expect(beyond.status).toBe(200);
      expect(fake().callsOf('answerCallbackQuery')).toHaveLength(1);
      // Any handler failure: here every reply fails at the Bot API.
      fake().respond((call) =>
        call.method === 'sendMessage'
          ? { errorCode: 400, description: 'Bad Request: chat not found' }
          : undefined,
      );
      const failing = textUpdate(user, '/start');
      const answer = await deliver(failing);
      expect(answer.status).toBe(500);
      await expect.poll(() => lines().find((line) => line.includes('bot handler failed'))).toBeDefined();
      const failure = JSON.parse(
        lines().find((line) => line.includes('bot handler failed')) ?? '{}',
      ) as Record<string, unknown>;
      expect(failure).toMatchObject({
        updateId: failing.update_id,
        updateType: 'message',
        err: { type: 'GrammyError', message: expect.stringContaining('chat not found') as string },
      });
    } finally {
      await handle.close();
    }
    await handle.done;
    const output = lines().join('\n');
    expect(output).not.toContain(TOKEN);
    expect(output).not.toContain('AAH-SeCrEtBoTtOkEn');
    expect(output).not.toContain('Secretname');
  });
});
