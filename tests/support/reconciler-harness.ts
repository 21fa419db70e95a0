/**
 * Integration harness for the reconciler: a real test database, simulated 3x-ui panels (real HTTP on
 * 127.0.0.1:0) and the real daemon with short intervals. Nothing of ours is stubbed.
 */
import pg from 'pg';
import { Writable } from 'node:stream';
import { afterEach } from 'vitest';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { startReconcilerDaemon, type ReconcilerDaemon } from '../../src/app/index.ts';
import { asPanelId, type PanelId } from '../../src/domain/index.ts';
import { createLogger, type Logger } from '../../src/shared/index.ts';
import {
  startSimulatedPanel,
  type SimulatedPanel,
  type SimulatedToken,
  type VersionProfile,
} from '../../src/simulator/index.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';

/** A test logger (silent unless KW_TEST_LOG is set, e.g. `KW_TEST_LOG=debug`). */
export function testLogger(): Logger {
  const level = process.env['KW_TEST_LOG'] ?? 'silent';
  return createLogger({
    level,
    destination:
      level === 'silent'
        ? new Writable({
            write: (_chunk, _enc, done) => {
              done();
            },
          })
        : process.stderr,
  });
}

/** Config for a test daemon: fast, loopback, port 0; `env` overrides. */
export function testConfig(databaseUrl: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    DATABASE_URL: databaseUrl,
    KEYWARDEN_HTTP_HOST: '127.0.0.1',
    KEYWARDEN_HTTP_PORT: '0',
    KEYWARDEN_RESYNC_INTERVAL: '1h',
    KEYWARDEN_LEASE_TIMEOUT: '3s',
    KEYWARDEN_PANEL_TIMEOUT: '2s',
    KEYWARDEN_SHUTDOWN_TIMEOUT: '5s',
    KEYWARDEN_LOG_LEVEL: 'silent',
    ...env,
  });
}

/** A simulated panel registered in `panels`, with one vless inbound. */
export interface TestPanel {
  readonly sim: SimulatedPanel;
  readonly panelId: PanelId;
  readonly inboundId: number;
  readonly name: string;
}

/** Starts a simulated panel of `generation` and inserts its `panels` row (token on G2, password on G1). */
export async function addSimulatedPanel(
  pool: pg.Pool,
  generation: 'g1' | 'g2',
  options: {
    readonly jobIntervalMs?: number;
    readonly latencyMs?: number;
    readonly name?: string;
    /** A release profile of the simulator (its generation must be `generation`). */
    readonly profile?: VersionProfile;
    /** Overrides the profile's reported `panelVersion` (e.g. a release newer than the tested range). */
    readonly panelVersion?: string;
    /** G2: the token keywarden is given instead of the admin `test-token` (with the panel's scope for it). */
    readonly token?: SimulatedToken;
  } = {},
): Promise<TestPanel> {
  const sim = await startSimulatedPanel({
    generation,
    ...(options.profile === undefined ? {} : { profile: options.profile }),
    ...(options.panelVersion === undefined ? {} : { panelVersion: options.panelVersion }),
    token: 'test-token',
    ...(options.token === undefined ? {} : { tokens: [options.token] }),
    jobIntervalMs: options.jobIntervalMs ?? 0,
    latencyMs: options.latencyMs ?? 0,
  });
  const inboundId = sim.addInbound({
    protocol: 'vless',
    port: 443,
    remark: 'vless-443',
    streamSettings: { network: 'tcp', security: 'reality' },
  });
  const name = options.name ?? `${generation}-${Math.random().toString(36).slice(2, 8)}`;
  const auth =
    generation === 'g2'
      ? { kind: 'token', token: options.token?.token ?? 'test-token' }
      : { kind: 'password', username: 'admin', password: 'admin' };
  const { rows } = await pool.query<{ id: string }>(
    'insert into panels (name, base_url, auth) values ($1, $2, $3) returning id',
    [name, sim.url, JSON.stringify(auth)],
  );
  return { sim, panelId: asPanelId(rows[0]!.id), inboundId, name };
}

/** Inserts a user with an admin period [now + startInMs, now + startInMs + durationMs) and returns ids. */
export async function insertUserWithPeriod(
  pool: pg.Pool,
  period: { readonly startInMs: number; readonly durationMs: number } | null,
): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    'insert into users (telegram_id) values ($1) returning id',
    [Math.floor(Math.random() * 1e12)],
  );
  const userId = rows[0]!.id;
  if (period !== null) {
    await addPeriod(pool, userId, period.startInMs, period.durationMs);
  }
  return userId;
}

/** Appends an admin period relative to the DB clock; returns its id. */
export async function addPeriod(
  pool: pg.Pool,
  userId: string,
  startInMs: number,
  durationMs: number,
): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    `insert into subscription_periods (user_id, source, starts_at, ends_at)
     values ($1, 'admin', now() + make_interval(secs => $2::float8 / 1000),
             now() + make_interval(secs => ($2::float8 + $3::float8) / 1000))
     returning id`,
    [userId, startInMs, durationMs],
  );
  return rows[0]!.id;
}

