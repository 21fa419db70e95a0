/**
 * The audit log: what the reconciler did or held (`reconcile_events`) and what admins did
 * (`admin_audit`), newest first, with filters. Both tables are append-only.
 */
import type pg from 'pg';
import type { UserId } from '../../domain/index.ts';

/** One line of the audit log. */
export interface AuditEntry {
  readonly source: 'reconciler' | 'admin';
  readonly id: string;
  readonly at: Date;
  /** The admin's Telegram id for admin actions; null for the reconciler and the host CLI. */
  readonly adminTelegramId: number | null;
  /** `console`, `cli`, `bot` or `reconciler`. */
  readonly actor: string;
  readonly action: string;
  readonly outcome: string;
  readonly userId: string | null;
  readonly keyId: string | null;
  readonly panelName: string | null;
  /** The reconciler's reason, or the admin action's detail as JSON text. */
  readonly detail: string;
  readonly error: string | null;
}

/** Filters; all optional and combined with AND. */
export interface AuditFilter {
  readonly source?: 'reconciler' | 'admin';
  readonly userId?: UserId;
  readonly panelName?: string;
  readonly action?: string;
  readonly outcome?: string;
  readonly since?: Date;
  readonly until?: Date;
  readonly limit?: number;
}

/** Lists audit entries, newest first (at most `limit`, default 100). */
export async function listAuditEntries(
  db: pg.Pool | pg.ClientBase,
  filter: AuditFilter = {},
): Promise<readonly AuditEntry[]> {
  const { rows } = await db.query<{
    source: 'reconciler' | 'admin';
    id: string;
    at: Date;
    admin_telegram_id: string | null;
    actor: string;
    action: string;
    outcome: string;
    user_id: string | null;
    key_id: string | null;
    panel_name: string | null;
    detail: string;
    error: string | null;
  }>(
    `select * from (
       select 'reconciler' as source, e.id::text, e.at, null::bigint as admin_telegram_id, 'reconciler' as actor,
              e.action, e.outcome, k.user_id::text as user_id, e.key_id::text, p.name as panel_name,
              e.reason as detail, e.error
       from reconcile_events e left join vpn_keys k on k.id = e.key_id left join panels p on p.id = e.panel_id
       where ($1::text is null or $1 = 'reconciler')
         and ($2::bigint is null or k.user_id = $2) and ($3::text is null or p.name = $3)
         and ($4::text is null or e.action = $4) and ($5::text is null or e.outcome = $5)
         and ($6::timestamptz is null or e.at >= $6) and ($7::timestamptz is null or e.at < $7)
       union all
       select 'admin', a.id::text, a.at, a.admin_telegram_id, a.actor, a.action, a.outcome, a.user_id::text,
              a.key_id::text, p.name, a.detail::text, null
       from admin_audit a left join panels p on p.id = a.panel_id
       where ($1::text is null or $1 = 'admin')
         and ($2::bigint is null or a.user_id = $2) and ($3::text is null or p.name = $3)
         and ($4::text is null or a.action = $4) and ($5::text is null or a.outcome = $5)
         and ($6::timestamptz is null or a.at >= $6) and ($7::timestamptz is null or a.at < $7)
     ) entries
     order by at desc, id desc limit $8`,
    [
      filter.source ?? null,
      filter.userId ?? null,
      filter.panelName ?? null,
      filter.action ?? null,
      filter.outcome ?? null,
      filter.since ?? null,
      filter.until ?? null,
      filter.limit ?? 100,
    ],
  );
  return rows.map((row) => ({
    source: row.source,
    id: row.id,
    at: row.at,
    adminTelegramId: row.admin_telegram_id === null ? null : Number(row.admin_telegram_id),
    actor: row.actor,
    action: row.action,
    outcome: row.outcome,
    userId: row.user_id,
    keyId: row.key_id,
    panelName: row.panel_name,
    detail: row.detail,
    error: row.error,
  }));
}
