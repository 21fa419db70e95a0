/**
 * Issue 11, item 8: an audit that tells the truth. A write that was applied but whose read-back
 * failed is `unconfirmed`, not `failed`; the daemon and `reconcile --once` never both write or
 * record one change (the one-off pass takes the panel locks too). Item 1's test covers "a replica
 * without ownership records nothing as applied".
 */
import { describe, expect, it } from 'vitest';
import { runCliAgainst } from '../../support/cli.ts';
import { createTestDatabase } from '../../support/database.ts';
import {
  addSimulatedPanel,
  insertKey,
  insertSeededKey,
  insertUserWithPeriod,
  panelWrites,
  startTestDaemon,
  useCleanups,
  waitFor,
} from '../../support/reconciler-harness.ts';

describe('audit truth (issue 11, item 8)', () => {
  const cleanups = useCleanups();

  it('records a write whose read-back failed as unconfirmed, then converges on the next read', async () => {
    const db = await createTestDatabase();
    cleanups.push(db.drop);
    const panel = await addSimulatedPanel(db.pool, 'g2');
    cleanups.push(() => panel.sim.close());
    const { userId, keyId, email } = await insertSeededKey(db.pool, panel, {
      startInMs: -60_000,
      durationMs: 3_600_000,
    });
    const running = await startTestDaemon(db.url);
    cleanups.push(running.stop);
    await waitFor(
      'first pass',
      async () => (await db.pool.query('select 1 from key_state')).rows.length === 1,
    );
    await waitFor('listener ready', async () => (await running.daemon.readiness()).ready);

    // The update goes through; the read-back after it gets a 500. (The refund's targeted pass reads
    // the client the same way first: that read fails too, and the panel pass that follows writes.)
    await panel.sim.setFault({ kind: 'status', status: 500 }, { pathIncludes: 'clients/traffic', times: 2 });
    await db.pool.query('update subscription_periods set cancelled_at = now() where user_id = $1', [userId]);
    await waitFor('disabled on the panel', () => panel.sim.inspectClient(email)?.enable === false);
    await waitFor('the disable recorded', async () => {
      const { rows } = await db.pool.query('select 1 from reconcile_events where key_id = $1', [keyId]);
      return rows.length > 0;
    });
    // The retry re-reads the panel: the key is converged without a second write.
    await waitFor('converged after a re-read', async () => {
      const { rows } = await db.pool.query<{ converged: boolean; last_action: string }>(
        'select converged, last_action from key_state where key_id = $1',
        [keyId],
      );
      return rows[0]?.converged === true && rows[0].last_action === 'disable:unconfirmed';
    });
    const { rows } = await db.pool.query<{ action: string; outcome: string }>(
      'select action, outcome from reconcile_events where key_id = $1 order by id',
      [keyId],
    );
    expect(rows).toEqual([{ action: 'disable', outcome: 'unconfirmed' }]);
  });

  it('reconcile --once leaves a panel a daemon owns to it: one create, recorded once', async () => {
    const db = await createTestDatabase();
    cleanups.push(db.drop);
    const panel = await addSimulatedPanel(db.pool, 'g2', { name: 'edge' });
    cleanups.push(() => panel.sim.close());
    const running = await startTestDaemon(db.url);
    cleanups.push(running.stop);
    await waitFor('the daemon owns the panel', () => running.daemon.ownedPanels().length === 1);

    const key = await insertKey(
      db.pool,
      await insertUserWithPeriod(db.pool, { startInMs: -1_000, durationMs: 3_600_000 }),
      panel,
    );
    const once = await runCliAgainst(db.url, ['reconcile', '--once']);
    expect(once.out).toContain('panel edge: owned by a running keywarden replica — left to it');
    await waitFor('created', () => panel.sim.inspectClient(key.email)?.enable === true);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(panelWrites(panel.sim).filter((write) => write.includes('clients/add'))).toHaveLength(1);
    const { rows } = await db.pool.query<{ outcome: string }>(
      `select outcome from reconcile_events where key_id = $1 and action = 'create'`,
      [key.keyId],
    );
    expect(rows).toEqual([{ outcome: 'applied' }]);
  });
});
