/**
 * Benchmark: one full pass over 100,000 keys on 10 panels (run on demand):
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node --max-semi-space-size=8 bench/reconcile-pass.ts 100000 10
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node --max-semi-space-size=8 bench/reconcile-pass.ts 1000 1
 *
 * `--max-semi-space-size=8` is what every start path of the daemon passes (docs/deploy.md, "Memory"),
 * so the process measured here is set up like the daemon (`npm run bench -- reconcile-pass 100000 10`
 * passes it too); the output names the flags it ran with.
 * Old code in the same session: KW_BENCH_SRC=<the other checkout's src> before `node`.
 *
 * Seeds users, periods (a mix of entitled, expired, future, banned, revoked) and keys, and what a
 * previous pass left behind (a `key_state` row per key with its quota baseline, a year of old
 * events and some fixes within the last hour), then times the snapshot read (one read-only
 * transaction: keys with their entitlement, valve window, recent fixes) and the pure planning
 * (desired, diff, plan, valve) against in-memory observations of every panel with some drift. Panels
 * are not called over HTTP here (bench/xui-parse.ts measures that); this isolates what the
 * reconciler itself costs. Reports wall times, this process's CPU time of each step, the CPU time
 * of the snapshot's Postgres backend (when the server is local: /proc), the 1-minute load average
 * and the process's peak RSS (which includes the observations built here, as a daemon holds the
 * panels' client lists). On a shared machine compare the CPU times; wall times follow the load.
 * KW_BENCH_SRC=<other src> runs another checkout's snapshot and planning (old vs new in one session). */
import {
  asInboundId,
  type ClientEmail,
  type ObservedClient,
  type PanelId,
  type PanelRead,
} from '../src/domain/index.ts';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import pg from 'pg';
import { cpuSeconds, createBenchDatabase, loadKeywarden, peakRssMiB } from './support.ts';

const { readSnapshot, planPass, source } = await loadKeywarden();

/**
 * CPU time (user + system, 10 ms resolution) of a local Postgres backend from /proc, or null where
 * it cannot be read (a remote server, no /proc).
 */
function backendCpuMs(pid: number): number | null {
  try {
    const fields =
      readFileSync(`/proc/${String(pid)}/stat`, 'utf8')
        .split(') ')[1]
        ?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    // Not a local server (or no /proc): the figure is left out.
    return null;
  }
}

const keyCount = Number(process.argv[2] ?? 100_000);
const panelCount = Number(process.argv[3] ?? 10);

