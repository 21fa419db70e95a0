/**
 * The daemon against 3x-ui releases that behave differently (issue 13): it records the panel's
 * version and flags one outside the tested range, it pins a main / 3.7+ client the panel would renew
 * on its own, and it does not fight a panel that clears a flow the inbound cannot use.
 */
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../support/database.ts';
import {
  addSimulatedPanel,
  insertKey,
  insertUserWithPeriod,
  metricValue,
  seedClientForKey,
  startTestDaemon,
  useCleanups,
  waitFor,
} from '../../support/reconciler-harness.ts';

const database = useTestDatabase();

describe('the daemon on 3x-ui main', () => {
  const cleanups = useCleanups();

  it('records the version, flags one outside the tested range, and pins a client the panel would renew on its own', async () => {
    const { pool, url } = database();
    // A 3.8.0 panel: the mirror holds no 3.7/3.8 source, so it runs on main's behaviour, flagged untested.
    const panel = await addSimulatedPanel(pool, 'g2', { profile: 'main', panelVersion: '3.8.0' });
    cleanups.push(() => panel.sim.close());
    const key = await insertKey(
      pool,
      await insertUserWithPeriod(pool, { startInMs: -60_000, durationMs: 3_600_000 }),
      panel,
    );
    await seedClientForKey(pool, panel, key.keyId);
    // An admin turned on a daily traffic reset and a calendar renew day, and set a device limit.
    panel.sim.editClient(key.email, { trafficReset: 'daily', resetDay: 3, limitHwid: 2 });

    const running = await startTestDaemon(url, { KEYWARDEN_RESYNC_INTERVAL: '700ms' });
    cleanups.push(running.stop);
    await waitFor('the renewal knobs pinned', () => {
      const client = panel.sim.inspectClient(key.email);
      return client?.trafficReset === 'never' && client.resetDay === 0;
    });
    expect(panel.sim.inspectClient(key.email)).toMatchObject({ enable: true, limitHwid: 2 });
    // The pass that pinned it records the panel's version and a good read (in its own transaction).
    await waitFor('the version recorded', async () => {
      const { rows } = await pool.query<{ panel_version: string | null; last_read_ok: boolean | null }>(
        'select panel_version, last_read_ok from panels where id = $1',
        [panel.panelId],
      );
      return rows[0]?.panel_version === '3.8.0' && rows[0].last_read_ok === true;
    });
    expect(await metricValue(running.daemon, 'keywarden_panel_version_untested', { panel: panel.name })).toBe(
      1,
    );
  });
});

describe('the daemon with a scoped API token (3x-ui main)', () => {
  const cleanups = useCleanups();

  it('says the token lacks the admin scope on the panel, never a silent "panel down"', async () => {
    const { pool, url } = database();
    const panel = await addSimulatedPanel(pool, 'g2', {
      profile: 'main',
      token: { token: 'tok-monitor', scope: 'monitor' },
    });
    cleanups.push(() => panel.sim.close());
    const key = await insertKey(
      pool,
      await insertUserWithPeriod(pool, { startInMs: -60_000, durationMs: 3_600_000 }),
      panel,
    );
    await seedClientForKey(pool, panel, key.keyId);
    const running = await startTestDaemon(url, { KEYWARDEN_RESYNC_INTERVAL: '500ms' });
    cleanups.push(running.stop);
    await waitFor('the scope refusal recorded on the panel', async () => {
      const { rows } = await pool.query<{ last_error: string | null; last_read_ok: boolean | null }>(
        'select last_error, last_read_ok from panels where id = $1',
        [panel.panelId],
      );
      return (
        rows[0]?.last_read_ok === false && (rows[0].last_error ?? '').includes('token lacks the admin scope')
      );
    });
    // The key is held (unknown is not absent), not disabled or recreated.
    expect(panel.sim.requests().filter((request) => request.method === 'POST')).toEqual([]);
    expect(panel.sim.inspectClient(key.email)?.enable).toBe(true);
  });
});

describe('the daemon on 3x-ui v3.6', () => {
  const cleanups = useCleanups();

  it('converges a key whose inbound cannot keep its flow, and then leaves it alone', async () => {
    const { pool, url } = database();
    const panel = await addSimulatedPanel(pool, 'g2', { profile: 'v3.6' });
    cleanups.push(() => panel.sim.close());
    const wsInbound = panel.sim.addInbound({
      protocol: 'vless',
      port: 8080,
      streamSettings: { network: 'ws', security: 'none' },
    });
    const userId = await insertUserWithPeriod(pool, { startInMs: -60_000, durationMs: 3_600_000 });
    // A key issued before the panel cleared flows there (its row still asks for Vision).
    const { rows: inserted } = await pool.query<{ email: string }>(
      `insert into vpn_keys (user_id, panel_id, inbound_id, flow) values ($1, $2, $3, 'xtls-rprx-vision') returning email`,
      [userId, panel.panelId, wsInbound],
    );
    const email = inserted[0]!.email;
    const running = await startTestDaemon(url, { KEYWARDEN_RESYNC_INTERVAL: '300ms' });
    cleanups.push(running.stop);
    await waitFor('the key converged', async () => {
      const { rows } = await pool.query<{ converged: boolean }>(
        'select s.converged from key_state s join vpn_keys k on k.id = s.key_id where k.email = $1',
        [email],
      );
      return rows[0]?.converged === true;
    });
    expect(panel.sim.inspectClient(email)).toMatchObject({ enable: true, flow: '' });
    panel.sim.clearRequests();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const writes = panel.sim.requests().filter((request) => request.method === 'POST');
    expect(writes).toEqual([]);
    expect(await metricValue(running.daemon, 'keywarden_panel_version_untested', { panel: panel.name })).toBe(
      0,
    );
  });
});
