/**
 * The PostgreSQL implementation of the LoginGuard port (`panel_login_state`, migration 008): the
 * failed-login state of each panel, shared by every process, so that no combination of replicas and
 * CLI runs trips 3x-ui's login lockout (reference/xui-api.md §2.1: 5 refused logins of one
 * (IP, username) pair within 5 minutes block it for 15 minutes, right password or not).
 *
 * Rules, on the database clock:
 * - After the n-th refused login in a row, the next is held back 60 s · 2^(n−1), at most 15 min.
 * - Never a fifth refused login within 5 minutes: with 4 recent failures the next waits until the
 *   oldest of them is 5 minutes old.
 * - A retry after failures is reserved (`blocked_until` moves 30 s ahead) before it is sent, so two
 *   processes never retry at the same moment. With no failures recorded nothing is reserved.
 * - Other credentials (a changed password) start from a clean slate.
 */
import type pg from 'pg';
import { withTransaction } from '../db/index.ts';
import type { PanelId } from '../domain/index.ts';
import type { LoginBlock, LoginGuard } from '../reconciler/index.ts';

/** The panel's lockout window and the refusals it allows before locking (xui-api.md §2.1). */
export const LOCKOUT_WINDOW_MS = 5 * 60_000;
export const LOCKOUT_FAILURES = 5;
const BACKOFF_BASE_MS = 60_000;
const BACKOFF_MAX_MS = 15 * 60_000;
/** How long a retry is reserved for one process while its login is in flight. */
const RESERVATION_MS = 30_000;

interface StateRow {
  credentials_hash: string;
  failures: number;
  failed_at: Date[];
  blocked_until: Date | null;
  now: Date;
}

/**
 * When the next login may be tried after `failures` refusals in a row, the latest at `now`, with
 * `recent` the refusal times within the lockout window (oldest first).
 */
export function nextLoginAt(failures: number, recent: ReadonlyArray<Date>, now: Date): Date {
  const backoffMs = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, failures - 1));
  let next = now.getTime() + backoffMs;
  if (recent.length >= LOCKOUT_FAILURES - 1) {
    // The oldest of the last four must leave the window before a fifth refusal could happen.
    const fourthLatest = recent[recent.length - (LOCKOUT_FAILURES - 1)];
    if (fourthLatest !== undefined) {
      next = Math.max(next, fourthLatest.getTime() + LOCKOUT_WINDOW_MS + 1_000);
    }
  }
  return new Date(next);
}

function recentOf(row: StateRow): Date[] {
  const since = row.now.getTime() - LOCKOUT_WINDOW_MS;
  return row.failed_at.filter((at) => at.getTime() > since).sort((a, b) => a.getTime() - b.getTime());
}

async function lockState(client: pg.PoolClient, panelId: PanelId): Promise<StateRow | undefined> {
  const { rows } = await client.query<StateRow>(
    `select credentials_hash, failures, failed_at, blocked_until, now() as now
     from panel_login_state where panel_id = $1 for update`,
    [panelId],
  );
  return rows[0];
}

/** Creates the guard on `pool`. */
export function createLoginGuard(pool: pg.Pool): LoginGuard {
  return {
    beforeLogin: (panelId, credentialsHash) =>
      withTransaction(pool, async (client): Promise<LoginBlock | null> => {
        const row = await lockState(client, panelId);
        if (row === undefined || row.credentials_hash !== credentialsHash || row.failures === 0) {
          return null;
        }
        if (row.blocked_until !== null && row.blocked_until > row.now) {
          return { until: row.blocked_until, failures: row.failures, recentFailures: recentOf(row).length };
        }
        await client.query(
          `update panel_login_state set blocked_until = now() + make_interval(secs => $2::float8 / 1000),
             updated_at = now() where panel_id = $1`,
          [panelId, RESERVATION_MS],
        );
        return null;
      }),
    loginRefused: (panelId, credentialsHash) =>
      withTransaction(pool, async (client): Promise<LoginBlock> => {
        const row = await lockState(client, panelId);
        const { rows: clock } = await client.query<{ now: Date }>('select now() as now');
        const now = row?.now ?? clock[0]?.now ?? new Date();
        const isSame = row !== undefined && row.credentials_hash === credentialsHash;
        const failures = isSame ? row.failures + 1 : 1;
        const recent = [...(isSame ? recentOf(row) : []), now];
        const until = nextLoginAt(failures, recent, now);
        await client.query(
          `insert into panel_login_state (panel_id, credentials_hash, failures, failed_at, blocked_until)
           values ($1, $2, $3, $4, $5)
           on conflict (panel_id) do update set credentials_hash = excluded.credentials_hash,
             failures = excluded.failures, failed_at = excluded.failed_at,
             blocked_until = excluded.blocked_until, updated_at = now()`,
          [panelId, credentialsHash, failures, recent, until],
        );
        return { until, failures, recentFailures: recent.length };
      }),
    async loginSucceeded(panelId) {
      await pool.query('delete from panel_login_state where panel_id = $1', [panelId]);
    },
  };
}