const db = await createBenchDatabase();
try {
  const seedStarted = performance.now();
  await db.pool.query(
    `insert into panels (name, base_url, auth)
     select 'bench-' || g, 'http://127.0.0.1:1/' || g || '/', '{"kind":"token","token":"x"}'
     from generate_series(1, $1) g`,
    [panelCount],
  );
  await db.pool.query(
    `insert into users (telegram_id, banned_at)
     select 1000000 + g, case when g % 97 = 0 then now() - interval '1 day' end from generate_series(1, $1) g`,
    [keyCount],
  );
  // Periods: most users entitled, every 10th expired, every 25th starting tomorrow.
  await db.pool.query(
    `insert into subscription_periods (user_id, source, starts_at, ends_at)
     select u.id, 'admin',
       case when u.id % 25 = 0 then now() + interval '1 day' else now() - interval '10 days' end,
       case when u.id % 10 = 0 and u.id % 25 <> 0 then now() - interval '1 day' else now() + interval '20 days' + (u.id % 1000) * interval '1 minute' end
     from users u`,
  );
  await db.pool.query(
    `insert into vpn_keys (user_id, panel_id, inbound_id, revoked_at)
     select u.id, (select id from panels order by id offset (u.id % $1) limit 1), 1,
       case when u.id % 50 = 0 then now() end
     from users u`,
    [panelCount],
  );
  // What the previous pass recorded: every key's state (with the quota baseline of its covering
  // period), and history: one old disable per key, and a fix of every 50th key in the last hour.
  await db.pool.query(
    `insert into key_state (key_id, desired, observed, converged, quota_period_id, quota_baseline_bytes)
     select k.id,
       case when k.revoked_at is not null then '{"kind":"disabled","reason":"revoked","held":false}'::jsonb
            else jsonb_build_object('kind', 'enabled', 'reason', 'entitled', 'expiryTimeMs', 0, 'totalBytes', 0,
                                    'flow', '', 'entitledUntil', null, 'held', false) end,
       jsonb_build_object('kind', 'present', 'enable', k.revoked_at is null, 'trafficEnable', true,
                          'expiryTimeMs', 0, 'totalBytes', 0, 'upBytes', 0, 'downBytes', 0, 'resetDays', 0,
                          'flow', '', 'inboundIds', jsonb_build_array(1), 'at', now()),
       true, cover.id, case when cover.id is not null then 0 end
     from vpn_keys k
     left join lateral (
       select p.id from subscription_periods p
       where p.user_id = k.user_id and p.starts_at <= now() and now() < p.ends_at
       order by p.starts_at desc, p.id desc limit 1
     ) cover on true`,
  );
  const fields = (expiryTimeMs: number): string =>
    JSON.stringify({ enable: true, expiryTimeMs, totalBytes: 0, resetDays: 0, flow: '' });
  await db.pool.query(
    `insert into reconcile_events (at, key_id, panel_id, action, reason, outcome, before, after)
     select now() - interval '2 hours' - (k.id % 365) * interval '1 day', k.id, k.panel_id, 'disable',
            'expired', 'applied', $1::jsonb, $2::jsonb
     from vpn_keys k`,
    [fields(0), JSON.stringify({ ...JSON.parse(fields(0)), enable: false })],
  );
  await db.pool.query(
    `insert into reconcile_events (at, key_id, panel_id, action, reason, outcome, before, after)
     select now() - interval '10 minutes', k.id, k.panel_id, 'update', 'entitled', 'applied', $1::jsonb, $2::jsonb
     from vpn_keys k where k.id % 50 = 1`,
    [fields(1), fields(0)],
  );
  // A running shop's tables have been vacuumed, except key_state, which every pass rewrites: its
  // rows are as fresh as the last pass left them.
  await db.pool.query('vacuum analyze');
  await db.pool.query('update key_state set updated_at = now()');
  await db.pool.query('analyze key_state');
  const seedMs = performance.now() - seedStarted;

  // The snapshot on a pool of one connection, so the CPU time of its Postgres backend can be read.
  const snapshotPool = new pg.Pool({ connectionString: db.url, max: 1 });
  // Dropping the database terminates a connection that is still closing: not a result.
  snapshotPool.on('error', () => undefined);
  const { rows: backend } = await snapshotPool.query<{ pid: number }>('select pg_backend_pid() as pid');
  const backendPid = backend[0]?.pid ?? 0;
  const dbCpuStarted = backendCpuMs(backendPid);
  const snapshotCpuStarted = cpuSeconds();
  const snapshotStarted = performance.now();
  const { snapshot } = await readSnapshot(snapshotPool, undefined, 0);
  const snapshotMs = performance.now() - snapshotStarted;
  const snapshotCpuMs = (cpuSeconds() - snapshotCpuStarted) * 1000;
  const dbCpuEnded = backendCpuMs(backendPid);
  await snapshotPool.end();

  // Observations: every key's client present and enabled, 2 % with a hand-set expiry (drift).
  const reads = new Map<PanelId, PanelRead>();
  const clientsByPanel = new Map<PanelId, Map<ClientEmail, ObservedClient>>();
  for (const key of snapshot.keys) {
    let clients = clientsByPanel.get(key.panelId);
    if (clients === undefined) {
      clients = new Map();
      clientsByPanel.set(key.panelId, clients);
    }
    clients.set(key.email, {
      email: key.email,
      inboundIds: [asInboundId(1)],
      uuid: key.clientUuid,
      password: undefined,
      auth: undefined,
      isClientEnabled: true,
      isTrafficEnabled: true,
      isEffectivelyEnabled: true,
      expiryTimeMs: Number(key.keyId) % 50 === 1 ? 1 : 0,
      totalBytes: 0,
      upBytes: 0,
      downBytes: 0,
      resetDays: 0,
      hasPanelRenewal: false,
      flow: key.flow,
      subId: key.subId,
      tgId: key.telegramId,
      comment: '',
      limitIp: 0,
    });
  }
  for (const panel of snapshot.panels) {
    reads.set(panel.panelId, {
      kind: 'observed',
      observation: {
        generation: 'g2',
        inbounds: [
          {
            panelId: panel.panelId,
            id: asInboundId(1),
            protocol: 'vless',
            port: 443,
            remark: '',
            listen: '',
            isEnabled: true,
            settings: {},
            streamSettings: { network: 'tcp', security: 'reality' },
            isFlowDisabled: false,
          },
        ],
        clients: clientsByPanel.get(panel.panelId) ?? new Map<ClientEmail, ObservedClient>(),
        duplicateEmails: [],
      },
    });
  }
  const planCpuStarted = cpuSeconds();
  const planStarted = performance.now();
  const plans = planPass(
    snapshot,
    snapshot.panels.map((panel) => panel.panelId),
    reads,
    { expiryMarginMs: undefined, valveMin: 10, valvePercent: 20 },
  );
  const planMs = performance.now() - planStarted;
  const planCpuMs = (cpuSeconds() - planCpuStarted) * 1000;
  let actions = 0;
  let held = 0;
  for (const plan of plans) {
    if (plan.kind === 'planned') {
      actions += plan.actions.length;
      held += plan.held.length;
    }
  }
  process.stdout.write(
    `${JSON.stringify(
      {
        code: source,
        nodeFlags: process.execArgv.join(' '),
        keys: snapshot.keys.length,
        panels: snapshot.panels.length,
        seedMs: Math.round(seedMs),
        snapshotMs: Math.round(snapshotMs),
        planMs: Math.round(planMs),
        passMs: Math.round(snapshotMs + planMs),
        snapshotCpuMs: Math.round(snapshotCpuMs),
        snapshotDbCpuMs: dbCpuStarted === null || dbCpuEnded === null ? null : dbCpuEnded - dbCpuStarted,
        planCpuMs: Math.round(planCpuMs),
        actions,
        held,
        peakRssMiB: Math.round(peakRssMiB()),
        load1: Number((loadavg()[0] ?? 0).toFixed(2)),
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await db.drop();
}
