/** Shared set-up of the reconciler benchmarks: a throw-away migrated database and a silent logger. */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pg from 'pg';
import { migrate } from '../src/db/index.ts';
import { createLogger, type Logger } from '../src/shared/index.ts';
import type { SimulatedPanel } from '../src/simulator/index.ts';

/** A migrated scratch database on the server of DATABASE_URL (or TEST_DATABASE_URL). */
export interface BenchDatabase {
  readonly url: string;
  readonly pool: pg.Pool;
  drop(): Promise<void>;
}

/** Creates and migrates `kw_bench_<random>`; `drop` removes it. */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  const adminUrl = process.env['DATABASE_URL'] ?? process.env['TEST_DATABASE_URL'];
  if (adminUrl === undefined) {
    throw new Error('set DATABASE_URL (a server where the benchmark may create a scratch database)');
  }
  const name = `kw_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.href });
  await client.connect();
  await migrate(client);
  await client.end();
  const pool = new pg.Pool({ connectionString: url.href, max: 8 });
  pool.on('error', () => undefined);
  return {
    url: url.href,
    pool,
    async drop() {
      await pool.end();
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

/** A logger that writes nothing (or, with KW_BENCH_LOG=debug|info, to stderr). */
export function silentLogger(): Logger {
  const level = process.env['KW_BENCH_LOG'];
  if (level !== undefined) {
    return createLogger({ level, destination: process.stderr });
  }
  return createLogger({
    level: 'silent',
    destination: new Writable({
      write: (_chunk, _encoding, done) => {
        done();
      },
    }),
  });
}

/** Peak resident set size of this process so far, in MiB. */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** The p-th percentile (0–100) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

/**
 * Gives every user one key on `inboundId` of the (single) panel and puts the matching client on the
 * simulated panel, enabled or not; resolves to the keys in user order.
 */
export async function insertKeysWithClients(
  pool: pg.Pool,
  sim: SimulatedPanel,
  inboundId: number,
  enable: boolean,
): Promise<
  ReadonlyArray<{
    readonly userId: string;
    readonly email: string;
    readonly uuid: string;
    readonly subId: string;
  }>
> {
  const { rows } = await pool.query<{ user_id: string; email: string; uuid: string; sub_id: string }>(
    `insert into vpn_keys (user_id, panel_id, inbound_id, flow)
     select u.id, p.id, $1, 'xtls-rprx-vision' from users u cross join panels p order by u.id
     returning user_id::text, email, client_uuid::text as uuid, sub_id`,
    [inboundId],
  );
  for (const key of rows) {
    sim.seedClient(inboundId, {
      email: key.email,
      uuid: key.uuid,
      subId: key.sub_id,
      flow: 'xtls-rprx-vision',
      enable,
    });
  }
  return rows.map((row) => ({ userId: row.user_id, email: row.email, uuid: row.uuid, subId: row.sub_id }));
}
