import { Api } from 'grammy';
import type { StarTransaction } from 'grammy/types';
import { describe, expect, it } from 'vitest';
import { sweepStarTransactions } from '../../../src/bot/index.ts';
import { encodeOrderReference } from '../../../src/domain/index.ts';
import { insertUser } from '../../support/builders.ts';
import { useTestDatabase } from '../../support/database.ts';
import { silentLogger, textOf, upsertStarsPlan, useFakeBotApi } from './support.ts';

const database = useTestDatabase();
const fake = useFakeBotApi();

const TELEGRAM_ID = 555_001;
const payer = { id: TELEGRAM_ID, is_bot: false, first_name: 'Ann' };

describe('Star transactions sweep', () => {
  it('records a payment whose update was lost, once, tells the user, and applies a lost refund', async () => {
    const pool = database().pool;
    await upsertStarsPlan(pool, 'sweep-month');
    const userId = await insertUser(pool, { telegramId: TELEGRAM_ID });
    const payload = encodeOrderReference({ userId, planCode: 'sweep-month' });
    const payment: StarTransaction = {
      id: 'stxLost1',
      amount: 250,
      date: 1_767_225_605,
      source: { type: 'user', transaction_type: 'invoice_payment', user: payer, invoice_payload: payload },
    };
    const foreign: StarTransaction = {
      id: 'stxForeign',
      amount: 10,
      date: 1_767_225_606,
      source: { type: 'user', transaction_type: 'invoice_payment', user: payer, invoice_payload: 'not-ours' },
    };
    let history: StarTransaction[] = [payment, foreign];
    fake().respond((call) => {
      if (call.method !== 'getStarTransactions') {
        return undefined;
      }
      const offset = Number(call.params['offset'] ?? 0);
      return { result: { transactions: history.slice(offset) } };
    });
    const options = {
      api: new Api('123456:TEST-TOKEN', { apiRoot: fake().apiRoot }),
      pool,
      logger: silentLogger,
    };

    const first = await sweepStarTransactions(options, 0);
    expect(first).toEqual({ seen: 2, recovered: 1, refunded: 0, nextOffset: 2 });
    expect(textOf(fake().callsOf('sendMessage')[0])).toContain('Payment received');
    const again = await sweepStarTransactions(options, 0);
    expect(again).toMatchObject({ seen: 2, recovered: 0 });
    const periods = await pool.query<{ cancelled: boolean }>(
      'select cancelled_at is not null as cancelled from subscription_periods where user_id = $1',
      [userId],
    );
    expect(periods.rows).toEqual([{ cancelled: false }]);

    history = [
      ...history,
      {
        id: 'stxLost1',
        amount: 250,
        date: 1_767_300_000,
        receiver: { type: 'user', transaction_type: 'invoice_payment', user: payer },
      },
    ];
    const refund = await sweepStarTransactions(options, first.nextOffset);
    expect(refund).toEqual({ seen: 1, recovered: 0, refunded: 1, nextOffset: 3 });
    const after = await pool.query<{ cancelled: boolean }>(
      'select cancelled_at is not null as cancelled from subscription_periods where user_id = $1',
      [userId],
    );
    expect(after.rows).toEqual([{ cancelled: true }]);
  });
});
