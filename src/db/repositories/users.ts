import type pg from 'pg';
import { asUserId, type TelegramId, type UserId } from '../../domain/index.ts';

/** A user as the writers see it. */
export interface UserRecord {
  readonly id: UserId;
  readonly telegramId: TelegramId;
  readonly username: string | null;
  readonly language: string | null;
  readonly bannedAt: Date | null;
  readonly createdAt: Date;
}

interface UserRow {
  id: string;
  telegram_id: string;
  username: string | null;
  language: string | null;
  banned_at: Date | null;
  created_at: Date;
  inserted?: boolean;
}

const toUser = (row: UserRow): UserRecord => ({
  id: asUserId(row.id),
  telegramId: Number(row.telegram_id) as TelegramId,
  username: row.username,
  language: row.language,
  bannedAt: row.banned_at,
  createdAt: row.created_at,
});

/**
 * Registers a Telegram user, or refreshes username and language of a known one. Idempotent:
 * concurrent calls for one Telegram id produce one row. `created` tells whether this call made it.
 */
export async function upsertTelegramUser(
  db: pg.Pool | pg.ClientBase,
  user: { readonly telegramId: number; readonly username?: string | null; readonly language?: string | null },
): Promise<{ readonly user: UserRecord; readonly created: boolean }> {
  const { rows } = await db.query<UserRow>(
    `insert into users (telegram_id, username, language) values ($1, $2, $3)
     on conflict (telegram_id) do update
       set username = coalesce(excluded.username, users.username),
           language = coalesce(excluded.language, users.language)
     returning id, telegram_id, username, language, banned_at, created_at, (xmax = 0) as inserted`,
    [user.telegramId, user.username ?? null, user.language ?? null],
  );
  const row = rows[0];
  if (!row) {
    throw new Error('upsert of a user returned no row');
  }
  return { user: toUser(row), created: row.inserted === true };
}

/** Finds a user by Telegram id or by @username (case-insensitive); null when unknown. */
export async function findUser(
  db: pg.Pool | pg.ClientBase,
  by: { readonly telegramId: number } | { readonly username: string } | { readonly id: UserId },
): Promise<UserRecord | null> {
  const [where, value] =
    'telegramId' in by
      ? ['telegram_id = $1', by.telegramId]
      : 'username' in by
        ? ['lower(username) = lower($1)', by.username.replace(/^@/, '')]
        : ['id = $1', by.id];
  const { rows } = await db.query<UserRow>(
    `select id, telegram_id, username, language, banned_at, created_at from users where ${where} limit 1`,
    [value],
  );
  const row = rows[0];
  return row ? toUser(row) : null;
}

/**
 * Bans (from now) or unbans a user. The NOTIFY trigger on users wakes the reconciler, which disables
 * or re-enables the user's keys. Resolves to false when the user does not exist.
 */
export async function setUserBanned(
  db: pg.Pool | pg.ClientBase,
  userId: UserId,
  banned: boolean,
): Promise<boolean> {
  const { rowCount } = await db.query(
    banned
      ? 'update users set banned_at = coalesce(banned_at, now()) where id = $1'
      : 'update users set banned_at = null where id = $1',
    [userId],
  );
  return rowCount === 1;
}
