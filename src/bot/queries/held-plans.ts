/**
 * Held plans of the safety valve (DESIGN.md §5), read and confirmed through the reconciler's
 * `held_plans` table (migrations/002_reconciler.sql: fingerprint, panel_id, cause, action_count,
 * confirmed_at, confirmed_by, resolved_at).
 */
import type pg from 'pg';

/** One held plan awaiting an admin. */
export interface HeldPlan {
  readonly fingerprint: string;
  readonly panelName: string;
  readonly cause: string;
  readonly actionCount: number;
}

/** Lists held plans that are neither confirmed nor resolved, oldest first. */
export async function listOpenHeldPlans(db: pg.Pool | pg.ClientBase): Promise<readonly HeldPlan[]> {
  const { rows } = await db.query<{
    fingerprint: string;
    panel: string;
    cause: string;
    action_count: number;
  }>(
    `select h.fingerprint, p.name as panel, h.cause, h.action_count from held_plans h join panels p on p.id = h.panel_id
     where h.resolved_at is null and h.confirmed_at is null order by h.first_seen_at limit 20`,
  );
  return rows.map((row) => ({
    fingerprint: row.fingerprint,
    panelName: row.panel,
    cause: row.cause,
    actionCount: row.action_count,
  }));
}

/**
 * Confirms exactly one open held plan, named by a fingerprint prefix (callback data is capped at 64
 * bytes). Ambiguous, unknown, resolved or already confirmed plans are not touched. The table's NOTIFY
 * trigger wakes the reconciler, which applies the plan only if it still has that fingerprint.
 */
export async function confirmHeldPlan(
  db: pg.Pool | pg.ClientBase,
  fingerprintPrefix: string,
  confirmedBy: string,
): Promise<'confirmed' | 'not-open'> {
  const { rowCount } = await db.query(
    `with candidates as (
       select fingerprint from held_plans
       where starts_with(fingerprint, $1) and resolved_at is null and confirmed_at is null)
     update held_plans set confirmed_at = now(), confirmed_by = $2
     where fingerprint = (select min(fingerprint) from candidates) and (select count(*) from candidates) = 1
       and resolved_at is null and confirmed_at is null`,
    [fingerprintPrefix, confirmedBy],
  );
  return rowCount === 1 ? 'confirmed' : 'not-open';
}
