/**
 * Benchmark: latency from the commit of a period to the confirmed enable of the key on its panel,
 * p50/p99 over N commits one after the other, with the daemon running against P simulated G2 panels
 * of K keys each (every panel a process of its own, 20 ms of latency per request by default). Run on
 * demand:
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node bench/activation-latency.ts [panels] [keysPerPanel] [commits] [latencyMs]
 *
 * Defaults: 10 panels × 10,000 keys, 200 commits, 20 ms. "Confirmed" is measured outside the daemon:
 * the moment the panel process reports the client `enable: true` (polled every 2 ms). Reports
 * keywarden's own peak RSS and CPU time (the panels run elsewhere). KW_BENCH_SRC=<other src> runs
 * another checkout's daemon (old vs new in one session).
 */
import { loadConfig } from '../src/config/index.ts';
import { startPanelProcess, type RemotePanel } from './remote-panel.ts';
import {
  cpuSeconds,
  createBenchDatabase,
  loadKeywarden,
  peakRssMiB,
  percentile,
  silentLogger,
} from './support.ts';

const panelCount = Number(process.argv[2] ?? 10);
const keysPerPanel = Number(process.argv[3] ?? 10_000);
const commits = Number(process.argv[4] ?? 200);
const latencyMs = Number(process.argv[5] ?? 20);
const keyCount = panelCount * keysPerPanel;

const keywarden = await loadKeywarden();
const db = await createBenchDatabase();
const panels: RemotePanel[] = [];
try {
  for (let index = 0; index < panelCount; index += 1) {
    panels.push(await startPanelProcess('g2'));
  }
  const inbounds: number[] = [];
  for (const [index, panel] of panels.entries()) {
    inbounds.push(await panel.addInbound());
    await db.pool.query(
      `insert into panels (name, base_url, auth) values ($1, $2, '{"kind":"token","token":"bench"}')`,
      [`bench-${String(index + 1)}`, panel.url],
    );
  }
  await db.pool.query(`insert into users (telegram_id) select 6000000 + g from generate_series(1, $1) g`, [
    keyCount,
  ]);
  // User n gets one key on panel n mod P (inbound 1 of every panel process).
  const { rows: keys } = await db.pool.query<{
    user_id: string;
    panel_index: number;
    email: string;
    uuid: string;
    sub_id: string;
  }>(
    `with ordered as (select id, row_number() over (order by id) - 1 as n from panels),
          counted as (select count(*)::int as c from panels)
     insert into vpn_keys (user_id, panel_id, inbound_id, flow)
     select u.id, o.id, 1, 'xtls-rprx-vision'
     from users u cross join counted join ordered o on o.n = u.id % counted.c
     returning user_id::text, (select n from ordered where id = panel_id)::int as panel_index,
               email, client_uuid::text as uuid, sub_id`,
  );
  for (const [index, panel] of panels.entries()) {
    await panel.seed(
      inbounds[index] ?? 1,
      keys
        .filter((key) => key.panel_index === index)
        .map((key) => ({
          email: key.email,
          uuid: key.uuid,
          subId: key.sub_id,
          flow: 'xtls-rprx-vision',
          enable: false,
        })),
    );
  }
  await db.pool.query('analyze');
  const config = loadConfig({
    DATABASE_URL: db.url,
    KEYWARDEN_HTTP_HOST: '127.0.0.1',
    KEYWARDEN_HTTP_PORT: '0',
    KEYWARDEN_SHUTDOWN_TIMEOUT: '5s',
    KEYWARDEN_PANEL_TIMEOUT: '30s',
  });
  const started = performance.now();
  const daemon = await keywarden.startReconcilerDaemon({
    pool: db.pool,
    databaseUrl: db.url,
    config,
    logger: silentLogger(),
  });
  for (;;) {
    const { rows } = await db.pool.query<{ n: number }>('select count(*)::int as n from key_state');
    if ((rows[0]?.n ?? 0) >= keyCount && (await daemon.readiness()).ready) {
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const startupSeconds = (performance.now() - started) / 1000;
  // Let the start-up passes that are still queued (reconnect, lock acquired) drain.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  for (const panel of panels) {
    await panel.setLatency(latencyMs);
  }
  const cpuBefore = cpuSeconds();
  const lags: number[] = [];
  const stride = Math.max(1, Math.floor(keys.length / commits));
  for (let index = 0; index < commits; index += 1) {
    const key = keys[(index * stride + (index % panelCount)) % keys.length];
    const panel = key === undefined ? undefined : panels[key.panel_index];
    if (key === undefined || panel === undefined) {
      continue;
    }
    await db.pool.query(
      `insert into subscription_periods (user_id, source, starts_at, ends_at) values ($1, 'admin', now(), now() + interval '30 days')`,
      [key.user_id],
    );
    const committed = performance.now();
    while ((await panel.enabled([key.email]))[0] !== true) {
      if (performance.now() - committed > 60_000) {
        throw new Error(`key ${key.email} not enabled within 60 s`);
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    lags.push(performance.now() - committed);
  }
  const cpu = cpuSeconds() - cpuBefore;
  await daemon.close();
  process.stdout.write(
    `${JSON.stringify({
      code: keywarden.source,
      panels: panelCount,
      keys: keyCount,
      commits: lags.length,
      panelLatencyMs: latencyMs,
      p50Ms: Math.round(percentile(lags, 50)),
      p90Ms: Math.round(percentile(lags, 90)),
      p99Ms: Math.round(percentile(lags, 99)),
      maxMs: Math.round(Math.max(...lags)),
      startupSeconds: Math.round(startupSeconds * 10) / 10,
      cpuSecondsDuringCommits: Math.round(cpu * 10) / 10,
      peakRssMiB: Math.round(peakRssMiB()),
    })}\n`,
  );
} finally {
  await Promise.allSettled(panels.map((panel) => panel.close()));
  await db.drop();
}
