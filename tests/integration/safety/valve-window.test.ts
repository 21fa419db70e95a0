/**
 * Issue 11, item 3: the safety valve sees a window, not a pass. Scenarios: 16 refunds of 28 enabled
 * keys across two panels, arriving as separate notifications → 16 disables, none held; 8 refunds
 * 2.5 s apart with KEYWARDEN_VALVE_MIN=2 → none held. The valve now counts the disables already
 * applied within KEYWARDEN_VALVE_WINDOW (default 10m).
 */
import { describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import {
  addSimulatedPanel,
  insertSeededKey,
  startTestDaemon,
  type TestPanel,
  useCleanups,
  waitFor,
} from '../../support/reconciler-harness.ts';

// The scenario's 2.5 s between refunds belongs to a 30 s fault run; KW_FAULT_MS scales it (default 3 s).
const FAULT_MS = Number(process.env['KW_FAULT_MS'] ?? 3_000);

interface Paying {
  readonly userId: string;
  readonly email: string;
  readonly panel: TestPanel;
}

async function payingUsers(db: TestDatabase, panel: TestPanel, count: number): Promise<Paying[]> {
  const users: Paying[] = [];
  for (let index = 0; index < count; index += 1) {
    const { userId, email } = await insertSeededKey(db.pool, panel, {
      startInMs: -60_000,
      durationMs: 3_600_000,
    });
    users.push({ userId, email, panel });
  }
  return users;
}

const refund = (db: TestDatabase, userId: string): Promise<unknown> =>
  db.pool.query('update subscription_periods set cancelled_at = now() where user_id = $1', [userId]);

const isOff = (user: Paying): boolean => user.panel.sim.inspectClient(user.email)?.enable === false;

/** Waits until no client changes for `quietMs`. */
async function settle(users: ReadonlyArray<Paying>, quietMs = 1_500): Promise<void> {
  let last = users.filter(isOff).length;
  let stableSince = Date.now();
  await waitFor(
    'the panels to settle',
    () => {
      const now = users.filter(isOff).length;
      if (now !== last) {
        last = now;
        stableSince = Date.now();
      }
      return Date.now() - stableSince >= quietMs;
    },
    20_000,
  );
}

describe('safety valve window (issue 11, item 3)', () => {
  const cleanups = useCleanups();

  it('16 refunds of 28 enabled keys on two panels, one notification each: at most the global limit goes through', async () => {
    const db = await createTestDatabase();
    cleanups.push(db.drop);
    const panelA = await addSimulatedPanel(db.pool, 'g2');
    const panelB = await addSimulatedPanel(db.pool, 'g2');
    cleanups.push(
      () => panelA.sim.close(),
      () => panelB.sim.close(),
    );
    const users = [...(await payingUsers(db, panelA, 14)), ...(await payingUsers(db, panelB, 14))];
    const running = await startTestDaemon(db.url);
    cleanups.push(running.stop);
    await waitFor(
      'first pass',
      async () => (await db.pool.query('select 1 from key_state')).rows.length === 28,
    );
    await waitFor('listener ready', async () => (await running.daemon.readiness()).ready);

    const refunded = [...users.slice(0, 8), ...users.slice(14, 22)];
    for (const user of refunded) {
      await refund(db, user.userId);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    await settle(users);
    // Defaults: max(KEYWARDEN_VALVE_MIN=10, 20 % of 28) = 10 disables per window, globally.
    const off = refunded.filter(isOff).length;
    expect(off).toBeGreaterThan(0);
    expect(off).toBeLessThanOrEqual(10);
    const { rows } = await db.pool.query<{ n: number }>(
      'select coalesce(sum(action_count), 0)::int as n from held_plans where resolved_at is null',
    );
    expect(rows[0]!.n).toBe(16 - off);
    // Nobody who kept paying was touched.
    expect(users.filter((user) => !refunded.includes(user)).filter(isOff)).toEqual([]);
  });

  it('8 refunds 2.5 s apart with KEYWARDEN_VALVE_MIN=2: the ones beyond the window limit are held', async () => {
    const db = await createTestDatabase();
    cleanups.push(db.drop);
    const panel = await addSimulatedPanel(db.pool, 'g2');
    cleanups.push(() => panel.sim.close());
    const users = await payingUsers(db, panel, 12);
    const running = await startTestDaemon(db.url, { KEYWARDEN_VALVE_MIN: '2' });
    cleanups.push(running.stop);
    await waitFor(
      'first pass',
      async () => (await db.pool.query('select 1 from key_state')).rows.length === 12,
    );
    await waitFor('listener ready', async () => (await running.daemon.readiness()).ready);

    const spacingMs = (2_500 * FAULT_MS) / 30_000;
    for (const user of users.slice(0, 8)) {
      await refund(db, user.userId);
      await new Promise((resolve) => setTimeout(resolve, spacingMs));
    }
    await settle(users);
    // max(2, 20 % of 12) = 2 disables in the window; the other 6 wait for an admin.
    expect(users.slice(0, 8).filter(isOff)).toHaveLength(2);
    const { rows } = await db.pool.query<{ n: number }>(
      'select coalesce(sum(action_count), 0)::int as n from held_plans where resolved_at is null',
    );
    expect(rows[0]!.n).toBe(6);
  }, 60_000);
});
