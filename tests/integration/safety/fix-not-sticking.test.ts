/**
 * Issue 11, item 7: a fix that does not stick. Example: the panel (or a node) clears `flow` again
 * right after keywarden sets it. Before, keywarden re-applied the same correction on every pass
 * forever; now, after FIX_ATTEMPTS identical corrections within the hour, it stops, marks the key
 * needs-human with the drift kind, counts it in keywarden_keys_needs_human, and tries again only
 * after the window.
 */
import { describe, expect, it } from 'vitest';
import { FIX_ATTEMPTS } from '../../../src/domain/index.ts';
import {
  databaseWithPanel,
  insertSeededKey,
  metricValue,
  panelWrites,
  startTestDaemon,
  useCleanups,
  waitFor,
} from '../../support/reconciler-harness.ts';

describe('a fix that does not stick (issue 11, item 7)', () => {
  const cleanups = useCleanups();

  it('stops re-applying a correction the panel keeps undoing and marks the key needs-human', async () => {
    const { db, panel } = await databaseWithPanel(cleanups, 'g2');
    const { keyId, email } = await insertSeededKey(db.pool, panel, {
      startInMs: -60_000,
      durationMs: 3_600_000,
    });
    // Something on the panel side clears the key's flow again and again.
    const undo = setInterval(() => {
      if (panel.sim.inspectClient(email)?.flow !== '') {
        panel.sim.editClient(email, { flow: '' });
      }
    }, 20);
    cleanups.push(() => {
      clearInterval(undo);
      return Promise.resolve();
    });
    const running = await startTestDaemon(db.url, { KEYWARDEN_RESYNC_INTERVAL: '200ms' });
    cleanups.push(running.stop);

    await waitFor(
      'needs-human recorded',
      async () => {
        const { rows } = await db.pool.query<{ needs_human: string | null }>(
          'select needs_human from key_state where key_id = $1',
          [keyId],
        );
        return rows[0]?.needs_human?.startsWith('fix-not-sticking') === true;
      },
      15_000,
    );
    const writes = panelWrites(panel.sim).length;
    expect(writes).toBe(FIX_ATTEMPTS);
    // Several more passes: no more writes.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(panelWrites(panel.sim)).toHaveLength(FIX_ATTEMPTS);
    const { rows } = await db.pool.query<{ needs_human: string }>(
      'select needs_human from key_state where key_id = $1',
      [keyId],
    );
    expect(rows[0]?.needs_human).toMatch(/^fix-not-sticking: keywarden corrected flow-mismatch 3 times/);
    expect(
      await metricValue(running.daemon, 'keywarden_keys_needs_human', {
        panel: panel.name,
        kind: 'fix-not-sticking',
      }),
    ).toBe(1);
    // The key itself stays served: only the flow correction is given up.
    expect(panel.sim.inspectClient(email)?.enable).toBe(true);
  });
});
