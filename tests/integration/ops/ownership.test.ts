import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/shared/index.ts';
import { LOCK_CLASS, startAdvisoryLeadership } from '../../../src/store/index.ts';
import { insertPanel } from '../../support/builders.ts';
import { runCliAgainst } from '../../support/cli.ts';
import { createTestDatabase, useTestDatabase, type TestDatabase } from '../../support/database.ts';

const database = useTestDatabase();
const runbook = readFileSync(new URL('../../../docs/runbook.md', import.meta.url), 'utf8');
const ownershipSql = /```sql\n(select p\.name as panel, l\.pid[\s\S]*?)```/.exec(runbook)?.[1] ?? '';

async function status(url: string): Promise<{ panels: Array<{ panel: string; ownedBy: string | null }> }> {
  const { code, out } = await runCliAgainst(url, ['status', '--json'], { KEYWARDEN_LOG_LEVEL: 'error' });
  expect(code).toBe(0);
  return JSON.parse(out) as { panels: Array<{ panel: string; ownedBy: string | null }> };
}

describe('panel ownership across databases (issue 12)', () => {
  let other: TestDatabase;
  let otherLock: pg.Client;
  beforeAll(async () => {
    other = await createTestDatabase();
  });
  afterAll(async () => {
    await otherLock.end();
    await other.drop();
  });

  it('the runbook names the lock class the code uses', () => {
    expect(ownershipSql).toContain(`l.classid = ${LOCK_CLASS}`);
    expect(runbook).toContain(`0x${LOCK_CLASS.toString(16)}`);
  });

  it('status and the runbook query show only the owners of this database, against a running leadership', async () => {
    const { pool, url } = database();
    const panelId = await insertPanel(pool, { name: 'own-1' });
    // Another keywarden on the same server holds "its" panel with the same id.
    otherLock = new pg.Client({ connectionString: other.url, application_name: 'keywarden-lock other-shop' });
    await otherLock.connect();
    await otherLock.query('select pg_advisory_lock($1::int, $2::int)', [LOCK_CLASS, panelId]);
    expect((await status(url)).panels).toEqual([expect.objectContaining({ panel: 'own-1', ownedBy: null })]);
    const before = await pool.query(ownershipSql);
    expect(before.rows).toEqual([]);

    const leadership = startAdvisoryLeadership({
      connectionString: url,
      leaseTimeoutMs: 3_000,
      logger: createLogger({ level: 'silent' }),
      replicaId: 'replica-a',
    });
    try {
      await leadership.beat();
      expect(leadership.ownedPanels()).toEqual([panelId]);
      expect((await status(url)).panels).toEqual([
        expect.objectContaining({ panel: 'own-1', ownedBy: 'replica-a' }),
      ]);
      const owners = await pool.query<{ panel: string; application_name: string }>(ownershipSql);
      expect(owners.rows).toEqual([
        expect.objectContaining({ panel: 'own-1', application_name: 'keywarden-lock replica-a' }),
      ]);
    } finally {
      await leadership.close();
    }
  });
});
