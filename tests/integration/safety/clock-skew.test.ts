/**
 * Issue 11, item 5: panel clock skew. Scenario: the panel's clock is 5 min ahead and
 * KEYWARDEN_EXPIRY_MARGIN=30s; a paying user with 3 min left got expiryTime = end + 30 s, which the
 * panel's own job already considered past: it disabled the client, keywarden re-enabled it, and it
 * flapped 6 times in a minute.
 */
import { describe, expect, it } from 'vitest';
import {
  addSimulatedPanel,
  insertSeededKey,
  metricValue,
  panelWrites,
  startTestDaemon,
  useCleanups,
  waitFor,
} from '../../support/reconciler-harness.ts';
import { createTestDatabase } from '../../support/database.ts';

const FIVE_MINUTES_MS = 5 * 60_000;

describe('panel clock skew (issue 11, item 5)', () => {
  const cleanups = useCleanups();

  it('never sends an expiryTime the panel already considers past, and exports the offset', async () => {
    const db = await createTestDatabase();
    cleanups.push(db.drop);
    // The panel's job runs every 100 ms (5 s on a real panel) by its own, skewed clock.
    const panel = await addSimulatedPanel(db.pool, 'g2', { jobIntervalMs: 100 });
    cleanups.push(() => panel.sim.close());
    panel.sim.setClockOffset(FIVE_MINUTES_MS);
    const { email } = await insertSeededKey(db.pool, panel, { startInMs: -60_000, durationMs: 4 * 60_000 });
    const running = await startTestDaemon(db.url, {
      KEYWARDEN_EXPIRY_MARGIN: '30s',
      // Frequent passes, so that every time the panel turns the key off keywarden turns it on again.
      KEYWARDEN_RESYNC_INTERVAL: '300ms',
    });
    cleanups.push(running.stop);

    await waitFor(
      'first pass',
      async () => (await db.pool.query('select 1 from key_state')).rows.length === 1,
    );
    // Watch the client for 3 s: it must never be off, and keywarden must not keep rewriting it.
    let offSamples = 0;
    const until = Date.now() + 3_000;
    while (Date.now() < until) {
      const client = panel.sim.inspectClient(email);
      if (client?.enable !== true || !client.trafficEnable) {
        offSamples += 1;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(offSamples).toBe(0);
    expect(panelWrites(panel.sim).length).toBeLessThanOrEqual(1);
    const client = panel.sim.inspectClient(email);
    // expiryTime 0 (never): keywarden disables the key by its own clock when the period ends.
    expect(client?.expiryTime).toBe(0);
    const offset = await metricValue(running.daemon, 'keywarden_panel_clock_offset_seconds', {
      panel: panel.name,
    });
    expect(Math.abs(offset - 300)).toBeLessThanOrEqual(2);
  });

  it('keeps coverage end + margin when the panel clock is right', async () => {
    const db = await createTestDatabase();
    cleanups.push(db.drop);
    const panel = await addSimulatedPanel(db.pool, 'g2', { jobIntervalMs: 100 });
    cleanups.push(() => panel.sim.close());
    const { email } = await insertSeededKey(db.pool, panel, { startInMs: -60_000, durationMs: 4 * 60_000 });
    const running = await startTestDaemon(db.url, { KEYWARDEN_EXPIRY_MARGIN: '30s' });
    cleanups.push(running.stop);
    await waitFor('expiry set', () => (panel.sim.inspectClient(email)?.expiryTime ?? 0) > 0);
    const { rows } = await db.pool.query<{ ends: string }>(
      'select floor(extract(epoch from max(ends_at)) * 1000)::bigint::text as ends from subscription_periods',
    );
    expect(panel.sim.inspectClient(email)?.expiryTime).toBe(Number(rows[0]!.ends) + 30_000);
    expect(
      Math.abs(
        await metricValue(running.daemon, 'keywarden_panel_clock_offset_seconds', { panel: panel.name }),
      ),
    ).toBeLessThanOrEqual(1);
  });
});
