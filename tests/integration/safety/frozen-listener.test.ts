/**
 * Issue 11, item 4: a frozen LISTEN session is detected. Scenario: the listener's backend stops
 * answering for 70 s (here: its bytes stop flowing through a proxy for FAULT_MS); before the fix
 * `keywarden_listener_connected` stayed 1, `/readyz` said ready and a payment waited for the resync.
 */
import { describe, expect, it } from 'vitest';
import {
  addPeriod,
  databaseWithPanel,
  insertSeededKey,
  metricValue,
  startTestDaemon,
  useCleanups,
  waitFor,
} from '../../support/reconciler-harness.ts';
import { startPgProxy } from '../../support/pg-proxy.ts';

// The scenario's 70 s freeze; KW_FAULT_MS shortens it for everyday runs (default 3 s).
const FAULT_MS = Number(process.env['KW_FAULT_MS'] ?? 3_000);

describe('frozen listener (issue 11, item 4)', () => {
  const cleanups = useCleanups();

  it(
    'notices a listener whose backend stopped answering, reconnects and applies a payment while it is still frozen',
    async () => {
      const { db, panel } = await databaseWithPanel(cleanups, 'g2');
      const { userId, email } = await insertSeededKey(db.pool, panel, null, { enable: false });
      const proxy = await startPgProxy(db.url);
      cleanups.push(() => proxy.close());
      const running = await startTestDaemon(
        db.url,
        // Resync far away: only the listener (or its reconnect) can bring the payment in time.
        { KEYWARDEN_LISTENER_PROBE_INTERVAL: '250ms', KEYWARDEN_RESYNC_INTERVAL: '1h' },
        undefined,
        proxy.url,
      );
      cleanups.push(running.stop);
      cleanups.push(() => {
        proxy.thaw();
        return Promise.resolve();
      });
      await waitFor('listener ready', async () => (await running.daemon.readiness()).ready);
      await waitFor(
        'first pass',
        async () => (await db.pool.query('select 1 from key_state')).rows.length === 1,
      );
      expect(await metricValue(running.daemon, 'keywarden_listener_connected')).toBe(1);

      proxy.freeze('keywarden-listener');
      expect(proxy.frozenCount).toBe(1);
      const frozenAt = Date.now();
      await addPeriod(db.pool, userId, 0, 3_600_000);

      // The reconnect follows the failed probe within milliseconds, so readiness is sampled through
      // the gauge's history: the counter says a probe failed and the listener went through a reconnect.
      await waitFor(
        'a failed probe',
        async () => (await metricValue(running.daemon, 'keywarden_listener_probe_failures_total')) >= 1,
        FAULT_MS,
      );
      await waitFor(
        'payment applied by the reconnect pass',
        () => panel.sim.inspectClient(email)?.enable === true,
        Math.max(500, FAULT_MS - (Date.now() - frozenAt)),
      );
      // Still frozen: the old session did not deliver it; the new session's full pass did.
      expect(proxy.frozenCount).toBeGreaterThanOrEqual(1);
      await waitFor('listener ready again', async () => (await running.daemon.readiness()).ready, FAULT_MS);
      expect(await metricValue(running.daemon, 'keywarden_listener_connected')).toBe(1);
      proxy.thaw();
    },
    3 * FAULT_MS + 20_000,
  );
});
