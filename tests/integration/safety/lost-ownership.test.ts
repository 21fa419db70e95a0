/**
 * Issue 11, item 1 (and item 8's "a replica without ownership records nothing as applied").
 * Scenario: the owner's lock session was terminated; another replica took the panel over 0.5 s later;
 * 2 s later the old owner still sent `clients/update` = disable for a customer who had just paid
 * again (off for 10 s), recorded "disable applied" and queued an "access suspended" message.
 */
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../../support/database.ts';
import {
  addPeriod,
  addSimulatedPanel,
  insertSeededKey,
  startTestDaemon,
  useCleanups,
  waitFor,
} from '../../support/reconciler-harness.ts';

async function terminateLockSession(replicaId: string, database: string): Promise<number> {
  const admin = new pg.Client({ connectionString: inject('adminDatabaseUrl') });
  await admin.connect();
  try {
    const { rows } = await admin.query(
      `select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1 and datname = $2`,
      [`keywarden-lock ${replicaId}`, database],
    );
    return rows.length;
  } finally {
    await admin.end();
  }
}

describe('lost ownership (issue 11, item 1)', () => {
  const cleanups = useCleanups();

  it('a write in flight when the lock is lost is never sent, and nothing is recorded as applied', async () => {
    const db = await createTestDatabase();
    cleanups.push(db.drop);
    const panel = await addSimulatedPanel(db.pool, 'g2');
    cleanups.push(() => panel.sim.close());
    // A customer whose period is about to be refunded, on a panel with enough paying users that one
    // disable is no valve matter.
    const { userId, keyId, email } = await insertSeededKey(db.pool, panel, {
      startInMs: -60_000,
      durationMs: 3_600_000,
    });
    const a = await startTestDaemon(db.url, { KEYWARDEN_PANEL_TIMEOUT: '5s' }, 'replica-a');
    cleanups.push(a.stop);
    await waitFor('a owns the panel', () => a.daemon.ownedPanels().length === 1);
    await waitFor('a ready', async () => (await a.daemon.readiness()).ready);
    await waitFor(
      'first pass',
      async () => (await db.pool.query('select 1 from key_state')).rows.length === 1,
    );
    const b = await startTestDaemon(db.url, {}, 'replica-b');
    cleanups.push(b.stop);
    await waitFor('b ready', async () => (await b.daemon.readiness()).ready);

    // The read of the read-modify-write takes the panel 2 s: the disable is in flight meanwhile.
    await panel.sim.setFault({ kind: 'slow', delayMs: 2_000 }, { pathIncludes: 'clients/get', times: 1 });
    panel.sim.clearRequests();
    await db.pool.query('update subscription_periods set cancelled_at = now() where user_id = $1', [userId]);
    await waitFor('the disable started', () =>
      panel.sim.requests().some((request) => request.path.includes('clients/get')),
    );
    // The customer pays again; A's lock session dies; B takes the panel over (and sees a payer).
    await addPeriod(db.pool, userId, 0, 3_600_000);
    expect(await terminateLockSession('replica-a', db.name)).toBe(1);
    await waitFor('b owns the panel', () => b.daemon.ownedPanels().length === 1, 8_000);

    // Long enough for A's slow read to finish and for its update to go out, were it sent.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(
      panel.sim.requests().filter((request) => request.path.startsWith('panel/api/clients/update')),
    ).toEqual([]);
    expect(panel.sim.inspectClient(email)?.enable).toBe(true);
    const { rows: applied } = await db.pool.query(
      `select 1 from reconcile_events where key_id = $1 and action = 'disable' and outcome = 'applied'`,
      [keyId],
    );
    expect(applied).toEqual([]);
    const { rows: outbox } = await db.pool.query(`select kind from outbox where kind = 'access-suspended'`);
    expect(outbox).toEqual([]);
  });
});
