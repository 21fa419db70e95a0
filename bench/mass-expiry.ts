/**
 * Benchmark: E keys (default 1,000) of a panel holding N keys (default 10,000) whose periods end at the
 * same second, 20 ms of latency per panel request. Measures the time from the boundary until every
 * expiring client is confirmed disabled (and the others still enabled), for the daemon on a G2 panel
 * (bulk endpoint), the daemon on a G1 panel (one update per client, as G1 has no bulk route), and a
 * naive baseline in the same run (a cron-like script: one sequential `clients/update/:email` call per
 * expiring key on G2). Run on demand:
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node bench/mass-expiry.ts [keys] [expiring] [modes]
 *
 * `modes` is a comma list of g2,g1,naive (default all). The panel runs in a process of its own, so
 * the numbers are keywarden's (its peak RSS and CPU time are reported). The safety valve is opened
 * for this run (KEYWARDEN_VALVE_PERCENT=100), since holding a mass expiry is exactly what it is for;
 * one customer always stays entitled (a panel with nothing left to serve trips the valve's
 * empty-desired rule instead). KW_BENCH_SRC=<other src> runs another checkout's daemon.
 */
import { loadConfig } from '../src/config/index.ts';
import { startPanelProcess } from './remote-panel.ts';
import { cpuSeconds, createBenchDatabase, loadKeywarden, peakRssMiB, silentLogger } from './support.ts';

const keyCount = Number(process.argv[2] ?? 10_000);
// One customer always stays entitled: a panel with nothing left to serve trips the valve's
// empty-desired rule, which is not what this measures.
const expiringCount = Math.min(keyCount - 1, Number(process.argv[3] ?? 1_000));
const modes = (process.argv[4] ?? 'g2,g1,naive').split(',') as Array<'g2' | 'g1' | 'naive'>;
const LATENCY_MS = 20;
const LEAD_MS = 20_000;
const keywarden = await loadKeywarden();

async function runMode(mode: 'g2' | 'g1' | 'naive'): Promise<Record<string, number | string>> {
  const db = await createBenchDatabase();
  const generation = mode === 'g1' ? 'g1' : 'g2';
  const panel = await startPanelProcess(generation);
  try {
    const inboundId = await panel.addInbound();
    const auth =
      generation === 'g2'
        ? { kind: 'token', token: 'bench' }
        : { kind: 'password', username: 'admin', password: 'admin' };
    await db.pool.query(`insert into panels (name, base_url, auth) values ('bench', $1, $2)`, [
      panel.url,
      JSON.stringify(auth),
    ]);
    await db.pool.query(`insert into users (telegram_id) select 5000000 + g from generate_series(1, $1) g`, [
      keyCount,
    ]);
    // The first `expiringCount` users' periods end at the boundary; the others' in 30 days.
    const { rows: boundary } = await db.pool.query<{ at: Date }>(
      `with b as (select date_trunc('second', now()) + make_interval(secs => $1::float8 / 1000) as at)
       insert into subscription_periods (user_id, source, starts_at, ends_at)
       select u.id, 'admin', now() - interval '1 day',
              case when row_number() over (order by u.id) <= $2 then b.at else now() + interval '30 days' end
       from users u cross join b
       returning (select at from b) as at`,
      [LEAD_MS, expiringCount],
    );
    const boundaryMs = boundary[0]?.at.getTime() ?? 0;
    const { rows: keys } = await db.pool.query<{
      email: string;
      uuid: string;
      sub_id: string;
      expiring: boolean;
    }>(
      `insert into vpn_keys (user_id, panel_id, inbound_id, flow)
       select u.id, p.id, $1, 'xtls-rprx-vision' from users u cross join panels p order by u.id
       returning email, client_uuid::text as uuid, sub_id,
                 (select ends_at < now() + interval '1 day' from subscription_periods s where s.user_id = vpn_keys.user_id) as expiring`,
      [inboundId],
    );
    await panel.seed(
      inboundId,
      keys.map((key) => ({
        email: key.email,
        uuid: key.uuid,
        subId: key.sub_id,
        flow: 'xtls-rprx-vision',
        enable: true,
      })),
    );
    await db.pool.query('analyze');
    const expiring = keys.filter((key) => key.expiring);
    const staying = keys.filter((key) => !key.expiring).slice(0, 50);
    process.stderr.write(
      `${mode}: seeded ${String(keys.length)} keys (${String(expiring.length)} expiring), boundary in ${String(boundaryMs - Date.now())} ms\n`,
    );
    await panel.setLatency(LATENCY_MS);
    const expiringEmails = expiring.map((key) => key.email);
    const allDisabled = async (): Promise<boolean> =>
      (await panel.enabled(expiringEmails)).every((enable) => enable === false);

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
      const daemon = await keywarden.startReconcilerDaemon({
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
    const requestsBefore = await panel.requests();
    const cpuBefore = cpuSeconds();
    if (mode === 'naive') {
      // The cron script: one update per key, one after the other, full object (no read first).
      for (const key of expiring) {
        const response = await fetch(new URL(`panel/api/clients/update/${key.email}`, panel.url), {
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
            subId: key.sub_id,
            comment: '',
            reset: 0,
            flow: 'xtls-rprx-vision',
          }),
        });
        await response.text();
      }
    }
    while (!(await allDisabled())) {
      if (Date.now() - boundaryMs > 30 * 60_000) {
        throw new Error(`${mode}: not all disabled after 30 min`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const elapsedMs = Date.now() - boundaryMs;
    const cpu = cpuSeconds() - cpuBefore;
    const requests = (await panel.requests()) - requestsBefore;
    const stillOn = (await panel.enabled(staying.map((key) => key.email))).every((enable) => enable === true);
    await daemonClose?.();
    return {
      code: keywarden.source,
      mode,
      keys: keyCount,
      expiring: expiring.length,
      secondsAfterBoundary: Math.round(elapsedMs) / 1000,
      panelRequests: requests,
      othersStillEnabled: String(stillOn),
      cpuSeconds: Math.round(cpu * 100) / 100,
      peakRssMiB: Math.round(peakRssMiB()),
    };
  } finally {
    await panel.close();
    await db.drop();
  }
}

for (const mode of modes) {
  process.stdout.write(`${JSON.stringify(await runMode(mode))}\n`);
}
