/**
 * Readiness for /readyz: which of the checks fail. The database answers `select 1` within 2 s; with
 * the reconciler, its NOTIFY listener is connected too.
 */
import type pg from 'pg';
import type { Readiness } from '../metrics/index.ts';
import { sleep } from '../shared/index.ts';

/** How long the database check may take, ms. */
export const DATABASE_CHECK_TIMEOUT_MS = 2_000;

/** True when the database answers within DATABASE_CHECK_TIMEOUT_MS. */
export async function isDatabaseReachable(pool: pg.Pool): Promise<boolean> {
  const timeout = new AbortController();
  try {
    await Promise.race([
      pool.query('select 1'),
      sleep(DATABASE_CHECK_TIMEOUT_MS, timeout.signal).then(() => {
        if (!timeout.signal.aborted) {
          throw new Error('database check timed out');
        }
      }),
    ]);
    return true;
  } catch {
    // The reason is not needed here: readiness only says which check fails; the pool logs causes.
    return false;
  } finally {
    timeout.abort();
  }
}

/** Builds the readiness check over the database and, when given, the listener. */
export function createReadiness(
  pool: pg.Pool,
  listener?: { readonly isConnected: boolean },
): () => Promise<Readiness> {
  return async () => {
    const failing: string[] = [];
    if (!(await isDatabaseReachable(pool))) {
      failing.push('database');
    }
    if (listener !== undefined && !listener.isConnected) {
      failing.push('listener');
    }
    return failing.length === 0 ? { ready: true } : { ready: false, failing };
  };
}
