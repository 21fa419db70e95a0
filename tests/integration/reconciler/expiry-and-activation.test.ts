import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../support/database.ts';
import {
  addPeriod,
  addSimulatedPanel,
  insertKey,
  insertUserWithPeriod,
  startTestDaemon,
  type TestPanel,
  useCleanups,
  waitFor,
} from '../../support/reconciler-harness.ts';

const database = useTestDatabase();

describe.each(['g2', 'g1'] as const)('expiry and activation on a %s panel', (generation) => {
  const cleanups = useCleanups();

  async function setup(): Promise<{ panel: TestPanel; url: string }> {
    const { pool, url } = database();
    const panel = await addSimulatedPanel(pool, generation);
    cleanups.push(() => panel.sim.close());
    return { panel, url };
  }

  it('creates the missing client of a paid key, disables it within 2 s of the period end, and enables it within 1 s of a new period', async () => {
    const { panel, url } = await setup();
    const { pool } = database();
    const userId = await insertUserWithPeriod(pool, { startInMs: -60_000, durationMs: 66_000 });
    const { email } = await insertKey(pool, userId, panel);
    const { rows } = await pool.query<{ ends: Date }>(
      'select max(ends_at) as ends from subscription_periods where user_id = $1',
      [userId],
    );
    const endsAtMs = rows[0]!.ends.getTime();
    const running = await startTestDaemon(url);
    cleanups.push(running.stop);

    await waitFor('client created and enabled', () => panel.sim.inspectClient(email)?.enable === true, 5_000);
    const { rows: keys } = await pool.query<{ client_uuid: string }>(
      'select client_uuid from vpn_keys where email = $1',
      [email],
    );
    expect(panel.sim.inspectClient(email)?.uuid).toBe(keys[0]!.client_uuid);

    await waitFor(
      'client disabled after the period end',
      () => panel.sim.inspectClient(email)?.enable === false,
      12_000,
    );
    expect(Date.now() - endsAtMs).toBeLessThan(2_000);

    const committedAt = Date.now();
    await addPeriod(pool, userId, 0, 3_600_000);
    await waitFor(
      'client enabled after the new period',
      () => panel.sim.inspectClient(email)?.enable === true,
      3_000,
    );
    expect(Date.now() - committedAt).toBeLessThan(1_000);
    expect(panel.sim.inspectClient(email)).toMatchObject({ expiryTime: 0, totalGB: 0, reset: 0 });

    let kinds: string[] = [];
    await waitFor('outbox messages', async () => {
      const { rows: outbox } = await pool.query<{ kind: string }>(
        'select kind from outbox where user_id = $1 order by id',
        [userId],
      );
      kinds = outbox.map((row) => row.kind);
      return kinds.length >= 2;
    });
    expect(kinds).toEqual(['access-suspended', 'access-reactivated']);
  });

  it('activates a future-dated period at its start', async () => {
    const { panel, url } = await setup();
    const { pool } = database();
    const userId = await insertUserWithPeriod(pool, { startInMs: 2_500, durationMs: 3_600_000 });
    const { email } = await insertKey(pool, userId, panel);
    const running = await startTestDaemon(url);
    cleanups.push(running.stop);
    const { rows } = await pool.query<{ starts: Date }>(
      'select starts_at as starts from subscription_periods where user_id = $1',
      [userId],
    );
    await waitFor(
      'client created at the period start',
      () => panel.sim.inspectClient(email)?.enable === true,
      6_000,
    );
    const lateMs = Date.now() - rows[0]!.starts.getTime();
    expect(lateMs).toBeGreaterThanOrEqual(0);
    expect(lateMs).toBeLessThan(2_000);
  });
});
