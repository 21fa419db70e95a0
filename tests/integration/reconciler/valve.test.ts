import { describe, expect, it } from 'vitest';
import { runCliAgainst } from '../../support/cli.ts';
import type { TestDatabase } from '../../support/database.ts';
import {
  databaseWithPanel,
  insertSeededKey,
  metricValue,
  panelWrites,
  startTestDaemon,
  type TestPanel,
  useCleanups,
  waitFor,
} from '../../support/reconciler-harness.ts';

async function planJson(
  db: TestDatabase,
): Promise<{ panels: Array<{ held: unknown[]; heldFingerprint: string | null }> }> {
  const { out } = await runCliAgainst(db.url, ['plan', '--json']);
  return JSON.parse(out) as { panels: Array<{ held: unknown[]; heldFingerprint: string | null }> };
}

describe('safety valve', () => {
  const cleanups = useCleanups();

  async function setup(
    count: number,
  ): Promise<{ db: TestDatabase; panel: TestPanel; users: string[]; emails: string[] }> {
    const { db, panel } = await databaseWithPanel(cleanups, 'g2');
    const users: string[] = [];
    const emails: string[] = [];
    for (let index = 0; index < count; index += 1) {
      const { userId, ...key } = await insertSeededKey(db.pool, panel, {
        startInMs: -60_000,
        durationMs: 3_600_000,
      });
      users.push(userId);
      emails.push(key.email);
    }
    return { db, panel, users, emails };
  }

  it('holds every disable when all periods are cancelled at once, shows them in plan, and applies them once confirmed', async () => {
    const { db, panel, emails } = await setup(15);
    const running = await startTestDaemon(db.url);
    cleanups.push(running.stop);
    await waitFor(
      'first pass',
      async () => (await db.pool.query('select 1 from key_state')).rows.length === 15,
    );
    panel.sim.clearRequests();

    await db.pool.query('update subscription_periods set cancelled_at = now()');
    await waitFor(
      'valve held',
      async () => (await metricValue(running.daemon, 'keywarden_valve_held', { panel: panel.name })) === 15,
    );
    expect(panelWrites(panel.sim)).toEqual([]);
    expect(emails.every((email) => panel.sim.inspectClient(email)?.enable === true)).toBe(true);

    const plan = await planJson(db);
    expect(plan.panels[0]!.held).toHaveLength(15);
    const fingerprint = plan.panels[0]!.heldFingerprint;
    const { rows } = await db.pool.query<{ fingerprint: string; action_count: number }>(
      'select fingerprint, action_count from held_plans where resolved_at is null',
    );
    expect(rows).toEqual([{ fingerprint, action_count: 15 }]);
    const { rows: held } = await db.pool.query<{ n: number }>(
      `select count(*)::int as n from reconcile_events where outcome = 'held'`,
    );
    expect(held[0]!.n).toBe(15);

    await db.pool.query(
      `update held_plans set confirmed_at = now(), confirmed_by = 'test' where fingerprint = $1`,
      [fingerprint],
    );
    await waitFor('confirmed disables applied', () =>
      emails.every((email) => panel.sim.inspectClient(email)?.enable === false),
    );
    await waitFor('held plan resolved', async () => {
      const { rows: resolved } = await db.pool.query<{ resolution: string | null }>(
        'select resolution from held_plans',
      );
      return resolved[0]?.resolution === 'applied';
    });
  });

  it('lets a single expiry through on a busy panel', async () => {
    const { db, panel, emails } = await setup(15);
    const key = await insertSeededKey(db.pool, panel, {
      startInMs: -60_000,
      durationMs: 61_500,
    });
    const running = await startTestDaemon(db.url);
    cleanups.push(running.stop);
    await waitFor(
      'the lone expiry disabled',
      () => panel.sim.inspectClient(key.email)?.enable === false,
      6_000,
    );
    expect(emails.every((email) => panel.sim.inspectClient(email)?.enable === true)).toBe(true);
    expect(await metricValue(running.daemon, 'keywarden_valve_held', { panel: panel.name })).toBe(0);
  });
});
