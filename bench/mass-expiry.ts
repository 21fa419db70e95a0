/**
 * Benchmark: N keys (default 10,000) whose periods end at the same second on one panel with 20 ms of
 * latency per panel request. Measures the time from the boundary until every client is confirmed
 * disabled, for the daemon on a G2 panel (bulk endpoint), the daemon on a G1 panel (one update per
 * client, as G1 has no bulk route), and a naive baseline in the same run (a cron-like script: one
 * sequential `clients/update/:email` call per key on G2). Run on demand:
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node bench/mass-expiry.ts [keys] [modes]
 *
 * `modes` is a comma list of g2,g1,naive (default all). The safety valve is opened for this run
 * (KEYWARDEN_VALVE_PERCENT=100), since holding a mass expiry is exactly what it is for. The simulated
 * panel runs in this process, so its CPU time is included in every number.
 */
import { loadConfig } from '../src/config/index.ts';
import { startReconcilerDaemon } from '../src/app/index.ts';
import { startSimulatedPanel } from '../src/simulator/index.ts';
import { createBenchDatabase, insertKeysWithClients, silentLogger } from './support.ts';

const keyCount = Number(process.argv[2] ?? 10_000);
const modes = (process.argv[3] ?? 'g2,g1,naive').split(',') as Array<'g2' | 'g1' | 'naive'>;
const LATENCY_MS = 20;
const LEAD_MS = 15_000;

async function runMode(mode: 'g2' | 'g1' | 'naive'): Promise<Record<string, number | string>> {
  const db = await createBenchDatabase();
  const generation = mode === 'g1' ? 'g1' : 'g2';
  const sim = await startSimulatedPanel({ generation, token: 'bench', jobIntervalMs: 0 });
  try {
    const inboundId = sim.addInbound({ protocol: 'vless', port: 443 });
    const auth =
      generation === 'g2'
        ? { kind: 'token', token: 'bench' }
        : { kind: 'password', username: 'admin', password: 'admin' };
    await db.pool.query(`insert into panels (name, base_url, auth) values ('bench', $1, $2)`, [
      sim.url,
      JSON.stringify(auth),
    ]);
    await db.pool.query(`insert into users (telegram_id) select 5000000 + g from generate_series(1, $1) g`, [
      keyCount,
    ]);
    const { rows: boundary } = await db.pool.query<{ at: Date }>(
      `insert into subscription_periods (user_id, source, starts_at, ends_at)
       select id, 'admin', now() - interval '1 day', date_trunc('second', now()) + make_interval(secs => $1::float8 / 1000)
       from users returning ends_at as at`,
      [LEAD_MS],
    );
    const boundaryMs = boundary[0]?.at.getTime() ?? 0;
    const keys = await insertKeysWithClients(db.pool, sim, inboundId, true);
    // One customer stays entitled, as on any real panel: a panel whose desired set is empty would
    // (rightly) trip the safety valve's empty-desired rule instead.
    const { rows: keeper } = await db.pool.query<{ email: string; uuid: string }>(
      `with u as (insert into users (telegram_id) values (4999999) returning id),
            p as (insert into subscription_periods (user_id, source, starts_at, ends_at)
                  select id, 'admin', now() - interval '1 day', now() + interval '30 days' from u)
       insert into vpn_keys (user_id, panel_id, inbound_id, flow)
       select u.id, (select id from panels), $1, 'xtls-rprx-vision' from u
       returning email, client_uuid::text as uuid`,
      [inboundId],
    );
    for (const key of keeper) {
      sim.seedClient(inboundId, { email: key.email, uuid: key.uuid, flow: 'xtls-rprx-vision', enable: true });
    }
    process.stderr.write(
      `${mode}: seeded ${String(keys.length)} keys, boundary in ${String(boundaryMs - Date.now())} ms\n`,
    );
    sim.setLatency(LATENCY_MS);
    const allDisabled = (): boolean => keys.every((key) => sim.inspectClient(key.email)?.enable === false);

    let daemonClose: (() => Promise<void>) | undefined;
    if (mode !== 'naive') {
      const config = loadConfig({
        DATABASE_URL: db.url,
        KEYWARDEN_HTTP_HOST: '127.0.0.1',
        KEYWARDEN_HTTP_PORT: '0',
        KEYWARDEN_VALVE_PERCENT: '100',
        KEYWARDEN_PANEL_TIMEOUT: '30s',
        KEYWARDEN_SHUTDOWN_TIMEOUT: '5s',
      });
      const daemon = await startReconcilerDaemon({
        pool: db.pool,
        databaseUrl: db.url,
        config,
        logger: silentLogger(),
      });
      daemonClose = () => daemon.close();
      // Wait for the first pass (every key recorded) so only the expiry itself is measured.
      for (;;) {
        const { rows } = await db.pool.query<{ n: number }>('select count(*)::int as n from key_state');
        if ((rows[0]?.n ?? 0) >= keyCount || Date.now() > boundaryMs) {
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    if (Date.now() > boundaryMs) {
      process.stderr.write(`${mode}: set-up overran the boundary by ${String(Date.now() - boundaryMs)} ms\n`);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, boundaryMs - Date.now())));
    const requestsBefore = sim.requests().length;
    if (mode === 'naive') {
      // The cron script: one update per key, one after the other, full object (no read first).
      for (const key of keys) {
        const response = await fetch(new URL(`panel/api/clients/update/${key.email}`, sim.url), {
          method: 'POST',
          headers: { authorization: 'Bearer bench', 'content-type': 'application/json' },
          body: JSON.stringify({
            id: key.uuid,
            email: key.email,
            enable: false,
            expiryTime: 0,
            totalGB: 0,
            limitIp: 0,
            tgId: 0,
            subId: key.subId,
            comment: '',
            reset: 0,
            flow: 'xtls-rprx-vision',
          }),
        });
        await response.text();
      }
    }
    while (!allDisabled()) {
      if (Date.now() - boundaryMs > 30 * 60_000) {
        throw new Error(`${mode}: not all disabled after 30 min`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const elapsedMs = Date.now() - boundaryMs;
    const requests = sim.requests().length - requestsBefore;
    await daemonClose?.();
    return {
      mode,
      keys: keyCount,
      secondsAfterBoundary: Math.round(elapsedMs) / 1000,
      panelRequests: requests,
    };
  } finally {
    await sim.close();
    await db.drop();
  }
}

for (const mode of modes) {
  process.stdout.write(`${JSON.stringify(await runMode(mode))}\n`);
}
