import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliAgainst } from '../../support/cli.ts';
import { databaseUrl } from '../../support/database-url.ts';
import { createTestDatabase, useTestDatabase, type TestDatabase } from '../../support/database.ts';

const database = useTestDatabase();

/** Runs the CLI with only `env` (no DATABASE_URL unless `env` sets it). */
const cli = (args: string[], env: Record<string, string>): ReturnType<typeof runCliAgainst> =>
  runCliAgainst(undefined, args, { KEYWARDEN_LOG_LEVEL: 'info', ...env });

/** One line on stderr, no JSON log line and no stack. */
function expectOneLine(err: string, text: RegExp): void {
  expect(err).toMatch(text);
  expect(err.trim().split('\n')).toHaveLength(1);
  expect(err).not.toContain('{"');
  expect(err).not.toMatch(/\n\s+at /);
}

describe('first-run failures: one line, the right exit code, a hint (issue 12)', () => {
  let empty: TestDatabase;
  let busy: Server;
  let busyPort: number;
  beforeAll(async () => {
    empty = await createTestDatabase({ empty: true });
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    busyPort = (busy.address() as { port: number }).port;
  });
  afterAll(async () => {
    await empty.drop();
    await new Promise((resolve) => busy.close(resolve));
  });

  it('migrate without DATABASE_URL exits 2 instead of migrating a throw-away database', async () => {
    const result = await cli(['migrate'], {});
    expect(result.code).toBe(2);
    expectOneLine(result.err, /^keywarden migrate: DATABASE_URL is not set/);
  });

  it('names an unreachable database, exit 1', async () => {
    const result = await cli(['status'], { DATABASE_URL: 'postgres://kw:hunter2@127.0.0.1:1/shop' });
    expect(result.code).toBe(1);
    expectOneLine(result.err, /cannot reach the database at 127\.0\.0\.1:1 \(ECONNREFUSED\)/);
    expect(result.err).not.toContain('hunter2');
  });

  it('names an unknown database, exit 2', async () => {
    const url = databaseUrl(database().url, 'kw_no_such_database');
    const result = await cli(['migrate'], { DATABASE_URL: url });
    expect(result.code).toBe(2);
    expectOneLine(
      result.err,
      /the database "kw_no_such_database" does not exist.*createdb kw_no_such_database/,
    );
  });

  it('says to run keywarden migrate on a database that is not migrated, exit 1', async () => {
    const result = await cli(['status'], { DATABASE_URL: empty.url });
    expect(result.code).toBe(1);
    expectOneLine(result.err, /not migrated: run `keywarden migrate`/);
  });

  it('names the port setting when a port is in use, exit 2', async () => {
    const result = await cli(['run'], {
      DATABASE_URL: database().url,
      KEYWARDEN_COMPONENTS: 'webhooks',
      KEYWARDEN_HTTP_HOST: '127.0.0.1',
      KEYWARDEN_HTTP_PORT: String(busyPort),
      KEYWARDEN_WEBHOOK_HOST: '127.0.0.1',
      KEYWARDEN_WEBHOOK_PORT: '0',
      KEYWARDEN_LOG_LEVEL: 'silent',
    });
    expect(result.code).toBe(2);
    expectOneLine(
      result.err,
      new RegExp(`port ${busyPort} on 127\\.0\\.0\\.1 is in use: set KEYWARDEN_HTTP_PORT=0`),
    );
  });
});
