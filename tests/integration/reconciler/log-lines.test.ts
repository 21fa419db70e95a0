/**
 * Logs an operator can follow (issue 12): every action line names the panel, the client email, the
 * Telegram id and the reason, with the `reconcileId` the runbook searches for; "panel not converged"
 * names the panel; no JSON line carries a key twice.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReconcilerDaemon, type ReconcilerDaemon } from '../../../src/app/index.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import {
  addSimulatedPanel,
  insertKey,
  insertUserWithPeriod,
  testConfig,
  waitFor,
  type TestPanel,
} from '../../support/reconciler-harness.ts';
import { captureLogger } from '../../support/webhooks.ts';

/** The keys of the top-level object of a JSON text, in order, duplicates kept (JSON.parse drops them). */
export function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (char === '"') {
      let end = index + 1;
      while (text[end] !== '"') {
        end += text[end] === '\\' ? 2 : 1;
      }
      if (depth === 1 && expectKey) {
        keys.push(JSON.parse(text.slice(index, end + 1)) as string);
        expectKey = false;
      }
      index = end;
    } else if (char === '{' || char === '[') {
      depth += 1;
      expectKey = char === '{' && depth === 1;
    } else if (char === '}' || char === ']') {
      depth -= 1;
    } else if (char === ',' && depth === 1) {
      expectKey = true;
    }
  }
  return keys;
}

describe('reconciler log lines (issue 12)', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let panel: TestPanel;
  let daemon: ReconcilerDaemon;
  const { logger, lines } = captureLogger('debug');

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new pg.Pool({ connectionString: db.url, max: 5 });
    // db.drop() terminates what is still connected; an idle client's 57P01 must not become an
    // unhandled error of the run (the harness pools do the same).
    pool.on('error', () => undefined);
    pool.on('connect', (client) => {
      client.on('error', () => undefined);
    });
    panel = await addSimulatedPanel(db.pool, 'g2', { name: 'de-logs' });
  });
  afterAll(async () => {
    await daemon.close();
    await pool.end();
    await panel.sim.close();
    await db.drop();
  });

  it('names panel, email, telegram id, reason and reconcileId on action lines; the panel on retries; no duplicate keys', async () => {
    const userId = await insertUserWithPeriod(db.pool, { startInMs: -60_000, durationMs: 86_400_000 });
    const { rows } = await db.pool.query<{ telegram_id: string }>(
      'select telegram_id from users where id = $1',
      [userId],
    );
    const telegramId = Number(rows[0]!.telegram_id);
    const { email } = await insertKey(db.pool, userId, panel);
    daemon = await startReconcilerDaemon({
      pool,
      databaseUrl: db.url,
      config: testConfig(db.url, { KEYWARDEN_LOG_LEVEL: 'debug' }),
      logger,
      serveHttp: false,
    });
    await waitFor('the client to be created', () => panel.sim.inspectClient(email) !== undefined);
    const parsed = () => lines().map((line) => JSON.parse(line) as Record<string, unknown>);
    await waitFor('the action line', () => parsed().some((line) => line['msg'] === 'action applied'));
    const applied = parsed().find((line) => line['msg'] === 'action applied');
    expect(applied).toMatchObject({
      panel: 'de-logs',
      email,
      telegramId,
      action: 'create',
      reason: 'entitled',
      reconcileId: expect.stringMatching(/^[0-9a-f-]{36}$/) as string,
    });

    // The panel goes down: the retry line names it.
    await panel.sim.setFault({ kind: 'status', status: 502 });
    daemon.controller.enqueue(panel.panelId, 'manual', 'urgent');
    await waitFor(
      'a retry line',
      () => parsed().some((line) => line['msg'] === 'panel not converged, retrying'),
      20_000,
    );
    expect(parsed().find((line) => line['msg'] === 'panel not converged, retrying')).toMatchObject({
      panel: 'de-logs',
    });
    await panel.sim.clearFault();

    for (const line of lines()) {
      const keys = topLevelKeys(line);
      expect(
        keys.filter((key, index) => keys.indexOf(key) !== index),
        line,
      ).toEqual([]);
    }
  });
});
