/**
 * Per-file databases for integration tests: each test file gets its own database cloned from the
 * migrated template (fast: a file copy, no migrations), and drops it afterwards. Real PostgreSQL,
 * never a mock.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { databaseUrl } from './database-url.ts';

/** A test database: its URL, a pool on it, and a drop function. */
export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  readonly pool: pg.Pool;
  readonly drop: () => Promise<void>;
}

async function adminQuery(sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: inject('adminDatabaseUrl') });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/**
 * Creates a fresh database: a clone of the migrated template, or an empty one (`empty: true`) for
 * tests of the migration runner itself.
 */
export async function createTestDatabase(options: { readonly empty?: boolean } = {}): Promise<TestDatabase> {
  const name = `kw_t_${randomBytes(6).toString('hex')}`;
  const template = options.empty === true ? 'template0' : inject('templateDatabase');
  for (let attempt = 1; ; attempt += 1) {
    try {
      await adminQuery(`create database ${name} template ${template}`);
      break;
    } catch (error) {
      // 55006: the template is briefly in use by a concurrent clone; try again.
      if (attempt >= 20 || (error as { code?: string }).code !== '55006') {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
  const url = databaseUrl(inject('adminDatabaseUrl'), name);
  const pool = new pg.Pool({ connectionString: url, max: 5 });
  // `drop database ... with (force)` (and tests that terminate backends) can hit a client that is
  // still closing; without listeners its 'error' would be an uncaught exception in the test run.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  let dropped = false;
  return {
    name,
    url,
    pool,
    drop: async () => {
      if (dropped) {
        return;
      }
      dropped = true;
      await pool.end();
      await adminQuery(`drop database if exists ${name} with (force)`);
    },
  };
}

/** Gives the calling test file one database for all its tests; dropped after the file. */
export function useTestDatabase(options: { readonly empty?: boolean } = {}): () => TestDatabase {
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await createTestDatabase(options);
  });
  afterAll(async () => {
    await database?.drop();
  });
  return () => {
    if (!database) {
      throw new Error('the test database is only available inside tests');
    }
    return database;
  };
}
