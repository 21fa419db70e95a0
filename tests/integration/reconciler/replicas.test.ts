import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../../support/database.ts';
import {
  addPeriod,
  addSimulatedPanel,
  databaseWithPanel,
  insertKey,
  insertSeededKey,
  insertUserWithPeriod,
  metricValue,
  panelWrites,
  seedClientForKey,
  startTestDaemon,
  useCleanups,
  waitFor,
} from '../../support/reconciler-harness.ts';

async function terminate(applicationName: string, database: string): Promise<number> {
  const admin = new pg.Client({ connectionString: inject('adminDatabaseUrl') });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ pid: number }>(
      `select pg_terminate_backend(pid), pid from pg_stat_activity where application_name = $1 and datname = $2`,
      [applicationName, database],
    );
    return rows.length;
  } finally {
    await admin.end();
  }
}

describe('connections and replicas', () => {
  const cleanups = useCleanups();

  it('applies a change committed while the listener was cut off right after it reconnects', async () => {
    const { db, panel } = await databaseWithPanel(cleanups, 'g2');
    const { userId, ...key } = await insertSeededKey(db.pool, panel, null, { enable: false });
    const running = await startTestDaemon(db.url);
    cleanups.push(running.stop);
    await waitFor('listener ready', async () => (await running.daemon.readiness()).ready);
    await waitFor(
      'first pass',
      async () => (await db.pool.query('select 1 from key_state')).rows.length === 1,
    );

    const reconnectsBefore = await metricValue(running.daemon, 'keywarden_reconcile_runs_total', {
      trigger: 'reconnect',
    });
    // Keep the listener out: no new connections to the database while the change is committed.
    const admin = new pg.Client({ connectionString: inject('adminDatabaseUrl') });
    await admin.connect();
    cleanups.push(() => admin.end());
    await admin.query(`alter database ${db.name} allow_connections false`);
    expect(await terminate('keywarden-listener', db.name)).toBe(1);
    await waitFor('listener down', async () => !(await running.daemon.readiness()).ready);
    await addPeriod(db.pool, userId, 0, 3_600_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(panel.sim.inspectClient(key.email)?.enable).toBe(false);
    await admin.query(`alter database ${db.name} allow_connections true`);

    await waitFor(
      'key enabled after the reconnect',
      () => panel.sim.inspectClient(key.email)?.enable === true,
      15_000,
    );
    await waitFor('the reconnect pass counted', async () => {
      const after = await metricValue(running.daemon, 'keywarden_reconcile_runs_total', {
        trigger: 'reconnect',
      });
      return after > reconnectsBefore;
    });
    expect((await running.daemon.readiness()).ready).toBe(true);
  });

  it('hands a panel to the other replica when the lock session dies, and the old owner stops writing', async () => {
    const { db, panel } = await databaseWithPanel(cleanups, 'g2');
    const a = await startTestDaemon(db.url, {}, 'replica-a');
    cleanups.push(a.stop);
    const b = await startTestDaemon(db.url, {}, 'replica-b');
    cleanups.push(b.stop);
    await waitFor('one owner', () => a.daemon.ownedPanels().length + b.daemon.ownedPanels().length === 1);
    const [owner, other] = a.daemon.ownedPanels().length === 1 ? [a, b] : [b, a];
    await waitFor(
      'ownership exported',
      async () => (await metricValue(owner.daemon, 'keywarden_panel_owned', { panel: panel.name })) === 1,
    );

    expect(await terminate(`keywarden-lock ${owner.daemon.replicaId}`, db.name)).toBe(1);
    const tookMs = await waitFor(
      'the other replica owns the panel',
      () => other.daemon.ownedPanels().length === 1,
      8_000,
    );
    expect(tookMs).toBeLessThan(5_000);
    expect(owner.daemon.ownedPanels()).toEqual([]);
    await waitFor(
      'loss exported',
      async () => (await metricValue(owner.daemon, 'keywarden_panel_owned', { panel: panel.name })) === 0,
    );

    const key = await insertKey(
      db.pool,
      await insertUserWithPeriod(db.pool, { startInMs: -1_000, durationMs: 3_600_000 }),
      panel,
    );
    await waitFor('key created by the new owner', () => panel.sim.inspectClient(key.email)?.enable === true);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(panelWrites(panel.sim).filter((write) => write.includes('clients/add'))).toHaveLength(1);
  });

  it('with two daemons on one database, applies every action once', async () => {
    const db = await createTestDatabase();
    cleanups.push(db.drop);
    const panels = [await addSimulatedPanel(db.pool, 'g2'), await addSimulatedPanel(db.pool, 'g1')];
    for (const panel of panels) {
      cleanups.push(() => panel.sim.close());
    }
    const a = await startTestDaemon(db.url, {}, 'replica-a');
    cleanups.push(a.stop);
    const b = await startTestDaemon(db.url, {}, 'replica-b');
    cleanups.push(b.stop);
    await waitFor(
      'both panels owned',
      () => a.daemon.ownedPanels().length + b.daemon.ownedPanels().length === 2,
    );

    const created: Array<{ sim: (typeof panels)[number]['sim']; email: string }> = [];
    const stale: Array<{ sim: (typeof panels)[number]['sim']; email: string }> = [];
    for (const panel of panels) {
      for (let index = 0; index < 4; index += 1) {
        const userId = await insertUserWithPeriod(db.pool, { startInMs: -60_000, durationMs: 3_600_000 });
        created.push({ sim: panel.sim, ...(await insertKey(db.pool, userId, panel)) });
      }
      const key = await insertKey(db.pool, await insertUserWithPeriod(db.pool, null), panel);
      await seedClientForKey(db.pool, panel, key.keyId);
      stale.push({ sim: panel.sim, ...key });
    }
    await waitFor(
      'every key converged',
      () =>
        created.every((key) => key.sim.inspectClient(key.email)?.enable === true) &&
        stale.every((key) => key.sim.inspectClient(key.email)?.enable === false),
    );
    // Let any second replica's pass (or a duplicate) show up in the request log.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    for (const panel of panels) {
      // Four creates and one disable per panel, whichever replica made them: nothing twice.
      expect(panelWrites(panel.sim), panel.sim.generation).toHaveLength(5);
    }
  });
});
