/**
 * Issue 11, item 6: a missing inbound is a problem, not silence. Scenario: an inbound was removed on
 * the panel; new keys were still issued onto it and never existed, `plan` said "in sync" and
 * `key_state.last_error` stayed empty.
 */
import { describe, expect, it } from 'vitest';
import { issueKey } from '../../../src/db/index.ts';
import { asUserId } from '../../../src/domain/index.ts';
import { runCliAgainst } from '../../support/cli.ts';
import { createTestDatabase } from '../../support/database.ts';
import {
  addSimulatedPanel,
  insertSeededKey,
  insertUserWithPeriod,
  metricValue,
  startTestDaemon,
  useCleanups,
  waitFor,
} from '../../support/reconciler-harness.ts';

describe('missing inbound (issue 11, item 6)', () => {
  const cleanups = useCleanups();

  it('marks the inbound missing, issues elsewhere, refuses --inbound, and shows keys on it as needs-human', async () => {
    const db = await createTestDatabase();
    cleanups.push(db.drop);
    const panel = await addSimulatedPanel(db.pool, 'g2', { name: 'edge' });
    cleanups.push(() => panel.sim.close());
    const removed = panel.sim.addInbound({
      protocol: 'vless',
      port: 8443,
      remark: 'to-be-removed',
      streamSettings: { network: 'tcp', security: 'reality' },
    });
    await insertSeededKey(db.pool, panel, { startInMs: -60_000, durationMs: 3_600_000 });
    expect((await runCliAgainst(db.url, ['reconcile', '--once'])).code).toBe(0);

    // The admin removes the inbound on the panel (it had no clients yet).
    panel.sim.model.inbounds.delete(removed);
    expect((await runCliAgainst(db.url, ['reconcile', '--once'])).code).toBe(0);
    const { rows: inbounds } = await db.pool.query<{ inbound_id: number; missing: boolean }>(
      'select inbound_id, missing_since is not null as missing from inbounds order by inbound_id',
    );
    expect(inbounds).toEqual([
      { inbound_id: panel.inboundId, missing: false },
      { inbound_id: removed, missing: true },
    ]);

    // Issuing skips it, although it is the least loaded inbound.
    const paying = await insertUserWithPeriod(db.pool, { startInMs: -1_000, durationMs: 3_600_000 });
    const issued = await issueKey(db.pool, { userId: asUserId(paying), enforceLimit: false });
    expect(issued).toMatchObject({ kind: 'issued', key: { inboundId: panel.inboundId } });

    // Naming it is refused, in one line.
    const { rows: tg } = await db.pool.query<{ telegram_id: string }>(
      'select telegram_id::text from users where id = $1',
      [paying],
    );
    const refused = await runCliAgainst(db.url, [
      'keys',
      'issue',
      '--telegram-id',
      tg[0]!.telegram_id,
      '--panel',
      'edge',
      '--inbound',
      String(removed),
    ]);
    expect(refused.code).not.toBe(0);
    expect(refused.err.trim().split('\n')).toHaveLength(1);
    expect(refused.err).toContain(`inbound ${String(removed)} of panel edge is missing on the panel since`);

    // A key that was put on it before (the old behaviour) is needs-human with the reason.
    const stranded = await insertUserWithPeriod(db.pool, { startInMs: -1_000, durationMs: 3_600_000 });
    const { rows: keyRows } = await db.pool.query<{ id: string; email: string }>(
      `insert into vpn_keys (user_id, panel_id, inbound_id, flow) values ($1, $2, $3, 'xtls-rprx-vision')
       returning id, email`,
      [stranded, panel.panelId, removed],
    );
    const strandedKey = keyRows[0]!;
    const plan = await runCliAgainst(db.url, ['plan']);
    expect(plan.out).not.toMatch(/panel edge: .*\n {2}in sync/);
    expect(plan.out).toContain('NEEDS A HUMAN');
    expect(plan.out).toMatch(
      new RegExp(`${strandedKey.email}.*missing-inbound: inbound ${String(removed)} is not on the panel`),
    );

    const running = await startTestDaemon(db.url);
    cleanups.push(running.stop);
    await waitFor('needs-human recorded', async () => {
      const { rows } = await db.pool.query<{ needs_human: string | null; last_error: string | null }>(
        'select needs_human, last_error from key_state where key_id = $1',
        [strandedKey.id],
      );
      return rows[0]?.needs_human?.startsWith('missing-inbound') === true;
    });
    const { rows: state } = await db.pool.query<{ last_error: string; converged: boolean }>(
      'select last_error, converged from key_state where key_id = $1',
      [strandedKey.id],
    );
    expect(state[0]).toMatchObject({ converged: false });
    expect(state[0]!.last_error).toMatch(/^needs a human: missing-inbound/);
    expect(
      await metricValue(running.daemon, 'keywarden_keys_needs_human', {
        panel: 'edge',
        kind: 'missing-inbound',
      }),
    ).toBe(1);
    const status = await runCliAgainst(db.url, ['status', '--json']);
    expect(JSON.parse(status.out)).toMatchObject({ panels: [{ panel: 'edge', needsHuman: 1 }] });
    // Nothing was ever sent to the panel for it.
    expect(panel.sim.inspectClient(strandedKey.email)).toBeUndefined();
  });
});
