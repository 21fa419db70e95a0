import { describe, expect, it } from 'vitest';
import { deleteClientG1, deleteClientG2 } from '../../../src/simulator/index.ts';
import { useTestDatabase } from '../../support/database.ts';
import {
  addSimulatedPanel,
  insertKey,
  insertUserWithPeriod,
  metricValue,
  panelWrites,
  seedClientForKey,
  startTestDaemon,
  useCleanups,
  waitFor,
} from '../../support/reconciler-harness.ts';

const database = useTestDatabase();

describe.each(['g2', 'g1'] as const)('hand edits on a %s panel', (generation) => {
  const cleanups = useCleanups();

  it('reports hand edits as drift while the panel is observe-only, and corrects them once it is enforced again', async () => {
    const { pool, url } = database();
    const panel = await addSimulatedPanel(pool, generation);
    cleanups.push(() => panel.sim.close());
    const keys = [];
    for (let index = 0; index < 5; index += 1) {
      const key = await insertKey(
        pool,
        await insertUserWithPeriod(pool, { startInMs: -60_000, durationMs: 3_600_000 }),
        panel,
      );
      await seedClientForKey(pool, panel, key.keyId);
      keys.push(key);
    }
    const [disabled, expiring, renewing, deleted] = keys as [
      (typeof keys)[0],
      (typeof keys)[0],
      (typeof keys)[0],
      (typeof keys)[0],
    ];
    const running = await startTestDaemon(url, { KEYWARDEN_RESYNC_INTERVAL: '700ms' });
    cleanups.push(running.stop);
    await waitFor('all keys converged', async () => {
      const { rows } = await pool.query<{ n: number }>(
        'select count(*)::int as n from key_state where converged',
      );
      return rows[0]!.n === 5;
    });

    // Observe-only: the next passes report the edits but change nothing.
    await pool.query('update panels set suspended = true where id = $1', [panel.panelId]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    panel.sim.editClient(disabled.email, { enable: false });
    panel.sim.editClient(expiring.email, { expiryTime: Date.now() + 86_400_000 });
    panel.sim.editClient(renewing.email, { reset: 30 });
    const uuid = panel.sim.inspectClient(deleted.email)!.uuid;
    const removed =
      generation === 'g2'
        ? deleteClientG2(panel.sim.model, deleted.email, false)
        : deleteClientG1(panel.sim.model, panel.inboundId, uuid);
    expect(removed.ok).toBe(true);

    const kinds = ['disabled-should-be-on', 'expiry-mismatch', 'reset-nonzero', 'missing-client'];
    await waitFor('drift reported', async () => {
      const values = await Promise.all(
        kinds.map((kind) => metricValue(running.daemon, 'keywarden_drift', { panel: panel.name, kind })),
      );
      return values.every((value) => value === 1);
    });
    expect(panel.sim.inspectClient(disabled.email)?.enable).toBe(false);
    expect(panel.sim.inspectClient(deleted.email)).toBeUndefined();

    await pool.query('update panels set suspended = false where id = $1', [panel.panelId]);
    await waitFor('every edit corrected', () =>
      [disabled, expiring, renewing, deleted]
        .map((key) => panel.sim.inspectClient(key.email))
        .every((client) => client?.enable === true && client.expiryTime === 0 && client.reset === 0),
    );
    expect(panel.sim.inspectClient(deleted.email)?.uuid).toBe(uuid);
    const expected = ['enable', 'update', 'update', 'create'];
    let actions: string[] = [];
    await waitFor('corrections recorded', async () => {
      const { rows } = await pool.query<{ action: string }>(
        `select action from reconcile_events where outcome = 'applied' and key_id = any($1::bigint[]) order by key_id`,
        [[disabled.keyId, expiring.keyId, renewing.keyId, deleted.keyId]],
      );
      actions = rows.map((row) => row.action);
      return actions.length >= expected.length;
    });
    expect(actions).toEqual(expected);
  });

  it("keeps an entitled key on although the panel's own job had disabled it for an old expiry", async () => {
    const { pool, url } = database();
    const panel = await addSimulatedPanel(pool, generation, { jobIntervalMs: 100 });
    cleanups.push(() => panel.sim.close());
    const key = await insertKey(
      pool,
      await insertUserWithPeriod(pool, { startInMs: -60_000, durationMs: 3_600_000 }),
      panel,
    );
    await seedClientForKey(pool, panel, key.keyId, { enable: false, expiryTime: Date.now() - 60_000 });
    const running = await startTestDaemon(url, { KEYWARDEN_EXPIRY_MARGIN: '1h' });
    cleanups.push(running.stop);
    await waitFor('key enabled', () => panel.sim.inspectClient(key.email)?.enable === true);
    // Ten job ticks later the client is still on: expiry moved past the coverage end, reset 0.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const client = panel.sim.inspectClient(key.email)!;
    expect(client).toMatchObject({ enable: true, trafficEnable: true, reset: 0 });
    expect(client.expiryTime).toBeGreaterThan(Date.now() + 3_600_000);
  });

  it('in observe mode (KEYWARDEN_MODE=observe) plans and records but writes nothing to the panel', async () => {
    const { pool, url } = database();
    const panel = await addSimulatedPanel(pool, generation);
    cleanups.push(() => panel.sim.close());
    const expired = await insertKey(
      pool,
      await insertUserWithPeriod(pool, { startInMs: -60_000, durationMs: 30_000 }),
      panel,
    );
    await seedClientForKey(pool, panel, expired.keyId);
    const running = await startTestDaemon(url, { KEYWARDEN_MODE: 'observe' });
    cleanups.push(running.stop);
    await waitFor('pass recorded', async () => {
      const { rows } = await pool.query<{ last_error: string | null }>(
        'select last_error from key_state where key_id = $1',
        [expired.keyId],
      );
      return rows[0]?.last_error === 'observe only: change not applied';
    });
    expect(panelWrites(panel.sim)).toEqual([]);
    expect(panel.sim.inspectClient(expired.email)?.enable).toBe(true);
  });
});
