/** The admin audit trail (`admin_audit`, migrations/009_console.sql): one row per admin action. */
import type pg from 'pg';

/** One admin action as recorded. */
export interface AdminAction {
  /** The admin's Telegram id; null for the CLI run on the host (no Telegram identity). */
  readonly adminTelegramId: number | null;
  readonly actor: 'console' | 'cli' | 'bot';
  /** Dotted verb, e.g. `user.grant`, `key.revoke`, `plan.archive`, `held.confirm`. */
  readonly action: string;
  readonly userId?: string | null;
  readonly keyId?: string | null;
  readonly panelId?: string | null;
  /** What was asked and what happened; never a secret. */
  readonly detail?: Readonly<Record<string, unknown>>;
  /** `ok`, `refused`, `not-found`, `dry-run`, ... */
  readonly outcome: string;
}

/** Appends one admin action; resolves to its id. */
export async function recordAdminAction(db: pg.Pool | pg.ClientBase, entry: AdminAction): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `insert into admin_audit (admin_telegram_id, actor, action, user_id, key_id, panel_id, detail, outcome)
     values ($1, $2, $3, $4, $5, $6, $7, $8) returning id`,
    [
      entry.adminTelegramId,
      entry.actor,
      entry.action,
      entry.userId ?? null,
      entry.keyId ?? null,
      entry.panelId ?? null,
      JSON.stringify(entry.detail ?? {}),
      entry.outcome,
    ],
  );
  const id = rows[0]?.id;
  if (id === undefined) {
    throw new Error('insert of an admin action returned no row');
  }
  return id;
}
