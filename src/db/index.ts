export { createPool, withTransaction, type Pool, type PoolClient, type PoolOptions } from './pool.ts';
export {
  migrate,
  migrateDatabase,
  loadMigrations,
  SchemaTooNewError,
  SchemaNotMigratedError,
  assertMigrated,
  MIGRATIONS_DIR,
  type Migration,
  type MigrationReport,
} from './migrate.ts';
export {
  startEmbeddedPostgres,
  removeEmbeddedLeftovers,
  findFreePort,
  type EmbeddedPostgres,
} from './embedded.ts';
export * from './repositories/index.ts';
export {
  createSecretBox,
  decodeSecretKey,
  isSealed,
  secretBoxFrom,
  SecretBoxError,
  type SecretBox,
} from './secret-box.ts';
export * from './queries/index.ts';
