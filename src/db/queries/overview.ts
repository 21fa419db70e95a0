/**
 * The console's overview numbers. Keys by desired state and reason, drift and held disables come
 * from what the last passes recorded (`key_state`, `held_plans`): the same numbers the
 * `keywarden_keys`, `keywarden_drift` and `keywarden_valve_held` gauges show after a full pass.
 * Actions and payments are counted over the last 24 h from the append-only tables.
 */
import type pg from 'pg';
import { readPanelStatuses, type PanelStatus } from './panels.ts';
import { countUsersByStatus, type UserStatus } from './users.ts';

/** Everything on the overview page. */
export interface Overview {
  readonly panels: readonly PanelStatus[];
  /** Summed over panels, by `desired kind:reason`. */
  readonly keysByDesired: Readonly<Record<string, number>>;
  readonly drifted: number;
  readonly heldPlans: number;
  readonly heldActions: number;
  readonly users: Readonly<Record<UserStatus, number>>;
  /** Reconciler actions in the last 24 h by `action:outcome`. */
  readonly actions24h: Readonly<Record<string, number>>;
  /** Payments in the last 24 h by `provider:status`, with amounts by currency. */
  readonly payments24h: ReadonlyArray<{
    readonly provider: string;
    readonly status: string;
    readonly currency: string;
    readonly count: number;
    readonly amount: string;
  }>;
  readonly adminActions24h: number;
}

/** Reads the overview. */
export async function readOverview(
  db: pg.Pool | pg.ClientBase,
  options: { readonly graceMs: number; readonly lockClass: number },
): Promise<Overview> {
  const panels = await readPanelStatuses(db, options.lockClass);
  const keysByDesired: Record<string, number> = {};
  for (const panel of panels) {
    for (const [label, count] of Object.entries(panel.keysByDesired)) {
      keysByDesired[label] = (keysByDesired[label] ?? 0) + count;
    }
  }
  const held = await db.query<{ plans: number; actions: number }>(
    `select count(*)::int as plans, coalesce(sum(action_count), 0)::int as actions from held_plans
     where resolved_at is null and confirmed_at is null`,
  );
  const actions = await db.query<{ label: string; n: number }>(
    `select action || ':' || outcome as label, count(*)::int as n from reconcile_events
     where at > now() - interval '24 hours' group by 1 order by 1`,
  );
  const payments = await db.query<{
    provider: string;
    status: string;
    currency: string;
    count: number;
    amount: string;
  }>(
    `select provider, status, currency, count(*)::int as count, sum(amount)::text as amount from payments
     where created_at > now() - interval '24 hours' group by 1, 2, 3 order by 1, 2, 3`,
  );
  const admin = await db.query<{ n: number }>(
    `select count(*)::int as n from admin_audit where at > now() - interval '24 hours'`,
  );
  return {
    panels,
    keysByDesired,
    drifted: panels.reduce((sum, panel) => sum + panel.drifted, 0),
    heldPlans: held.rows[0]?.plans ?? 0,
    heldActions: held.rows[0]?.actions ?? 0,
    users: await countUsersByStatus(db, options.graceMs),
    actions24h: Object.fromEntries(actions.rows.map((row) => [row.label, row.n])),
    payments24h: payments.rows,
    adminActions24h: admin.rows[0]?.n ?? 0,
  };
}
