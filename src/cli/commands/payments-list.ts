import { listPayments } from '../../db/index.ts';
import { parseDurationMs } from '../../shared/index.ts';
import {
  AS_HELP,
  booleanFlag,
  stringFlag,
  subcommand,
  UsageError,
  wantsJson,
  type Command,
} from '../command.ts';
import { formatTable, println, withPool } from '../pool.ts';
import { paymentsCommand as refundCommand } from './payments.ts';
import { when } from '../show.ts';

/** `keywarden payments list [--mismatched] [--since 24h] [--json]`, and `payments refund` (payments.ts). */
export const paymentsCommand: Command = {
  name: 'payments',
  summary: 'payments list [--mismatched] [--since 24h] [--json] | payments refund ORDER_ID [--record-only]',
  usage:
    'list [--mismatched] [--status STATUS] [--since DURATION] [--limit N] [--json] | refund ORDER_ID [--record-only]',
  flags: {
    mismatched: { type: 'boolean' },
    status: { type: 'string' },
    since: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean' },
    ...refundCommand.flags,
  },
  positionals: { min: 1, max: 2 },
  help: {
    description:
      'Every payment keywarden recorded. A mismatched payment matched none of its plan’s prices and granted nothing: refund it or grant the period by hand (`keywarden grant`).',
    flags: {
      mismatched: { description: 'only mismatched payments (same as --status mismatch)', default: 'off' },
      status: { description: 'only this status: succeeded, mismatch or refunded', default: 'any' },
      since: { description: 'only payments newer than this (30m, 24h, 7d)', default: 'all time' },
      limit: { description: 'at most this many', default: '100' },
      json: { description: 'print JSON for scripts', default: 'off' },
      'record-only': {
        description: 'refund: record the refund without asking the provider (it was refunded there already)',
        default: 'off',
      },
      ...AS_HELP,
    },
    examples: [
      'keywarden payments refund 0b7c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d --as 5001',
      'keywarden payments list --mismatched --since 24h',
      'keywarden payments list --since 7d --json',
    ],
  },
  run: async (context) => {
    if (subcommand(context, ['list', 'refund']) === 'refund') {
      return refundCommand.run(context);
    }
    const sinceRaw = stringFlag(context, 'since');
    const sinceMs = sinceRaw === undefined ? undefined : parseDurationMs(sinceRaw);
    if (sinceRaw !== undefined && (sinceMs === undefined || sinceMs <= 0)) {
      throw new UsageError('--since must be a duration with a unit, like 30m, 24h or 7d');
    }
    const status = stringFlag(context, 'status');
    if (status !== undefined && !['succeeded', 'mismatch', 'refunded'].includes(status)) {
      throw new UsageError('--status must be succeeded, mismatch or refunded');
    }
    const limitRaw = stringFlag(context, 'limit') ?? '100';
    if (!/^\d{1,6}$/.test(limitRaw) || Number(limitRaw) < 1) {
      throw new UsageError('--limit must be a whole number from 1');
    }
    return withPool(context, async (pool) => {
      const payments = await listPayments(pool, {
        mismatched: booleanFlag(context, 'mismatched'),
        ...(status === undefined ? {} : { status }),
        ...(sinceMs === undefined ? {} : { since: new Date(Date.now() - sinceMs) }),
        limit: Number(limitRaw),
      });
      if (wantsJson(context)) {
        println(context, JSON.stringify(payments, null, 2));
        return 0;
      }
      println(
        context,
        payments.length === 0
          ? 'no payments'
          : formatTable(
              ['id', 'at', 'user', 'provider', 'external id', 'plan', 'amount', 'status'],
              payments.map((payment) => [
                payment.id,
                when(payment.createdAt),
                String(payment.telegramId),
                payment.provider,
                payment.externalId,
                payment.planCode ?? '-',
                `${payment.amount} ${payment.currency}`,
                payment.status === 'mismatch'
                  ? `mismatch (plan: ${pricesOf(payment.expected)})`
                  : payment.status,
              ]),
            ),
      );
      return 0;
    });
  },
};

/** A plan's prices as `299.00 RUB / 250 XTR` (amounts without trailing zeros); `-` without a plan. */
function pricesOf(expected: Readonly<Record<string, string>>): string {
  const prices = Object.entries(expected).map(
    ([currency, amount]) => `${amount.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '')} ${currency}`,
  );
  return prices.length === 0 ? '-' : prices.join(' / ');
}