/** Inserts a key for `userId` on `panel`; returns its id and email. */
export async function insertKey(
  pool: pg.Pool,
  userId: string,
  panel: TestPanel,
): Promise<{ readonly keyId: string; readonly email: string }> {
  const { rows } = await pool.query<{ id: string; email: string }>(
    // The inbound is vless over TCP with Reality, which carries XTLS Vision (as issueKey sets it).
    `insert into vpn_keys (user_id, panel_id, inbound_id, flow) values ($1, $2, $3, 'xtls-rprx-vision')
     returning id, email`,
    [userId, panel.panelId, panel.inboundId],
  );
  return { keyId: rows[0]!.id, email: rows[0]!.email };
}

/** Polls `check` every 25 ms until it returns true; returns the ms it took. Throws after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) {
      return Date.now() - started;
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(`timed out after ${String(timeoutMs)} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Starts the daemon against the test database with a fresh pool; `stop` closes both. The daemon's
 * dedicated sessions (listener, locks) connect to `sessionsUrl` (default `url`), e.g. through a proxy.
 */
export async function startTestDaemon(
  url: string,
  env: Record<string, string> = {},
  replicaId?: string,
  sessionsUrl: string = url,
): Promise<{
  readonly daemon: ReconcilerDaemon;
  readonly pool: pg.Pool;
  readonly stop: () => Promise<void>;
}> {
  const pool = new pg.Pool({ connectionString: url, max: 5 });
  pool.on('error', () => {
    // Tests terminate backends on purpose; the pool replaces the client.
  });
  const daemon = await startReconcilerDaemon({
    pool,
    databaseUrl: sessionsUrl,
    config: testConfig(url, env),
    logger: testLogger(),
    ...(replicaId === undefined ? {} : { replicaId }),
  });
  return {
    daemon,
    pool,
    stop: async () => {
      await daemon.close();
      await pool.end();
    },
  };
}

/** Reads a metric's value from the daemon's registry (sum over matching label sets). */
export async function metricValue(
  daemon: ReconcilerDaemon,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = daemon.metrics.registry.getSingleMetric(name);
  if (metric === undefined) {
    throw new Error(`no metric ${name}`);
  }
  const data = await metric.get();
  return data.values
    .filter((value) =>
      Object.entries(labels).every(([key, expected]) => String(value.labels[key]) === expected),
    )
    .reduce((sum, value) => sum + value.value, 0);
}

/** Write requests a simulated panel received (adds, updates, bulk calls, deletes), as `method path`. */
export function panelWrites(sim: SimulatedPanel): string[] {
  return sim
    .requests()
    .filter((request) => request.method === 'POST' && /(add|update|bulk|del)/i.test(request.path))
    .map((request) => `${request.method} ${request.path}`);
}

/** Seeds a client matching a key (same uuid, enabled, converged fields). */
export async function seedClientForKey(
  pool: pg.Pool,
  panel: TestPanel,
  keyId: string,
  overrides: { enable?: boolean; expiryTime?: number; reset?: number } = {},
): Promise<void> {
  const { rows } = await pool.query<{ email: string; client_uuid: string; sub_id: string; flow: string }>(
    'select email, client_uuid::text, sub_id, flow from vpn_keys where id = $1',
    [keyId],
  );
  const row = rows[0]!;
  panel.sim.seedClient(panel.inboundId, {
    email: row.email,
    uuid: row.client_uuid,
    subId: row.sub_id,
    enable: overrides.enable ?? true,
    expiryTime: overrides.expiryTime ?? 0,
    totalGB: 0,
    reset: overrides.reset ?? 0,
    flow: row.flow,
  });
}

/** A list of cleanups that an afterEach runs in reverse order (call inside a describe). */
export function useCleanups(): Array<() => Promise<void>> {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup();
    }
  });
  return cleanups;
}

/** A fresh test database with one simulated panel of `generation`; both are cleaned up via `cleanups`. */
export async function databaseWithPanel(
  cleanups: Array<() => Promise<void>>,
  generation: 'g1' | 'g2',
): Promise<{ readonly db: TestDatabase; readonly panel: TestPanel }> {
  const db = await createTestDatabase();
  cleanups.push(db.drop);
  const panel = await addSimulatedPanel(db.pool, generation);
  cleanups.push(() => panel.sim.close());
  return { db, panel };
}

/** Inserts a user with `period` and a key on `panel`, and seeds the panel's client for that key. */
export async function insertSeededKey(
  pool: pg.Pool,
  panel: TestPanel,
  period: { readonly startInMs: number; readonly durationMs: number } | null,
  seed: { enable?: boolean; expiryTime?: number; reset?: number } = {},
): Promise<{ readonly userId: string; readonly keyId: string; readonly email: string }> {
  const userId = await insertUserWithPeriod(pool, period);
  const key = await insertKey(pool, userId, panel);
  await seedClientForKey(pool, panel, key.keyId, seed);
  return { userId, ...key };
}
