import { Api } from 'grammy';
import { afterEach, describe, expect, it } from 'vitest';
import { deliverOutboxOnce, enqueueExpiryReminders, type OutboxOptions } from '../../../src/bot/index.ts';
import { appendPeriod, withTransaction } from '../../../src/db/index.ts';
import type { UserId } from '../../../src/domain/index.ts';
import { insertUser } from '../../support/builders.ts';
import { useTestDatabase } from '../../support/database.ts';
import { recordingObserver, silentLogger, textOf, useFakeBotApi } from './support.ts';

const database = useTestDatabase();
const fake = useFakeBotApi();

afterEach(async () => {
  await database().pool.query(
    'update outbox set sent_at = now() where sent_at is null and undeliverable_at is null',
  );
});

const options = (overrides: Partial<OutboxOptions> = {}): OutboxOptions => ({
  api: new Api('123456:TEST-TOKEN', { apiRoot: fake().apiRoot }),
  pool: database().pool,
  logger: silentLogger,
  graceMs: 0,
  messagesPerSecond: 25,
  intervalMs: 50,
  ...overrides,
});

let nextTelegramId = 300_000;
async function newUser(): Promise<{ userId: UserId; telegramId: number }> {
  nextTelegramId += 1;
  return {
    userId: await insertUser(database().pool, { telegramId: nextTelegramId }),
    telegramId: nextTelegramId,
  };
}

async function enqueue(userId: UserId, kind: string, payload: object = {}): Promise<string> {
  const { rows } = await database().pool.query<{ id: string }>(
    `insert into outbox (user_id, kind, dedupe_key, payload) values ($1, $2, $3, $4) returning id`,
    [userId, kind, `${kind}:${userId}:${Math.random()}`, JSON.stringify(payload)],
  );
  return rows[0]!.id;
}

interface OutboxRow {
  sent: boolean;
  undeliverable: boolean;
  attempts: number;
  retry_in_ms: number | null;
  last_error: string | null;
}
async function rowOf(id: string): Promise<OutboxRow> {
  const { rows } = await database().pool.query<OutboxRow>(
    `select sent_at is not null as sent, undeliverable_at is not null as undeliverable, attempts,
            (extract(epoch from next_attempt_at - now()) * 1000)::int as retry_in_ms, last_error
     from outbox where id = $1`,
    [id],
  );
  return rows[0]!;
}

