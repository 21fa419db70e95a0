/**
 * Issue 11, item 2: a write that timed out must not land stale later. Scenario (G1): a write took
 * 20 s in the panel against a 10 s timeout; when it landed, it wrote back a stale copy of the
 * inbound's settings (3x-ui's G1 client writes save the whole inbound as read on arrival; the
 * simulator does the same, src/simulator/model/g1.ts): a user who had paid again went off and a new
 * paying user's client vanished until the next full pass. The first test runs at 1 s / 2 s; the
 * second at the scenario's 10 s / 20 s scaled by KW_FAULT_MS (default 3 s of a 30 s fault run).
 */
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../support/database.ts';
import {
  addPeriod,
  addSimulatedPanel,
  insertKey,
  insertSeededKey,
  insertUserWithPeriod,
  metricValue,
  startTestDaemon,
  useCleanups,
  waitFor,
} from '../../support/reconciler-harness.ts';

const FAULT_MS = Number(process.env['KW_FAULT_MS'] ?? 3_000);
/** The scenario's numbers belong to a 30 s fault run. */
const scaled = (ms: number): number => Math.round((ms * FAULT_MS) / 30_000);

describe('late writes (issue 11, item 2)', () => {
  const cleanups = useCleanups();

  it('holds back writes to an inbound after a timeout and re-reads until the late write shows, so a re-paid user ends up on', async () => {
    const db = await createTestDatabase();
    cleanups.push(db.drop);
    const panel = await addSimulatedPanel(db.pool, 'g1');
    cleanups.push(() => panel.sim.close());
    const { userId, email } = await insertSeededKey(db.pool, panel, {
      startInMs: -60_000,
      durationMs: 3_600_000,
    });
    const running = await startTestDaemon(db.url, {
      KEYWARDEN_PANEL_TIMEOUT: '1s',
      // Longer than the test: only a read that shows the late write may lift the quarantine.
      KEYWARDEN_WRITE_QUIET: '30s',
      KEYWARDEN_RESYNC_INTERVAL: '1h',
    });
    cleanups.push(running.stop);
    await waitFor(
      'first pass',
      async () => (await db.pool.query('select 1 from key_state')).rows.length === 1,
    );
    await waitFor('listener ready', async () => (await running.daemon.readiness()).ready);

    // The next client update takes the panel 2 s: the client gives up after 1 s, the panel goes on.
    await panel.sim.setFault({ kind: 'slow', delayMs: 2_000 }, { pathIncludes: 'updateClient', times: 1 });
    await db.pool.query('update subscription_periods set cancelled_at = now() where user_id = $1', [userId]);
    // The client gives up on the disable after 1 s.
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    // The customer pays again while the abandoned disable is still running in the panel.
    await addPeriod(db.pool, userId, 0, 3_600_000);

    // The late disable lands at ~2 s; the re-read sees it and enables the key again.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await waitFor('the re-paid user is on', () => panel.sim.inspectClient(email)?.enable === true, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(panel.sim.inspectClient(email)?.enable).toBe(true);
    const { rows } = await db.pool.query<{ converged: boolean }>('select converged from key_state');
    expect(rows[0]?.converged).toBe(true);
    expect(await metricValue(running.daemon, 'keywarden_write_timeouts_total', { panel: panel.name })).toBe(
      1,
    );
  });

  it(
    "a new paying user's client is not added while a stale G1 write is still running, so it does not vanish when that write lands",
    async () => {
      const timeoutMs = scaled(10_000);
      const panelMs = scaled(20_000);
      const db = await createTestDatabase();
      cleanups.push(db.drop);
      const panel = await addSimulatedPanel(db.pool, 'g1');
      cleanups.push(() => panel.sim.close());
      const payer = await insertSeededKey(db.pool, panel, { startInMs: -60_000, durationMs: 3_600_000 });
      const running = await startTestDaemon(db.url, {
        KEYWARDEN_PANEL_TIMEOUT: `${String(timeoutMs)}ms`,
        // An extension changes the client's expiryTime (coverage end + margin): a write to the inbound.
        KEYWARDEN_EXPIRY_MARGIN: '30s',
        // The default quiet period (60 s) outlasts the panel's 20 s: only a read ends the quarantine.
        KEYWARDEN_RESYNC_INTERVAL: '1h',
      });
      cleanups.push(running.stop);
      await waitFor(
        'first pass',
        async () => (await db.pool.query('select 1 from key_state where converged')).rows.length === 1,
      );
      await waitFor('listener ready', async () => (await running.daemon.readiness()).ready);
      const expiryBefore = panel.sim.inspectClient(payer.email)?.expiryTime ?? 0;

      // The payer extends; the panel takes panelMs for that write and saves the inbound as it read it.
      await panel.sim.setFault(
        { kind: 'slow', delayMs: panelMs },
        { pathIncludes: 'updateClient', times: 1 },
      );
      panel.sim.clearRequests();
      // Overlapping the first period, so coverage runs on.
      await addPeriod(db.pool, payer.userId, 3_000_000, 3_600_000);
      await waitFor(
        'the extension to time out',
        async () =>
          (await metricValue(running.daemon, 'keywarden_write_timeouts_total', { panel: panel.name })) === 1,
        timeoutMs + 10_000,
      );
      const slowWrite = panel.sim.requests().find((request) => request.path.includes('updateClient'));
      expect(slowWrite).toBeDefined();
      const landsAtMs = (slowWrite?.atMs ?? 0) + panelMs;
      expect(Date.now()).toBeLessThan(landsAtMs);

      // A new customer pays while the abandoned write is still running: a client to add to the inbound.
      const newcomerId = await insertUserWithPeriod(db.pool, { startInMs: -1_000, durationMs: 3_600_000 });
      const newcomer = await insertKey(db.pool, newcomerId, panel);
      await waitFor(
        "the newcomer's client on the panel and the payer's extension landed",
        () =>
          panel.sim.inspectClient(newcomer.email)?.enable === true &&
          (panel.sim.inspectClient(payer.email)?.expiryTime ?? 0) > expiryBefore,
        panelMs + 15_000,
      );
      // No write reached the inbound before the late write landed: the newcomer's add came after it.
      const writes = panel.sim
        .requests()
        .filter(
          (request) =>
            request.method === 'POST' &&
            request.path.startsWith('panel/api/') &&
            request.path !== slowWrite?.path,
        );
      expect(writes.length).toBeGreaterThan(0);
      for (const write of writes) {
        expect(write.atMs).toBeGreaterThanOrEqual(landsAtMs);
      }

      // And it stays: nothing lands afterwards, both payers are on and recorded as converged.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(panel.sim.inspectClient(newcomer.email)?.enable).toBe(true);
      expect(panel.sim.inspectClient(payer.email)?.enable).toBe(true);
      const { rows } = await db.pool.query<{ converged: boolean }>('select converged from key_state');
      expect(rows.map((row) => row.converged)).toEqual([true, true]);
    },
    3 * FAULT_MS + 30_000,
  );
});
