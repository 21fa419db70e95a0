/**
 * Global setup of the integration project: finds a PostgreSQL (TEST_DATABASE_URL, else DATABASE_URL,
 * else an embedded one), creates a uniquely named template database, migrates it once, and hands
 * its name to the test files, which clone it (tests/support/database.ts).
 */
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrate, startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/index.ts';
import { databaseUrl } from './database-url.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
    templateDatabase: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let embedded: EmbeddedPostgres | undefined;
  let adminUrl = process.env['TEST_DATABASE_URL'] ?? process.env['DATABASE_URL'];
  if (adminUrl === undefined || adminUrl === '') {
    embedded = await startEmbeddedPostgres();
    adminUrl = embedded.url;
  }
  // Unique per run, so parallel runs against one server never collide.
  const template = `kw_tpl_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${template}`);
  } finally {
    await admin.end();
  }
  const client = new pg.Client({ connectionString: databaseUrl(adminUrl, template) });
  await client.connect();
  try {
    await migrate(client);
  } finally {
    await client.end();
  }
  project.provide('adminDatabaseUrl', adminUrl);
  project.provide('templateDatabase', template);

  return async () => {
    const cleanup = new pg.Client({ connectionString: adminUrl });
    await cleanup.connect();
    try {
      await cleanup.query(`drop database if exists ${template} with (force)`);
    } finally {
      await cleanup.end();
    }
    await embedded?.stop();
  };
}
