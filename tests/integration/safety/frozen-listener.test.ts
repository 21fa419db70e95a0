/**
 * Issue 11, item 4: a frozen LISTEN session is detected. Scenario: the listener's backend stops
 * answering for 70 s (here: its bytes stop flowing through a proxy); before the fix
 * `keywarden_listener_connected` stayed 1, `/readyz` said ready and a payment waited for the resync.
 */
import { describe, expect, it } from 'vitest';
import {
  addPeriod,
  databaseWithPanel,
  insertSeededKey,
  metricValue,
  startTestDaemon,
  useCleanups,
  waitFor,
} from '../../support/reconciler-harness.ts';
import { startPgProxy } from '../../support/pg-proxy.ts';

// The scenario's numbers belong to a 30 s fault run; KW_FAULT_MS scales them (default 3 s: a 7 s freeze).
const FAULT_MS = Number(process.env['KW_FAULT_MS'] ?? 3_000);
const FREEZE_MS = Math.round((70_000 * FAULT_MS) / 30_000);
/** How long the database takes to accept the listener's new session: the reconnect is visible. */
const RECONNECT_HOLD_MS = 3_000;

interface ReadySample {
  readonly atMs: number;
  readonly status: number;
  readonly body: string;
}

/** Polls `/readyz` every 20 ms until stopped; returns the samples. */
function pollReadyz(url: string): { readonly samples: ReadySample[]; stop(): Promise<void> } {
  const samples: ReadySample[] = [];
  const stopping = new AbortController();
  const loop = (async (): Promise<void> => {
    while (!stopping.signal.aborted) {
      const atMs = Date.now();
      const response = await fetch(`${url}readyz`, { signal: AbortSignal.timeout(5_000) });
      samples.push({ atMs, status: response.status, body: await response.text() });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return {
    samples,
    stop: async () => {
      stopping.abort();
      await loop;
    },
  };
}

describe('frozen listener (issue 11, item 4)', () => {
  const cleanups = useCleanups();

  it(
    'notices a listener whose backend stopped answering: /readyz says not ready until the reconnect, a payment is applied while it is still frozen',
    async () => {
      const { db, panel } = await databaseWithPanel(cleanups, 'g2');
      const { userId, email } = await insertSeededKey(db.pool, panel, null, { enable: false });
      const second = await insertSeededKey(db.pool, panel, null, { enable: false });
      const proxy = await startPgProxy(db.url);
      cleanups.push(() => proxy.close());
      const running = await startTestDaemon(
        db.url,
        // Resync far away: only the listener (or its reconnect) can bring the payment in time.
        { KEYWARDEN_LISTENER_PROBE_INTERVAL: '1s', KEYWARDEN_RESYNC_INTERVAL: '1h' },
        undefined,
        proxy.url,
      );
      cleanups.push(running.stop);
      cleanups.push(() => {
        proxy.thaw();
        return Promise.resolve();
      });
      await waitFor('listener ready', async () => (await running.daemon.readiness()).ready);
      await waitFor(
        'first pass',
        async () => (await db.pool.query('select 1 from key_state')).rows.length === 2,
      );
      expect(await metricValue(running.daemon, 'keywarden_listener_connected')).toBe(1);
      const httpUrl = running.daemon.httpUrl;
      if (httpUrl === undefined) {
        throw new Error('the test daemon serves /readyz');
      }
      const readyz = pollReadyz(httpUrl);
      cleanups.push(() => readyz.stop());
      await waitFor('a /readyz sample', () => readyz.samples.length > 0);

      proxy.freeze('keywarden-listener');
      expect(proxy.frozenCount).toBe(1);
      proxy.holdNew('keywarden-listener', RECONNECT_HOLD_MS);
      const frozenAt = Date.now();
      await addPeriod(db.pool, userId, 0, 3_600_000);

      await waitFor(
        'a failed probe',
        async () => (await metricValue(running.daemon, 'keywarden_listener_probe_failures_total')) >= 1,
        FREEZE_MS,
      );
      await waitFor(
        '/readyz to say the listener is not ready',
        () => readyz.samples.some((sample) => sample.atMs > frozenAt && sample.status === 503),
        RECONNECT_HOLD_MS,
      );
      await waitFor(
        'payment applied by the reconnect pass',
        () => panel.sim.inspectClient(email)?.enable === true,
        Math.max(500, FREEZE_MS - (Date.now() - frozenAt)),
      );
      // Within the freeze: the old session could not deliver it; the new session's full pass did.
      expect(Date.now() - frozenAt).toBeLessThan(FREEZE_MS);
      await waitFor(
        '/readyz ready again',
        () => readyz.samples.at(-1)?.status === 200,
        Math.max(500, FREEZE_MS - (Date.now() - frozenAt)),
      );
      expect(await metricValue(running.daemon, 'keywarden_listener_connected')).toBe(1);
      const notReady = readyz.samples.filter((sample) => sample.status !== 200);
      expect(notReady.length).toBeGreaterThan(0);
      for (const sample of notReady) {
        expect(sample.atMs).toBeGreaterThan(frozenAt);
        expect(sample.body).toBe('not ready: listener\n');
      }

      // The rest of the freeze: the new session delivers notifications at once.
      await addPeriod(db.pool, second.userId, 0, 3_600_000);
      await waitFor('a payment delivered by the new session', () => {
        return panel.sim.inspectClient(second.email)?.enable === true;
      });
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, FREEZE_MS - (Date.now() - frozenAt))));
      proxy.thaw();
      // The old session waking up (if its connection is still open) changes nothing.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await readyz.stop();
      expect(readyz.samples.at(-1)?.status).toBe(200);
      expect(await metricValue(running.daemon, 'keywarden_listener_connected')).toBe(1);
    },
    FREEZE_MS + 30_000,
  );
});
