import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { loadMigrations, migrate, SchemaTooNewError } from '../../../src/db/index.ts';
import { createTestDatabase } from '../../support/database.ts';

describe('migrate', () => {
  it('applies once when two processes migrate an empty database at the same time', async () => {
    const database = await createTestDatabase({ empty: true });
    try {
      const clients = [
        new pg.Client({ connectionString: database.url }),
        new pg.Client({ connectionString: database.url }),
      ];
      await Promise.all(clients.map((client) => client.connect()));
      const reports = await Promise.all(clients.map((client) => migrate(client)));
      await Promise.all(clients.map((client) => client.end()));
      const total = (await loadMigrations()).length;
      expect(reports.map((report) => report.applied.length).sort()).toEqual([0, total]);
      const { rows } = await database.pool.query<{ n: number }>(
        'select count(*)::int as n from schema_migrations',
      );
      expect(rows[0]!.n).toBe(total);
    } finally {
      await database.drop();
    }
  });

  it('refuses a database whose schema is newer than the code', async () => {
    const database = await createTestDatabase();
    try {
      await database.pool.query(
        "insert into schema_migrations (version, name) values (999, 'from_the_future')",
      );
      const client = await database.pool.connect();
      try {
        await expect(migrate(client)).rejects.toBeInstanceOf(SchemaTooNewError);
      } finally {
        client.release();
      }
    } finally {
      await database.drop();
    }
  });
});
