/**
 * Benchmark: latency from the commit of a period to the confirmed enable of the key on its panel,
 * p50/p99 over N commits (default 1,000), one after the other, with the daemon running against a
 * simulated G2 panel (latency per request: second argument, default 20 ms). Run on demand:
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node bench/activation-latency.ts [commits] [latencyMs]
 *
 * "Confirmed" is measured outside the daemon: the moment the panel's client reads `enable: true`
 * (polled every 2 ms). The simulated panel runs in this process.
 */
import { loadConfig } from '../src/config/index.ts';
import { startReconcilerDaemon } from '../src/app/index.ts';
import { startSimulatedPanel } from '../src/simulator/index.ts';
import { createBenchDatabase, insertKeysWithClients, percentile, silentLogger } from './support.ts';

const commits = Number(process.argv[2] ?? 1_000);
const latencyMs = Number(process.argv[3] ?? 20);

const db = await createBenchDatabase();
const sim = await startSimulatedPanel({ generation: 'g2', token: 'bench', jobIntervalMs: 0 });
try {
  const inboundId = sim.addInbound({ protocol: 'vless', port: 443 });
  await db.pool.query(
    `insert into panels (name, base_url, auth) values ('bench', $1, '{"kind":"token","token":"bench"}')`,
    [sim.url],
  );
  await db.pool.query(`insert into users (telegram_id) select 6000000 + g from generate_series(1, $1) g`, [
    commits,
  ]);
  const keys = await insertKeysWithClients(db.pool, sim, inboundId, false);
  sim.setLatency(latencyMs);
  const config = loadConfig({
    DATABASE_URL: db.url,
    KEYWARDEN_HTTP_HOST: '127.0.0.1',
    KEYWARDEN_HTTP_PORT: '0',
    KEYWARDEN_SHUTDOWN_TIMEOUT: '5s',
  });
  const daemon = await startReconcilerDaemon({
    pool: db.pool,
    databaseUrl: db.url,
    config,
    logger: silentLogger(),
  });
  for (;;) {
    const { rows } = await db.pool.query<{ n: number }>('select count(*)::int as n from key_state');
    if ((rows[0]?.n ?? 0) >= commits && (await daemon.readiness()).ready) {
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const lags: number[] = [];
  for (const key of keys) {
    await db.pool.query(
      `insert into subscription_periods (user_id, source, starts_at, ends_at) values ($1, 'admin', now(), now() + interval '30 days')`,
      [key.userId],
    );
    const committed = performance.now();
    while (sim.inspectClient(key.email)?.enable !== true) {
      if (performance.now() - committed > 60_000) {
        throw new Error(`key ${key.email} not enabled within 60 s`);
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    lags.push(performance.now() - committed);
  }
  await daemon.close();
  process.stdout.write(
    `${JSON.stringify({
      commits: lags.length,
      panelLatencyMs: latencyMs,
      p50Ms: Math.round(percentile(lags, 50)),
      p90Ms: Math.round(percentile(lags, 90)),
      p99Ms: Math.round(percentile(lags, 99)),
      maxMs: Math.round(Math.max(...lags)),
    })}\n`,
  );
} finally {
  await sim.close();
  await db.drop();
}
