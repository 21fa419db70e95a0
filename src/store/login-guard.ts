/**
 * The PostgreSQL implementation of the LoginGuard port (`panel_login_state`, migrations 008 and 010):
 * the failed-login state of each panel, shared by every process (daemon replicas, `plan`,
 * `reconcile --once`, and the panel checks of `panels test|update` and the console), so that no
 * combination of them trips 3x-ui's login lockout (reference/xui-api.md §2.1; v3.6.0
 * internal/web/controller/login_limiter.go: 5 refused logins of one (address, username) within
 * 5 minutes block it for 15 minutes, right password or not).
 *
 * Rules, on the database clock:
 * - After the n-th refused login in a row, the next is held back 60 s · 2^(n−1), at most 15 min.
 * - Never a fifth refused login of one username within 5 minutes: with 4 recent failures the next
 *   waits until the oldest of them is 5 minutes old — whatever the password, as the panel counts.
 * - A retry after failures is reserved (`blocked_until` moves 30 s ahead) before it is sent, so two
 *   processes never retry at the same moment. With no failures recorded nothing is reserved.
 * - Other credentials (a changed password) are not held back by the old ones' back-off; with the
 *   same username they still count the old ones' recent failures towards the lockout. Another
 *   username starts from a clean slate.
 */
import type pg from 'pg';
import { withTransaction } from '../db/index.ts';
import type { PanelId } from '../domain/index.ts';
import type { LoginBlock, LoginCredentials, LoginGuard } from '../reconciler/index.ts';

/** The panel's lockout window and the refusals it allows before locking (xui-api.md §2.1). */
export const LOCKOUT_WINDOW_MS = 5 * 60_000;
export const LOCKOUT_FAILURES = 5;
const BACKOFF_BASE_MS = 60_000;
const BACKOFF_MAX_MS = 15 * 60_000;
/** How long a retry is reserved for one process while its login is in flight. */
const RESERVATION_MS = 30_000;

interface StateRow {
  credentials_hash: string;
  /** Null on rows written before migration 010: taken as the same username. */
  username_hash: string | null;
  failures: number;
  failed_at: Date[];
  blocked_until: Date | null;
  now: Date;
}

/**
 * When the panel's lockout allows one more refused login, given `recent`, the refusals within the
 * lockout window (oldest first): undefined while fewer than four; else 1 s after the fourth latest
 * leaves the window.
 */
export function lockoutClearsAt(recent: ReadonlyArray<Date>): Date | undefined {
  const fourthLatest = recent[recent.length - (LOCKOUT_FAILURES - 1)];
  return recent.length >= LOCKOUT_FAILURES - 1 && fourthLatest !== undefined
    ? new Date(fourthLatest.getTime() + LOCKOUT_WINDOW_MS + 1_000)
    : undefined;
}

/**
 * When the next login may be tried after `failures` refusals in a row, the latest at `now`, with
 * `recent` the refusal times within the lockout window (oldest first).
 */
export function nextLoginAt(failures: number, recent: ReadonlyArray<Date>, now: Date): Date {
  const backoffMs = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, failures - 1));
  // The oldest of the last four must leave the window before a fifth refusal could happen.
  const clears = lockoutClearsAt(recent);
  return new Date(Math.max(now.getTime() + backoffMs, clears?.getTime() ?? 0));
}

function recentOf(row: StateRow): Date[] {
  const since = row.now.getTime() - LOCKOUT_WINDOW_MS;
  return row.failed_at.filter((at) => at.getTime() > since).sort((a, b) => a.getTime() - b.getTime());
}

function isSameUsername(row: StateRow, credentials: LoginCredentials): boolean {
  return row.username_hash === null || row.username_hash === credentials.usernameHash;
}

async function lockState(client: pg.PoolClient, panelId: PanelId): Promise<StateRow | undefined> {
  const { rows } = await client.query<StateRow>(
    `select credentials_hash, username_hash, failures, failed_at, blocked_until, now() as now
     from panel_login_state where panel_id = $1 for update`,
    [panelId],
  );
  return rows[0];
}

/**
 * Before a login with other credentials than those that failed: held back only by the lockout
 * (never by the old ones' back-off). When tried, the row moves to the new credentials with no
 * failures of their own, the same username's recent failures kept, and the try reserved.
 */
async function beforeOtherCredentials(
  client: pg.PoolClient,
  panelId: PanelId,
  row: StateRow,
  credentials: LoginCredentials,
): Promise<LoginBlock | null> {
  if (!isSameUsername(row, credentials)) {
    // The panel counts another username apart: the old state does not hold this one back. It stays
    // until this login's outcome replaces it (one row per panel).
    return null;
  }
  const recent = recentOf(row);
  const clears = lockoutClearsAt(recent);
  if (clears !== undefined && clears > row.now) {
    return { until: clears, failures: recent.length, recentFailures: recent.length };
  }
  await client.query(
    `update panel_login_state set credentials_hash = $2, username_hash = $3, failures = 0,
       failed_at = $4, blocked_until = now() + make_interval(secs => $5::float8 / 1000), updated_at = now()
     where panel_id = $1`,
    [panelId, credentials.credentialsHash, credentials.usernameHash, recent, RESERVATION_MS],
  );
  return null;
}

/** Creates the guard on `pool`. */
export function createLoginGuard(pool: pg.Pool): LoginGuard {
  return {
    beforeLogin: (panelId, credentials) =>
      withTransaction(pool, async (client): Promise<LoginBlock | null> => {
        const row = await lockState(client, panelId);
        if (row === undefined) {
          return null;
        }
        if (row.credentials_hash !== credentials.credentialsHash) {
          return beforeOtherCredentials(client, panelId, row, credentials);
        }
        if (row.blocked_until !== null && row.blocked_until > row.now) {
          return { until: row.blocked_until, failures: row.failures, recentFailures: recentOf(row).length };
        }
        if (row.failures === 0 && recentOf(row).length === 0) {
          return null;
        }
        await client.query(
          `update panel_login_state set blocked_until = now() + make_interval(secs => $2::float8 / 1000),
             updated_at = now() where panel_id = $1`,
          [panelId, RESERVATION_MS],
        );
        return null;
      }),
    loginRefused: (panelId, credentials) =>
      withTransaction(pool, async (client): Promise<LoginBlock> => {
        const row = await lockState(client, panelId);
        const { rows: clock } = await client.query<{ now: Date }>('select now() as now');
        const now = row?.now ?? clock[0]?.now ?? new Date();
        const isSame = row !== undefined && row.credentials_hash === credentials.credentialsHash;
        const isSameUser = row !== undefined && isSameUsername(row, credentials);
        const failures = isSame ? row.failures + 1 : 1;
        const recent = [...(isSameUser ? recentOf(row) : []), now];
        const until = nextLoginAt(failures, recent, now);
        await client.query(
          `insert into panel_login_state
             (panel_id, credentials_hash, username_hash, failures, failed_at, blocked_until)
           values ($1, $2, $3, $4, $5, $6)
           on conflict (panel_id) do update set credentials_hash = excluded.credentials_hash,
             username_hash = excluded.username_hash, failures = excluded.failures,
             failed_at = excluded.failed_at, blocked_until = excluded.blocked_until, updated_at = now()`,
          [panelId, credentials.credentialsHash, credentials.usernameHash, failures, recent, until],
        );
        return { until, failures, recentFailures: recent.length };
      }),
    async loginSucceeded(panelId) {
      await pool.query('delete from panel_login_state where panel_id = $1', [panelId]);
    },
  };
}
