/**
 * The migration runner. Migrations are SQL files `migrations/NNN_name.sql`, applied in order, each in
 * its own transaction, and recorded in `schema_migrations`. A session advisory lock makes concurrent
 * runs safe: the second process waits, then finds nothing to do. A database with a version newer than
 * this code knows is refused, so an old binary never runs against a newer schema.
 *
 * Our own ~80 lines rather than a library: we need forward-only SQL files, a lock and a version check,
 * and nothing else that node-pg-migrate brings (JS migrations, down steps, its own CLI).
 */
import { readdir, readFile } from 'node:fs/promises';
import pg from 'pg';

/** Where the SQL files live, relative to this module in both src/ and dist/. */
export const MIGRATIONS_DIR = new URL('../../migrations/', import.meta.url);

/** Arbitrary constant key of the migration advisory lock ('kwmigrat'). */
const MIGRATION_LOCK_KEY = 0x6b776d69_67726174n;

/** One migration file. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** What a run did. */
export interface MigrationReport {
  readonly applied: ReadonlyArray<{ readonly version: number; readonly name: string }>;
  readonly currentVersion: number;
}

/** Thrown when the database has a schema version this code does not know. */
export class SchemaTooNewError extends Error {
  readonly databaseVersion: number;
  readonly codeVersion: number;

  constructor(databaseVersion: number, codeVersion: number) {
    super(
      `database schema is at version ${databaseVersion}, newer than this keywarden knows (${codeVersion}); upgrade keywarden`,
    );
    this.name = 'SchemaTooNewError';
    this.databaseVersion = databaseVersion;
    this.codeVersion = codeVersion;
  }
}

/** Thrown when the database is behind this code (never migrated, or migrations pending). */
export class SchemaNotMigratedError extends Error {
  readonly databaseVersion: number;
  readonly codeVersion: number;

  constructor(databaseVersion: number, codeVersion: number) {
    super(
      databaseVersion === 0
        ? 'the database is not migrated: run `keywarden migrate`'
        : `the database schema is at version ${databaseVersion}, this keywarden needs ${codeVersion}: run \`keywarden migrate\``,
    );
    this.name = 'SchemaNotMigratedError';
    this.databaseVersion = databaseVersion;
    this.codeVersion = codeVersion;
  }
}

/**
 * Checks that the database's schema is exactly the version of this code; throws
 * SchemaNotMigratedError (behind) or SchemaTooNewError (ahead). Takes no lock and writes nothing.
 */
export async function assertMigrated(db: pg.Pool | pg.ClientBase): Promise<void> {
  const codeVersion = (await loadMigrations()).length;
  const { rows: table } = await db.query<{ exists: boolean }>(
    `select to_regclass('schema_migrations') is not null as exists`,
  );
  let current = 0;
  if (table[0]?.exists === true) {
    const { rows } = await db.query<{ version: number | null }>(
      'select max(version) as version from schema_migrations',
    );
    current = rows[0]?.version ?? 0;
  }
  if (current < codeVersion) {
    throw new SchemaNotMigratedError(current, codeVersion);
  }
  if (current > codeVersion) {
    throw new SchemaTooNewError(current, codeVersion);
  }
}

/** Reads the migration files in version order. File names must be `NNN_name.sql`. */
export async function loadMigrations(dir: URL = MIGRATIONS_DIR): Promise<readonly Migration[]> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = /^(\d+)_([a-z0-9_]+)\.sql$/.exec(file);
    if (!match?.[1] || !match[2]) {
      throw new Error(`migration file ${file} is not named NNN_name.sql`);
    }
    migrations.push({
      version: Number(match[1]),
      name: match[2],
      sql: await readFile(new URL(file, dir), 'utf8'),
    });
  }
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(
        `migration versions must be 1..n without gaps; found ${migration.version} at position ${index + 1}`,
      );
    }
  });
  return migrations;
}

/** Applies every pending migration. Safe to run from several processes at once. */
export async function migrate(
  client: pg.ClientBase,
  migrations?: readonly Migration[],
): Promise<MigrationReport> {
  const all = migrations ?? (await loadMigrations());
  const codeVersion = all.length;
  await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
  try {
    await client.query(`create table if not exists schema_migrations (
      version integer primary key, name text not null, applied_at timestamptz not null default now())`);
    const { rows } = await client.query<{ version: number | null }>(
      'select max(version) as version from schema_migrations',
    );
    const current = rows[0]?.version ?? 0;
    if (current > codeVersion) {
      throw new SchemaTooNewError(current, codeVersion);
    }
    const applied: Array<{ version: number; name: string }> = [];
    for (const migration of all.filter((m) => m.version > current)) {
      await client.query('begin');
      try {
        await client.query(migration.sql);
        await client.query('insert into schema_migrations (version, name) values ($1, $2)', [
          migration.version,
          migration.name,
        ]);
        await client.query('commit');
      } catch (error) {
        await client.query('rollback');
        throw new Error(`migration ${migration.version}_${migration.name} failed`, { cause: error });
      }
      applied.push({ version: migration.version, name: migration.name });
    }
    return { applied, currentVersion: Math.max(current, codeVersion) };
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]);
  }
}

/** Opens one connection to `connectionString`, migrates, and closes it. */
export async function migrateDatabase(connectionString: string): Promise<MigrationReport> {
  const client = new pg.Client({ connectionString, application_name: 'keywarden-migrate' });
  await client.connect();
  try {
    return await migrate(client);
  } finally {
    await client.end();
  }
}
