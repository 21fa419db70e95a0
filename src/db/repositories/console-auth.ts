/**
 * Console login without passwords (issue 14): one-time login links and sessions. Tokens are 32
 * random bytes (base64url); only their SHA-256 is stored, so a database dump logs nobody in.
 * Redeeming a link is one conditional UPDATE: two concurrent uses cannot both succeed.
 */
import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';

const hash = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();
const newToken = (): string => randomBytes(32).toString('base64url');

/** Creates a one-time login token for an admin, valid for `ttlMs`; resolves to the token. */
export async function createLoginToken(
  db: pg.Pool | pg.ClientBase,
  adminTelegramId: number,
  ttlMs: number,
): Promise<{ readonly token: string; readonly expiresAt: Date }> {
  const token = newToken();
  const { rows } = await db.query<{ expires_at: Date }>(
    `insert into console_login_tokens (token_hash, admin_telegram_id, expires_at)
     values ($1, $2, now() + $3::double precision * interval '1 millisecond') returning expires_at`,
    [hash(token), adminTelegramId, ttlMs],
  );
  const expiresAt = rows[0]?.expires_at;
  if (expiresAt === undefined) {
    throw new Error('insert of a login token returned no row');
  }
  return { token, expiresAt };
}

/** What redeeming a login token did. */
export type RedeemOutcome =
  | { readonly kind: 'ok'; readonly adminTelegramId: number }
  | { readonly kind: 'used' | 'expired' | 'unknown' };

/** Marks a login token used (once, before it expires) and returns whose it was. */
export async function redeemLoginToken(db: pg.Pool | pg.ClientBase, token: string): Promise<RedeemOutcome> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) {
    return { kind: 'unknown' };
  }
  const tokenHash = hash(token);
  const { rows } = await db.query<{ admin_telegram_id: string }>(
    `update console_login_tokens set used_at = now()
     where token_hash = $1 and used_at is null and expires_at > now() returning admin_telegram_id`,
    [tokenHash],
  );
  const row = rows[0];
  if (row !== undefined) {
    return { kind: 'ok', adminTelegramId: Number(row.admin_telegram_id) };
  }
  const { rows: found } = await db.query<{ used: boolean }>(
    'select used_at is not null as used from console_login_tokens where token_hash = $1',
    [tokenHash],
  );
  const existing = found[0];
  return { kind: existing === undefined ? 'unknown' : existing.used ? 'used' : 'expired' };
}

/** A console session. */
export interface ConsoleSession {
  readonly adminTelegramId: number;
  readonly csrfToken: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

/** Starts a session that ends at the latest after `absoluteMs`; resolves to its cookie value. */
export async function createConsoleSession(
  db: pg.Pool | pg.ClientBase,
  adminTelegramId: number,
  absoluteMs: number,
): Promise<{ readonly token: string; readonly session: ConsoleSession }> {
  const token = newToken();
  const csrfToken = newToken();
  const { rows } = await db.query<{ created_at: Date; expires_at: Date }>(
    `insert into console_sessions (session_hash, admin_telegram_id, csrf_token, expires_at)
     values ($1, $2, $3, now() + $4::double precision * interval '1 millisecond') returning created_at, expires_at`,
    [hash(token), adminTelegramId, csrfToken, absoluteMs],
  );
  const row = rows[0];
  if (row === undefined) {
    throw new Error('insert of a console session returned no row');
  }
  return {
    token,
    session: { adminTelegramId, csrfToken, createdAt: row.created_at, expiresAt: row.expires_at },
  };
}

/**
 * Reads a live session (not ended, before its absolute expiry, used within `idleMs`) and marks it
 * used now; null otherwise.
 */
export async function touchConsoleSession(
  db: pg.Pool | pg.ClientBase,
  token: string,
  idleMs: number,
): Promise<ConsoleSession | null> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) {
    return null;
  }
  const { rows } = await db.query<{
    admin_telegram_id: string;
    csrf_token: string;
    created_at: Date;
    expires_at: Date;
  }>(
    `update console_sessions set last_seen_at = now()
     where session_hash = $1 and ended_at is null and expires_at > now()
       and last_seen_at > now() - $2::double precision * interval '1 millisecond'
     returning admin_telegram_id, csrf_token, created_at, expires_at`,
    [hash(token), idleMs],
  );
  const row = rows[0];
  return row === undefined
    ? null
    : {
        adminTelegramId: Number(row.admin_telegram_id),
        csrfToken: row.csrf_token,
        createdAt: row.created_at,
        expiresAt: row.expires_at,
      };
}

/** Ends a session (logout); idempotent. */
export async function endConsoleSession(db: pg.Pool | pg.ClientBase, token: string): Promise<void> {
  await db.query('update console_sessions set ended_at = coalesce(ended_at, now()) where session_hash = $1', [
    hash(token),
  ]);
}
