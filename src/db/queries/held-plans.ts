/**
 * Held plans of the safety valve (DESIGN.md §5) with exactly which keys and why, for the console
 * and `keywarden held list`. Writes (confirm, discard) are in repositories/held-plans.ts.
 */
import type pg from 'pg';

const scalar = (value: unknown): string =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';

/** One held disable, as the reconciler stored it. */
export interface HeldAction {
  readonly keyId: string;
  readonly email: string;
  readonly action: string;
  readonly reason: string;
}

/** A held plan. */
export interface HeldPlanView {
  readonly fingerprint: string;
  readonly panelName: string;
  /** `valve-panel`, `valve-global`, `empty-desired`, ... */
  readonly cause: string;
  readonly actionCount: number;
  readonly actions: readonly HeldAction[];
  readonly firstSeenAt: Date;
  readonly lastSeenAt: Date;
  readonly confirmedAt: Date | null;
  readonly confirmedBy: string | null;
  readonly resolvedAt: Date | null;
  /** `applied`, `superseded`, `discarded`, or null while open. */
  readonly resolution: string | null;
  readonly discardedBy: string | null;
}

/**
 * Lists held plans: by default the open ones (not resolved; confirmed ones still waiting for the
 * reconciler included), oldest first; with `includeResolved`, the last 100 of every state.
 */
export async function listHeldPlans(
  db: pg.Pool | pg.ClientBase,
  options: { readonly includeResolved?: boolean; readonly fingerprint?: string } = {},
): Promise<readonly HeldPlanView[]> {
  const { rows } = await db.query<{
    fingerprint: string;
    panel: string;
    cause: string;
    action_count: number;
    actions: Array<{ key_id?: unknown; email?: unknown; action?: unknown; reason?: unknown }>;
    first_seen_at: Date;
    last_seen_at: Date;
    confirmed_at: Date | null;
    confirmed_by: string | null;
    resolved_at: Date | null;
    resolution: string | null;
    discarded_by: string | null;
  }>(
    `select h.fingerprint, p.name as panel, h.cause, h.action_count, h.actions, h.first_seen_at, h.last_seen_at,
            h.confirmed_at, h.confirmed_by, h.resolved_at, h.resolution, h.discarded_by
     from held_plans h join panels p on p.id = h.panel_id
     where ($1::boolean or h.resolved_at is null) and ($2::text is null or h.fingerprint = $2)
     order by h.resolved_at is not null, h.first_seen_at desc limit 100`,
    [options.includeResolved === true || options.fingerprint !== undefined, options.fingerprint ?? null],
  );
  return rows.map((row) => ({
    fingerprint: row.fingerprint,
    panelName: row.panel,
    cause: row.cause,
    actionCount: row.action_count,
    actions: (Array.isArray(row.actions) ? row.actions : []).map((action) => ({
      keyId: scalar(action.key_id),
      email: scalar(action.email),
      action: scalar(action.action),
      reason: scalar(action.reason),
    })),
    firstSeenAt: row.first_seen_at,
    lastSeenAt: row.last_seen_at,
    confirmedAt: row.confirmed_at,
    confirmedBy: row.confirmed_by,
    resolvedAt: row.resolved_at,
    resolution: row.resolution,
    discardedBy: row.discarded_by,
  }));
}
