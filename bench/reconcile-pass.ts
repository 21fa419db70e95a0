/**
 * Benchmark: one full pass over 100,000 keys on 10 panels (run on demand):
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node bench/reconcile-pass.ts [keys] [panels]
 *
 * Seeds users, periods (a mix of entitled, expired, future, banned, revoked) and keys, then times the
 * snapshot read (one read-only transaction with kw_entitlements) and the pure planning (desired, diff,
 * plan, valve) against in-memory observations of every panel with some drift. Panels are not called
 * over HTTP here (bench/xui-parse.ts measures that); this isolates what the reconciler itself costs.
 * Reports wall times and the process's peak RSS. KW_BENCH_SRC=<other src> runs another checkout's
 * snapshot and planning (old vs new in one session).
 */
import {
  asInboundId,
  type ClientEmail,
  type ObservedClient,
  type PanelId,
  type PanelRead,
} from '../src/domain/index.ts';
import { createBenchDatabase, loadKeywarden, peakRssMiB } from './support.ts';

const { readSnapshot, planPass, source } = await loadKeywarden();

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
  await db.pool.query('analyze');
  const seedMs = performance.now() - seedStarted;

  const snapshotStarted = performance.now();
  const { snapshot } = await readSnapshot(db.pool, undefined, 0);
  const snapshotMs = performance.now() - snapshotStarted;

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
  const planStarted = performance.now();
  const plans = planPass(
    snapshot,
    snapshot.panels.map((panel) => panel.panelId),
    reads,
    { expiryMarginMs: undefined, valveMin: 10, valvePercent: 20 },
  );
  const planMs = performance.now() - planStarted;
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
        keys: snapshot.keys.length,
        panels: snapshot.panels.length,
        seedMs: Math.round(seedMs),
        snapshotMs: Math.round(snapshotMs),
        planMs: Math.round(planMs),
        passMs: Math.round(snapshotMs + planMs),
        actions,
        held,
        peakRssMiB: Math.round(peakRssMiB()),
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await db.drop();
}
