/**
 * The bot's order housekeeping (docs/payments.md): every pass, open orders whose lifetime has passed
 * move to `expired`. A payment that still arrives for one is honoured and counted as `late` by the
 * payment use case. No error escapes the loop.
 */
import type pg from 'pg';
import { expireOrders } from '../db/index.ts';
import { sleep, toError, type Logger } from '../shared/index.ts';

/** What the loop needs. */
export interface OrdersLoopOptions {
  readonly pool: pg.Pool;
  readonly logger: Logger;
  /** Pause between passes, ms. */
  readonly intervalMs: number;
}

/** One pass: expires what is due; resolves to how many orders expired. */
export async function runOrdersPass(options: Omit<OrdersLoopOptions, 'intervalMs'>): Promise<number> {
  const expired = await expireOrders(options.pool);
  if (expired.length > 0) {
    options.logger.info({ expired: expired.length }, 'unpaid orders expired');
  }
  return expired.length;
}

/** Runs passes until `signal` aborts. */
export async function runOrdersLoop(options: OrdersLoopOptions, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      await runOrdersPass(options);
    } catch (thrown: unknown) {
      options.logger.error({ err: toError(thrown), retryInMs: options.intervalMs }, 'orders pass failed');
    }
    await sleep(options.intervalMs, signal);
  }
}
