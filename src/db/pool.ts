import pg from 'pg';

export type { Pool, PoolClient } from 'pg';

// int8 (bigint) ids come back as strings, which is what the branded id types expect; numeric amounts
// likewise stay strings so that money is never a float. Counts are cast to int in the queries.

/** Options for the main connection pool. */
export interface PoolOptions {
  readonly connectionString: string;
  readonly max?: number;
  /** Shown in pg_stat_activity, so operators can tell keywarden's connections apart. */
  readonly applicationName?: string;
}

/** Creates a pg Pool. Idle-client errors (a server restart) are reported to `onError`, never thrown. */
export function createPool(options: PoolOptions, onError: (error: Error) => void): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'keywarden',
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  // Without a listener, an error on an idle client (server restart, network drop) crashes the process.
  pool.on('error', onError);
  // pg-pool removes its own error listener while a client is checked out; a connection terminated
  // then (pg_terminate_backend, DB restart) would emit an unhandled 'error' and crash the process.
  // The query in flight still fails with the error, and the pool discards the broken client.
  pool.on('connect', (client) => {
    client.on('error', onError);
  });
  return pool;
}

/**
 * Runs `work` inside a transaction on one pooled client: commits when it resolves, rolls back and
 * rethrows when it throws.
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
  options: {
    readonly readOnly?: boolean;
    readonly isolation?: 'read committed' | 'repeatable read' | 'serializable';
  } = {},
): Promise<T> {
  const client = await pool.connect();
  try {
    const isolation = options.isolation ?? 'read committed';
    await client.query(`begin isolation level ${isolation}${options.readOnly === true ? ' read only' : ''}`);
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => {
      // The connection is already broken; the original error is the one worth reporting.
    });
    throw error;
  } finally {
    client.release();
  }
}
