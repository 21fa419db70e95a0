/** Shared set-up of the reconciler benchmarks: a throw-away migrated database and a silent logger. */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { migrate } from '../src/db/index.ts';
import { createLogger, type Logger } from '../src/shared/index.ts';
import type { SimulatedPanel } from '../src/simulator/index.ts';
import type * as App from '../src/app/index.ts';
import type * as Domain from '../src/domain/index.ts';
import type * as Store from '../src/store/index.ts';

/** A migrated scratch database on the server of DATABASE_URL (or TEST_DATABASE_URL). */
export interface BenchDatabase {
  readonly url: string;
  readonly pool: pg.Pool;
  drop(): Promise<void>;
}

/**
 * Creates and migrates `kw_bench_<random>`; `drop` removes it, or, with KW_BENCH_KEEP=1, keeps it
 * and prints its name on stderr (to EXPLAIN the benchmark's queries on its data; drop it by hand).
 */
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
      if (process.env['KW_BENCH_KEEP'] === '1') {
        process.stderr.write(`kept database ${name}\n`);
        await admin.end();
        return;
      }
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

/**
 * The keywarden code a benchmark runs: this tree's, or another checkout's sources (KW_BENCH_SRC, the
 * path of its `src`), so old and new run in the same session on the same machine. Both layouts are
 * understood: the daemon in src/app (issue 10 on) or in src/daemon.ts (before).
 */
export async function loadKeywarden(): Promise<{
  readonly startReconcilerDaemon: typeof App.startReconcilerDaemon;
  readonly readSnapshot: typeof Store.readSnapshot;
  readonly planPass: typeof Domain.planPass;
  readonly source: string;
}> {
  const root = process.env['KW_BENCH_SRC'];
  if (root === undefined) {
    const [app, store, domain] = await Promise.all([
      import('../src/app/index.ts'),
      import('../src/store/index.ts'),
      import('../src/domain/index.ts'),
    ]);
    return {
      startReconcilerDaemon: app.startReconcilerDaemon,
      readSnapshot: store.readSnapshot,
      planPass: domain.planPass,
      source: 'this tree',
    };
  }
  const exists = (path: string): boolean => existsSync(join(root, path));
  const app = (await import(join(root, exists('app/index.ts') ? 'app/index.ts' : 'daemon.ts'))) as Pick<
    typeof App,
    'startReconcilerDaemon'
  >;
  const store = (await import(
    join(root, exists('store/index.ts') ? 'store/index.ts' : 'sources/index.ts')
  )) as Pick<typeof Store, 'readSnapshot'>;
  const domain = (await import(join(root, 'domain/index.ts'))) as Pick<typeof Domain, 'planPass'>;
  return {
    startReconcilerDaemon: app.startReconcilerDaemon,
    readSnapshot: store.readSnapshot,
    planPass: domain.planPass,
    source: root,
  };
}

/** This process's CPU time so far (user + system), in seconds. */
export function cpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}
