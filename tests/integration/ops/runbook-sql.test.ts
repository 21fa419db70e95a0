/**
 * Every SQL block in docs/runbook.md runs against the current schema: an on-call engineer pastes these
 * during an incident, so a schema change that breaks one must fail here, not then. Each block runs in
 * a transaction that is rolled back.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../support/database.ts';

const database = useTestDatabase();

const runbook = readFileSync(new URL('../../../docs/runbook.md', import.meta.url), 'utf8');
const blocks = [...runbook.matchAll(/```sql\n([\s\S]*?)```/g)].map((match) =>
  (match[1] ?? '')
    .replace(/^ {3}/gm, '')
    .replace(/'<fingerprint>'/g, "'no-such-fingerprint'")
    .replace(/<[^>\n]+>/g, 'runbook-test'),
);

describe('docs/runbook.md SQL', () => {
  it('has queries to check', () => {
    // Most look-ups are commands now (docs/console.md); what remains is SQL with no command yet.
    expect(blocks.length).toBeGreaterThan(4);
  });

  const cases = blocks.map((sql) => ({ sql, title: sql.split('\n')[0] ?? '' }));
  const runs = async ({ sql }: { sql: string }): Promise<void> => {
    const client = await database().pool.connect();
    try {
      await client.query('begin');
      await expect(client.query(sql)).resolves.toBeDefined();
    } finally {
      await client.query('rollback');
      client.release();
    }
  };

  it.each(cases)('runs: $title', runs);
});
