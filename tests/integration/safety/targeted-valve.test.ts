/**
 * Targeted disables of a boundary batch stay targeted (issue 10) without weakening the safety valve
 * (issue 11): a batch's disables are judged against its whole panel and the valve window, so a mass
 * expiry that reaches the reconciler as many small targeted batches is still held once it exceeds
 * the limit, and the hold is recorded by a panel pass for an admin to confirm. Disables of batches
 * named by notifications still go to a panel pass (tests/integration/reconciler/valve.test.ts holds
 * a whole cancellation made by one transaction).
 */
import { describe, expect, it } from 'vitest';
import { controllerOptions, createXuiPanelClients } from '../../../src/app/index.ts';
import { asUserId } from '../../../src/domain/index.ts';
import { createController, everyPanelOwned, type PassReport } from '../../../src/reconciler/index.ts';
import { createPostgresStore } from '../../../src/store/index.ts';
import { createTestDatabase } from '../../support/database.ts';
import {
  addSimulatedPanel,
  insertSeededKey,
  testConfig,
  testLogger,
  useCleanups,
} from '../../support/reconciler-harness.ts';

const disablesApplied = (report: PassReport): number =>
  report.results.filter((result) => result.action.kind === 'disable' && result.outcome === 'applied').length;

describe('safety valve and targeted passes', () => {
  const cleanups = useCleanups();

  it('holds a mass expiry that arrives as one-user targeted batches once the window reaches the limit', async () => {
    const db = await createTestDatabase();
    cleanups.push(db.drop);
    const panel = await addSimulatedPanel(db.pool, 'g2');
    cleanups.push(() => panel.sim.close());
    const users: Array<{ userId: string; email: string }> = [];
    for (let index = 0; index < 12; index += 1) {
      users.push(await insertSeededKey(db.pool, panel, { startInMs: -60_000, durationMs: 3_600_000 }));
    }
    // max(KEYWARDEN_VALVE_MIN=2, 20 % of 12 enabled) = 2 disables per window.
    const config = testConfig(db.url, { KEYWARDEN_VALVE_MIN: '2' });
    const logger = testLogger();
    const controller = createController(
      controllerOptions(config, {
        store: createPostgresStore(db.pool, config.graceMs, undefined, config.valveWindowMs),
        panelClients: createXuiPanelClients(config, logger, {}),
        leadership: everyPanelOwned,
        workers: 1,
        logger,
      }),
    );
    cleanups.push(() => controller.close());
    const signal = new AbortController().signal;
    const first = await controller.reconcile(panel.panelId, 'startup', { dryRun: false, signal });
    expect(first.plans[0]?.kind).toBe('planned');

    // 8 of the 12 periods end now; the reconciler hears of them one user at a time.
    const expiring = users.slice(0, 8);
    await db.pool.query(
      `update subscription_periods set ends_at = now() - interval '1 second' where user_id = any($1::bigint[])`,
      [expiring.map((user) => user.userId)],
    );
    const reports: PassReport[] = [];
    for (const user of expiring) {
      reports.push(
        await controller.reconcile(
          { panelId: panel.panelId, userIds: [asUserId(user.userId)], isBoundary: true },
          'expiry',
          { dryRun: false, signal },
        ),
      );
    }

    // The first two batches disable their key themselves (targeted, not handed to a panel pass)...
    expect(reports.slice(0, 2).map((report) => [report.escalated, disablesApplied(report)])).toEqual([
      [false, 1],
      [false, 1],
    ]);
    // ...the third would exceed the window's limit: held, and handed to a panel pass; so are the rest.
    for (const report of reports.slice(2)) {
      expect(report.escalated).toBe(true);
      expect(report.results).toEqual([]);
      const plan = report.plans[0];
      expect(plan?.kind === 'planned' ? plan.held.map((entry) => entry.cause) : []).toEqual(['valve-panel']);
    }

    // The panel pass the controller would run next holds the remaining six and records them.
    const panelPass = await controller.reconcile(panel.panelId, 'expiry', { dryRun: false, signal });
    const plan = panelPass.plans[0];
    expect(plan?.kind === 'planned' ? plan.held.length : -1).toBe(6);
    expect(disablesApplied(panelPass)).toBe(0);
    const { rows } = await db.pool.query<{ n: number }>(
      'select coalesce(sum(action_count), 0)::int as n from held_plans where resolved_at is null',
    );
    expect(rows[0]?.n).toBe(6);

    const isOff = (email: string): boolean => panel.sim.inspectClient(email)?.enable === false;
    expect(expiring.filter((user) => isOff(user.email))).toHaveLength(2);
    expect(users.slice(8).filter((user) => isOff(user.email))).toEqual([]);
  }, 30_000);

  it('applies a boundary batch of expiries within the limit without a panel pass; a notified one goes to a panel pass', async () => {
    const db = await createTestDatabase();
    cleanups.push(db.drop);
    const panel = await addSimulatedPanel(db.pool, 'g2');
    cleanups.push(() => panel.sim.close());
    const users: Array<{ userId: string; email: string }> = [];
    for (let index = 0; index < 12; index += 1) {
      users.push(await insertSeededKey(db.pool, panel, { startInMs: -60_000, durationMs: 3_600_000 }));
    }
    const config = testConfig(db.url);
    const logger = testLogger();
    const controller = createController(
      controllerOptions(config, {
        store: createPostgresStore(db.pool, config.graceMs, undefined, config.valveWindowMs),
        panelClients: createXuiPanelClients(config, logger, {}),
        leadership: everyPanelOwned,
        workers: 1,
        logger,
      }),
    );
    cleanups.push(() => controller.close());
    const signal = new AbortController().signal;
    await controller.reconcile(panel.panelId, 'startup', { dryRun: false, signal });

    // 5 expiries at one boundary, one batch; the default limit is max(10, 20 % of 12) = 10.
    const expiring = users.slice(0, 5);
    await db.pool.query(
      `update subscription_periods set ends_at = now() - interval '1 second' where user_id = any($1::bigint[])`,
      [expiring.map((user) => user.userId)],
    );
    const userIds = expiring.map((user) => asUserId(user.userId));
    // The same users named by notifications (refunds, say): their disables go to a panel pass, which
    // alone sees a mass cancellation that one transaction made whole.
    const notified = await controller.reconcile({ panelId: panel.panelId, userIds }, 'notify', {
      dryRun: false,
      signal,
    });
    expect([notified.escalated, notified.results]).toEqual([true, []]);
    const report = await controller.reconcile(
      { panelId: panel.panelId, userIds, isBoundary: true },
      'expiry',
      {
        dryRun: false,
        signal,
      },
    );
    expect(report.escalated).toBe(false);
    expect(disablesApplied(report)).toBe(5);
    const isOff = (email: string): boolean => panel.sim.inspectClient(email)?.enable === false;
    expect(expiring.every((user) => isOff(user.email))).toBe(true);
    expect(users.slice(5).filter((user) => isOff(user.email))).toEqual([]);
    // Recorded like any applied disable: the window of the next pass counts them.
    const { rows } = await db.pool.query<{ n: number }>(
      `select count(*)::int as n from reconcile_events where action = 'disable' and outcome = 'applied'`,
    );
    expect(rows[0]?.n).toBe(5);
  }, 30_000);
});
