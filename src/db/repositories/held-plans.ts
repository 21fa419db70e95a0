/**
 * An admin's decision on a held plan of the safety valve (DESIGN.md §5), by its full fingerprint:
 * confirm lets the reconciler apply exactly that set of disables (the NOTIFY trigger wakes it; it
 * applies the plan only while the held set still has that fingerprint); discard closes the question
 * without applying anything: the disables stay held (fail-open), and the same set is not asked about
 * again. A different set of held disables is a new plan.
 */
import type pg from 'pg';

/** What a decision did. */
export type HeldDecisionOutcome = 'confirmed' | 'discarded' | 'not-open';

/** Confirms the open held plan with exactly this fingerprint. */
export async function confirmHeldPlanByFingerprint(
  db: pg.Pool | pg.ClientBase,
  fingerprint: string,
  confirmedBy: string,
): Promise<HeldDecisionOutcome> {
  const { rowCount } = await db.query(
    `update held_plans set confirmed_at = now(), confirmed_by = $2
     where fingerprint = $1 and resolved_at is null and confirmed_at is null`,
    [fingerprint, confirmedBy],
  );
  return rowCount === 1 ? 'confirmed' : 'not-open';
}

/** Discards the open (unconfirmed) held plan with exactly this fingerprint. */
export async function discardHeldPlan(
  db: pg.Pool | pg.ClientBase,
  fingerprint: string,
  discardedBy: string,
): Promise<HeldDecisionOutcome> {
  const { rowCount } = await db.query(
    `update held_plans set resolved_at = now(), resolution = 'discarded', discarded_by = $2
     where fingerprint = $1 and resolved_at is null and confirmed_at is null`,
    [fingerprint, discardedBy],
  );
  return rowCount === 1 ? 'discarded' : 'not-open';
}