describe('outbox delivery', () => {
  it('sends queued messages in the user’s language and marks them sent', async () => {
    const a = await newUser();
    const id = await enqueue(a.userId, 'access-suspended', { reason: 'expired' });
    const result = await deliverOutboxOnce(options());
    expect(result).toMatchObject({ sent: 1, retried: 0, undeliverable: 0 });
    const call = fake().callsOf('sendMessage')[0];
    expect(call?.params['chat_id']).toBe(a.telegramId);
    expect(textOf(call)).toBe('Your VPN access is paused: the subscription has ended.');
    expect(await rowOf(id)).toMatchObject({ sent: true, undeliverable: false });
    expect(await deliverOutboxOnce(options())).toMatchObject({ sent: 0 });
  });

  it('marks a message to a user who blocked the bot (403) undeliverable and never retries it', async () => {
    const blocked = await newUser();
    fake().respond((call) =>
      call.params['chat_id'] === blocked.telegramId
        ? { errorCode: 403, description: 'Forbidden: bot was blocked by the user' }
        : undefined,
    );
    const id = await enqueue(blocked.userId, 'access-reactivated');
    const observer = recordingObserver();
    expect(await deliverOutboxOnce(options({ observer }))).toMatchObject({ undeliverable: 1 });
    expect(observer.events).toEqual([['outbox', 'access-reactivated', 'undeliverable']]);
    expect(await rowOf(id)).toMatchObject({
      sent: false,
      undeliverable: true,
      last_error: '403: Forbidden: bot was blocked by the user',
    });
    await deliverOutboxOnce(options());
    expect(fake().callsOf('sendMessage')).toHaveLength(1);
  });

  it('honours 429 retry_after: the message and the rest of the batch wait, without spending an attempt, then go out', async () => {
    const first = await newUser();
    const second = await newUser();
    let limited = true;
    fake().respond(() => {
      if (limited) {
        limited = false;
        return { errorCode: 429, description: 'Too Many Requests: retry after 1', retryAfter: 1 };
      }
      return undefined;
    });
    const idA = await enqueue(first.userId, 'access-reactivated');
    const idB = await enqueue(second.userId, 'access-reactivated');
    const result = await deliverOutboxOnce(options());
    expect(result).toMatchObject({ sent: 0, retried: 2, pauseMs: 1_000 });
    for (const id of [idA, idB]) {
      const row = await rowOf(id);
      expect(row).toMatchObject({ sent: false, undeliverable: false, attempts: 0 });
      expect(row.retry_in_ms).toBeGreaterThan(500);
      expect(row.retry_in_ms).toBeLessThanOrEqual(1_000);
    }
    expect(await deliverOutboxOnce(options())).toMatchObject({ sent: 0 });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await deliverOutboxOnce(options())).toMatchObject({ sent: 2 });
  });

  it('retries a transient failure with backoff and gives up after the last attempt', async () => {
    const user = await newUser();
    fake().respond(() => ({ errorCode: 502, description: 'Bad Gateway' }));
    const id = await enqueue(user.userId, 'access-reactivated');
    const fast = options({ maxAttempts: 2, backoff: { baseMs: 1, maxMs: 1 } });
    expect(await deliverOutboxOnce(fast)).toMatchObject({ retried: 1 });
    expect(await rowOf(id)).toMatchObject({
      sent: false,
      undeliverable: false,
      attempts: 1,
      last_error: '502: Bad Gateway',
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await deliverOutboxOnce(fast)).toMatchObject({ undeliverable: 1 });
    expect(await rowOf(id)).toMatchObject({ undeliverable: true, attempts: 2 });
  });

  it('never sends a message twice when two replicas deliver at once (SKIP LOCKED)', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      ids.push(await enqueue((await newUser()).userId, 'access-reactivated'));
    }
    const [one, two] = await Promise.all([deliverOutboxOnce(options()), deliverOutboxOnce(options())]);
    expect(one.sent + two.sent).toBe(10);
    expect(fake().callsOf('sendMessage')).toHaveLength(10);
    expect(
      new Set(
        fake()
          .callsOf('sendMessage')
          .map((call) => call.params['chat_id']),
      ).size,
    ).toBe(10);
  });

  it('sends a generic notice for a kind it does not know instead of dropping it', async () => {
    const user = await newUser();
    await enqueue(user.userId, 'something-new');
    expect(await deliverOutboxOnce(options())).toMatchObject({ sent: 1 });
    expect(textOf(fake().callsOf('sendMessage')[0])).toContain('news about your VPN access');
  });
});

describe('expiry reminders', () => {
  async function periodEndingIn(userId: UserId, ms: number): Promise<void> {
    await withTransaction(database().pool, (client) =>
      appendPeriod(client, { userId, planId: null, source: 'admin', paymentId: null, durationMs: ms }),
    );
  }
  async function remindersOf(userId: UserId): Promise<string[]> {
    const { rows } = await database().pool.query<{ dedupe_key: string }>(
      `select dedupe_key from outbox where user_id = $1 and kind = 'expiry-reminder' order by dedupe_key`,
      [userId],
    );
    return rows.map((row) => row.dedupe_key.replace(/:period:\d+$/, ''));
  }

  it('queues the 3-day reminder once per period, and the 1-day reminder when a day is left', async () => {
    const soon = await newUser();
    const later = await newUser();
    const tomorrow = await newUser();
    await periodEndingIn(soon.userId, 2.5 * 86_400_000);
    await periodEndingIn(later.userId, 10 * 86_400_000);
    await periodEndingIn(tomorrow.userId, 12 * 3_600_000);
    await enqueueExpiryReminders(database().pool, 0);
    await enqueueExpiryReminders(database().pool, 0);
    expect(await remindersOf(soon.userId)).toEqual(['expiry-reminder:3d']);
    expect(await remindersOf(later.userId)).toEqual([]);
    expect(await remindersOf(tomorrow.userId)).toEqual(['expiry-reminder:1d']);
  });

  it('does not remind a user whose next period continues the coverage', async () => {
    const renewed = await newUser();
    await periodEndingIn(renewed.userId, 2 * 86_400_000);
    // appendPeriod starts the second period at the end of the first: coverage runs for 32 days.
    await periodEndingIn(renewed.userId, 30 * 86_400_000);
    await enqueueExpiryReminders(database().pool, 0);
    expect(await remindersOf(renewed.userId)).toEqual([]);
  });

  it('sends the reminder with the end date', async () => {
    const user = await newUser();
    await periodEndingIn(user.userId, 2 * 86_400_000);
    expect(await deliverOutboxOnce(options())).toMatchObject({ sent: 1 });
    expect(textOf(fake().callsOf('sendMessage')[0])).toMatch(
      /^Your subscription ends on \d{4}-\d\d-\d\d \d\d:\d\d UTC\./,
    );
  });
});
