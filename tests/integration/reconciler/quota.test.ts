import { describe, expect, it } from 'vitest';
import { grantPeriod, upsertPlan } from '../../../src/db/index.ts';
import { asUserId } from '../../../src/domain/index.ts';
import { useTestDatabase } from '../../support/database.ts';
import {
  addSimulatedPanel,
  insertKey,
  insertUserWithPeriod,
  startTestDaemon,
  useCleanups,
  waitFor,
} from '../../support/reconciler-harness.ts';

const database = useTestDatabase();
const MB = 1024 * 1024;

describe.each(['g2', 'g1'] as const)('per-period quota on a %s panel', (generation) => {
  const cleanups = useCleanups();

  it('disables a key that used up its quota, and a renewal re-enables it with totalGB = used + quota that the panel job keeps', async () => {
    const { pool, url } = database();
    const panel = await addSimulatedPanel(pool, generation);
    cleanups.push(() => panel.sim.close());
    const plan = await upsertPlan(pool, {
      code: `mb-${generation}`,
      title: '1 MB',
      durationDays: 30,
      price: '1',
      currency: 'USD',
      trafficLimitBytes: MB,
    });
    const userId = await insertUserWithPeriod(pool, null);
    // The first period ends soon, so the renewal appended at its end starts within the test.
    await pool.query(
      `insert into subscription_periods (user_id, plan_id, source, starts_at, ends_at)
       values ($1, $2, 'admin', now() - interval '60 seconds', now() + interval '6 seconds')`,
      [userId, plan.id],
    );
    const { keyId, email } = await insertKey(pool, userId, panel);
    const running = await startTestDaemon(url, { KEYWARDEN_RESYNC_INTERVAL: '500ms' });
    cleanups.push(running.stop);
    // Served means both the client's switch and the traffic row's flag (the one the panel job clears).
    const isServed = (): boolean => {
      const client = panel.sim.inspectClient(email);
      return client?.enable === true && client.trafficEnable;
    };
    const reasonOf = async (): Promise<string | undefined> => {
      const { rows } = await pool.query<{ reason: string }>(
        `select desired ->> 'reason' as reason from key_state where key_id = $1`,
        [keyId],
      );
      return rows[0]?.reason;
    };

    await waitFor(
      'client created with the plan quota',
      () => panel.sim.inspectClient(email)?.enable === true,
    );
    expect(panel.sim.inspectClient(email)?.totalGB).toBe(MB);

    panel.sim.addTraffic(email, MB, MB);
    panel.sim.runJob();
    expect(isServed()).toBe(false);
    await waitFor('key disabled for its quota', async () => (await reasonOf()) === 'quota-exhausted', 3_000);

    const granted = await grantPeriod(pool, {
      userId: asUserId(userId),
      source: 'admin',
      planId: plan.id,
      durationMs: 30 * 86_400_000,
    });
    if (granted.kind !== 'granted') {
      throw new Error('the renewal was not granted');
    }
    const startsAtMs = granted.period.startsAt.getTime();
    await waitFor('client enabled when the renewal starts', isServed, 10_000);
    // The renewal is appended at the end of coverage: it counts from its start, not from its payment.
    expect(Date.now()).toBeGreaterThanOrEqual(startsAtMs);
    expect(Date.now() - startsAtMs).toBeLessThan(3_000);
    expect(panel.sim.inspectClient(email)).toMatchObject({ totalGB: 3 * MB, up: MB, down: MB, reset: 0 });
    // key_state is recorded after the panel write.
    await waitFor('baseline of the renewal recorded', async () => {
      const { rows } = await pool.query<{ period: string; bytes: string }>(
        'select quota_period_id::text as period, quota_baseline_bytes::text as bytes from key_state where key_id = $1',
        [keyId],
      );
      return rows[0]?.period === granted.period.id && rows[0].bytes === String(2 * MB);
    });

    // The panel's own depletion job leaves the renewed key alone ...
    panel.sim.runJob();
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(isServed()).toBe(true);
    expect(await reasonOf()).toBe('entitled');

    // ... until the new period's quota is used up too.
    panel.sim.addTraffic(email, 0, MB);
    panel.sim.runJob();
    expect(isServed()).toBe(false);
    await waitFor(
      'key disabled for the new period quota',
      async () => (await reasonOf()) === 'quota-exhausted',
    );
    expect(panel.sim.inspectClient(email)?.totalGB).toBe(3 * MB);
  });
});
