/**
 * Expiry reminders (issue 16): configurable days, the nearest window only, none when the coverage
 * extends further, once per period, a one-tap renew button or autopay's "will charge X on DATE", and
 * counted by the outbox metric.
 */
import { describe, expect, it } from 'vitest';
import { deliverOutboxOnce, enqueueExpiryReminders } from '../../../src/bot/index.ts';
import { grantPeriod, saveAutopayMethod, upsertPlan } from '../../../src/db/index.ts';
import type { UserId } from '../../../src/domain/index.ts';
import { insertUser } from '../../support/builders.ts';
import { useTestDatabase } from '../../support/database.ts';
import { buttonsOf, recordingObserver, silentLogger, testBot, textOf, useFakeBotApi } from './support.ts';

const database = useTestDatabase();
const fake = useFakeBotApi();
const HOUR = 3_600_000;
const REMINDERS = { days: [5, 2], autopay: { currency: 'RUB', leadMs: 24 * HOUR } } as const;

async function customer(...periodsMs: number[]): Promise<UserId> {
  const pool = database().pool;
  const userId = await insertUser(pool);
  for (const durationMs of periodsMs) {
    await grantPeriod(pool, { userId, source: 'admin', durationMs });
  }
  return userId;
}

async function remindersOf(
  userId: UserId,
): Promise<Array<{ dedupe_key: string; payload: Record<string, unknown> }>> {
  const { rows } = await database().pool.query<{ dedupe_key: string; payload: Record<string, unknown> }>(
    `select dedupe_key, payload from outbox where user_id = $1 and kind = 'expiry-reminder' order by id`,
    [userId],
  );
  return rows;
}

describe('expiry reminders', () => {
  it('queues the configured days, only the nearest window, once per period, and none when coverage extends further', async () => {
    const pool = database().pool;
    const inFourDays = await customer(4 * 24 * HOUR);
    const inOneDay = await customer(30 * HOUR);
    const extended = await customer(30 * HOUR, 30 * 24 * HOUR);
    await enqueueExpiryReminders(pool, 0, REMINDERS);
    await enqueueExpiryReminders(pool, 0, REMINDERS);
    expect((await remindersOf(inFourDays)).map((r) => r.payload['days'])).toEqual([5]);
    expect((await remindersOf(inOneDay)).map((r) => r.payload['days'])).toEqual([2]);
    expect(await remindersOf(extended)).toEqual([]);
  });

  it('offers a one-tap renew, or says what autopay will charge and when, and counts each sent reminder', async () => {
    const pool = database().pool;
    const plain = await customer(30 * HOUR);
    const withAutopay = await customer(30 * HOUR);
    const plan = await upsertPlan(pool, {
      code: 'remind-month',
      title: 'Month',
      durationDays: 30,
      price: '299',
      currency: 'RUB',
    });
    await saveAutopayMethod(pool, { userId: withAutopay, planId: plan.id, paymentMethodId: 'pm-remind' });
    const observer = recordingObserver();
    const bot = testBot(pool, fake());
    await deliverOutboxOnce({
      api: bot.api,
      pool,
      logger: silentLogger,
      graceMs: 0,
      messagesPerSecond: 30,
      intervalMs: 1000,
      reminders: REMINDERS,
      observer,
    });
    const autopayReminder = (await remindersOf(withAutopay))[0]?.payload;
    expect(autopayReminder).toMatchObject({ autopay: { amount: '299.00000000', currency: 'RUB' } });
    const chatOf = async (userId: UserId) => {
      const { rows } = await pool.query<{ telegram_id: string }>(
        'select telegram_id from users where id = $1',
        [userId],
      );
      return Number(rows[0]!.telegram_id);
    };
    const sent = fake().callsOf('sendMessage');
    const plainChat = await chatOf(plain);
    const autopayChat = await chatOf(withAutopay);
    const plainCall = sent.find((call) => call.params['chat_id'] === plainChat);
    const autopayCall = sent.find((call) => call.params['chat_id'] === autopayChat);
    expect(buttonsOf(plainCall)).toEqual(['plans']);
    expect(textOf(autopayCall)).toContain('Automatic renewal will charge 299 RUB');
    expect(buttonsOf(autopayCall)).toEqual(['autopayoff']);
    expect(
      observer.events.filter(([, kind, outcome]) => kind === 'expiry-reminder' && outcome === 'sent').length,
    ).toBeGreaterThanOrEqual(2);
  });
});
