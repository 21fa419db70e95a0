import { describe, expect, it } from 'vitest';
import { readOverview } from '../../../src/db/index.ts';
import { LOCK_CLASS } from '../../../src/store/index.ts';
import {
  databaseWithPanel,
  insertSeededKey,
  metricValue,
  startTestDaemon,
  useCleanups,
  waitFor,
} from '../../support/reconciler-harness.ts';

const HOUR = 3_600_000;

describe('console overview', () => {
  const cleanups = useCleanups();

  it('shows the same keys by desired state and reason, drift and held count as /metrics after a full pass', async () => {
    const { db, panel } = await databaseWithPanel(cleanups, 'g2');
    for (let index = 0; index < 3; index += 1) {
      await insertSeededKey(db.pool, panel, { startInMs: -HOUR, durationMs: 24 * HOUR });
    }
    await insertSeededKey(db.pool, panel, { startInMs: -2 * HOUR, durationMs: HOUR });
    await insertSeededKey(db.pool, panel, null);
    const running = await startTestDaemon(db.url);
    cleanups.push(running.stop);
    await waitFor(
      'a full pass recorded',
      async () => (await metricValue(running.daemon, 'keywarden_keys')) === 5,
    );
    await waitFor(
      'the pass converged',
      async () => (await db.pool.query('select 1 from key_state where converged')).rows.length === 5,
    );

    const overview = await readOverview(db.pool, { graceMs: 0, lockClass: LOCK_CLASS });
    for (const [label, count] of Object.entries(overview.keysByDesired)) {
      const [desired = '', reason = ''] = label.split(':');
      expect(
        await metricValue(running.daemon, 'keywarden_keys', { panel: panel.name, desired, reason }),
        label,
      ).toBe(count);
    }
    expect(overview.keysByDesired).toEqual({
      'enabled:entitled': 3,
      'disabled:expired': 1,
      'disabled:no-subscription': 1,
    });
    expect(overview.heldActions).toBe(
      await metricValue(running.daemon, 'keywarden_valve_held', { panel: panel.name }),
    );
    expect(overview.panels[0]).toMatchObject({ name: panel.name, up: true, liveKeys: 5, drifted: 0 });
    expect(overview.panels[0]?.ownedBy).not.toBeNull();
    expect(overview.actions24h['disable:applied']).toBe(
      await metricValue(running.daemon, 'keywarden_actions_total', { action: 'disable', outcome: 'applied' }),
    );
  });
});
