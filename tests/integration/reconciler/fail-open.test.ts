import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import type { SimulatedFault } from '../../../src/simulator/index.ts';
import {
  databaseWithPanel,
  insertSeededKey,
  metricValue,
  panelWrites,
  startTestDaemon,
  useCleanups,
  waitFor,
} from '../../support/reconciler-harness.ts';

// The issue asks for 30 s of faults; KW_FAULT_MS shortens it for everyday runs (default 3 s).
const FAULT_MS = Number(process.env['KW_FAULT_MS'] ?? 3_000);

const FAULTS: ReadonlyArray<{ name: string; fault: SimulatedFault }> = [
  { name: 'down (connection refused)', fault: { kind: 'down', mode: 'refuse' } },
  { name: 'HTTP 500', fault: { kind: 'status', status: 500 } },
  { name: 'HTML with HTTP 200', fault: { kind: 'html' } },
  { name: 'success:false', fault: { kind: 'refused', text: 'database is locked' } },
];

// The eight cases run concurrently (each with its own database, panel and daemon): at full length
// (KW_FAULT_MS=30000, `npm run test:faults`) they would otherwise take eight times as long.
describe.concurrent.each(['g2', 'g1'] as const)('fail-open on a %s panel', (generation) => {
  it.each(FAULTS)(
    'panel $name: no write while it fails, nothing crashes, converges after recovery',
    async ({ fault }) => {
      const cleanups: Array<() => Promise<void>> = [];
      try {
        const { db, panel } = await databaseWithPanel(cleanups, generation);
        const paid = await insertSeededKey(db.pool, panel, { startInMs: -60_000, durationMs: 3_600_000 });
        const expired = await insertSeededKey(db.pool, panel, { startInMs: -60_000, durationMs: 30_000 });
        await panel.sim.setFault(fault);

        const running = await startTestDaemon(db.url);
        cleanups.push(running.stop);
        await new Promise((resolve) => setTimeout(resolve, FAULT_MS));
        expect(panelWrites(panel.sim)).toEqual([]);
        expect(await metricValue(running.daemon, 'keywarden_panel_up', { panel: panel.name })).toBe(0);
        expect(panel.sim.inspectClient(paid.email)?.enable).toBe(true);

        await panel.sim.clearFault();
        // The next attempt comes after the panel's backoff, which doubled through the fault (1 s, 2 s,
        // 4 s, …): after a fault of FAULT_MS the next step is up to about FAULT_MS away, plus a few
        // more seconds on a loaded CI machine.
        await waitFor(
          'expired key disabled after recovery',
          () => panel.sim.inspectClient(expired.email)?.enable === false,
          FAULT_MS + 30_000,
        );
        expect(panel.sim.inspectClient(paid.email)?.enable).toBe(true);
        expect(await metricValue(running.daemon, 'keywarden_panel_up', { panel: panel.name })).toBe(1);
      } finally {
        for (const cleanup of cleanups.reverse()) {
          await cleanup();
        }
      }
    },
    2 * FAULT_MS + 60_000,
  );
});

describe('fail-open when the database goes away', () => {
  const cleanups = useCleanups();

  it('writes nothing to any panel while the database is unreachable, and converges when it returns', async () => {
    const { db, panel } = await databaseWithPanel(cleanups, 'g2');
    const key = await insertSeededKey(db.pool, panel, {
      startInMs: -60_000,
      durationMs: 3_600_000,
    });
    const running = await startTestDaemon(db.url, { KEYWARDEN_RESYNC_INTERVAL: '500ms' });
    cleanups.push(running.stop);
    await waitFor('first pass recorded', async () => {
      const { rows } = await db.pool.query('select 1 from key_state');
      return rows.length === 1;
    });

    // Cut the database off: no new connections, every existing one terminated.
    db.pool.on('error', () => {
      // Our own test pool's idle clients are terminated too.
    });
    const admin = new pg.Client({ connectionString: inject('adminDatabaseUrl') });
    await admin.connect();
    cleanups.push(() => admin.end());
    await admin.query(`alter database ${db.name} allow_connections false`);
    await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [db.name]);
    panel.sim.clearRequests();
    // Meanwhile someone edits the panel by hand; without the DB the daemon must not touch it.
    panel.sim.editClient(key.email, { enable: false });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(panelWrites(panel.sim)).toEqual([]);

    await admin.query(`alter database ${db.name} allow_connections true`);
    await waitFor(
      'hand-disabled key enabled again',
      () => panel.sim.inspectClient(key.email)?.enable === true,
      15_000,
    );
  });
});
