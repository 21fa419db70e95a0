/**
 * Issue 11, item 9: the login lockout trap. Scenario: every `plan` / `reconcile --once` started a
 * fresh panel client that ignored the daemon's login backoff; six runs with a wrong password locked
 * the panel for 15 minutes (3x-ui: 5 refused logins in 5 min block the account, right password or
 * not). The failed-login state now lives in the database and every process honours it.
 */
import { describe, expect, it } from 'vitest';
import { runCliAgainst } from '../../support/cli.ts';
import { createTestDatabase } from '../../support/database.ts';
import {
  addSimulatedPanel,
  insertSeededKey,
  metricValue,
  startTestDaemon,
  useCleanups,
  waitFor,
} from '../../support/reconciler-harness.ts';

const cli = runCliAgainst;

describe('login lockout trap (issue 11, item 9)', () => {
  const cleanups = useCleanups();

  it('six plan / reconcile --once runs with a wrong password send one login, and say why in one line', async () => {
    const db = await createTestDatabase();
    cleanups.push(db.drop);
    const panel = await addSimulatedPanel(db.pool, 'g1');
    cleanups.push(() => panel.sim.close());
    await insertSeededKey(db.pool, panel, { startInMs: -60_000, durationMs: 3_600_000 });
    await db.pool.query(`update panels set auth = $2 where id = $1`, [
      panel.panelId,
      JSON.stringify({ kind: 'password', username: 'admin', password: 'wrong' }),
    ]);
    const logins = (): number =>
      panel.sim.requests().filter((request) => request.method === 'POST' && request.path === 'login').length;

    const runs = [];
    for (const args of [
      ['plan'],
      ['reconcile', '--once'],
      ['plan'],
      ['plan'],
      ['reconcile', '--once'],
      ['plan'],
    ]) {
      runs.push(await cli(db.url, args));
    }
    expect(runs.map((run) => run.code)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(logins()).toBe(1);
    const [first, ...held] = runs;
    expect(first?.out).toMatch(/login-rejected.*next login not before/);
    for (const run of held) {
      const line = run.out.split('\n').find((text) => text.includes(`panel ${panel.name}: UNKNOWN`));
      expect(line).toMatch(
        /not trying: 1 refused login in a row with these credentials .*check the panel's username/,
      );
    }

    // A running daemon honours the same state: it does not log in either, and says so in a metric
    // (KeywardenPanelLoginWithheld).
    const running = await startTestDaemon(db.url);
    cleanups.push(running.stop);
    await waitFor(
      'the daemon to hold back its login',
      async () =>
        (await metricValue(running.daemon, 'keywarden_panel_logins_withheld_total', { panel: panel.name })) >=
        1,
    );
    expect(logins()).toBe(1);
    await running.stop();
    cleanups.pop();

    // Fixed credentials are not held back by the old ones' failures.
    await db.pool.query(`update panels set auth = $2 where id = $1`, [
      panel.panelId,
      JSON.stringify({ kind: 'password', username: 'admin', password: 'admin' }),
    ]);
    const fixed = await cli(db.url, ['plan']);
    expect(fixed.code).toBe(0);
    expect(logins()).toBe(2);
    expect((await db.pool.query('select 1 from panel_login_state')).rows).toHaveLength(0);
  });
});
