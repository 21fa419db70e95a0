/**
 * Benchmark of the subscription URL server (run on demand: `node bench/subscription-fetch.ts
 * [customers] [requests] [concurrency]`, defaults 10,000 / 3,000 / 16).
 *
 * Seeds `customers` customers with a 30-day plan and three enabled keys each on two panels (key
 * state and quota baselines as the reconciler writes them), starts the subscription server, and
 * fetches random customers' URLs with `concurrency` requests in flight: latency percentiles and
 * throughput per format (base64, mihomo, sing-box), and this process's peak RSS. Rate limits are
 * set out of the way; the database is a scratch one on DATABASE_URL's server.
 */
import { randomBytes } from 'node:crypto';
import { deriveSubscriptionToken, hashSubscriptionToken } from '../src/db/index.ts';
import { createSubServer } from '../src/sub/index.ts';
import { createBenchDatabase, peakRssMiB, percentile, silentLogger } from './support.ts';

const customers = Number(process.argv[2] ?? 10_000);
const requests = Number(process.argv[3] ?? 3_000);
const concurrency = Number(process.argv[4] ?? 16);
const SECRET = 'bench-subscription-secret-0123456789abcdef';

const database = await createBenchDatabase();
const { pool } = database;
try {
  const started = performance.now();
  await pool.query(`
    insert into panels (name, base_url, auth, public_host) values
      ('nl', 'https://nl.example:2053/p/', '{"kind":"token","token":"t"}'::jsonb, 'nl1.example.net'),
      ('de', 'https://de.example:2053/p/', '{"kind":"token","token":"t"}'::jsonb, 'de1.example.net')`);
  await pool.query(`
    insert into inbounds (panel_id, inbound_id, protocol, port, remark, settings, stream_settings)
    select p.id, 1, 'vless', 443, 'NL', '{"encryption":"none"}'::jsonb,
      '{"network":"tcp","security":"reality","realitySettings":{"serverNames":["www.microsoft.com"],"shortIds":["6ba85179e30d4fc2"],"settings":{"publicKey":"Z84J2IelR9ch3k8VtlVhhs5ycBUlXA7wHBWcBrjqnAw","fingerprint":"chrome"}}}'::jsonb
    from panels p where p.name = 'nl'
    union all
    select p.id, 2, 'trojan', 443, 'DE', '{}'::jsonb,
      '{"network":"ws","security":"tls","tlsSettings":{"serverName":"de.example.net"},"wsSettings":{"path":"/ws"}}'::jsonb
    from panels p where p.name = 'de'`);
  await pool.query(`insert into plans (code, title, duration_days, price, currency, traffic_limit_bytes, max_keys)
                    values ('month', 'Month', 30, 299, 'RUB', 107374182400, 3)`);
  await pool.query(`insert into users (telegram_id) select 100000000 + g from generate_series(1, $1) g`, [
    customers,
  ]);
  await pool.query(`
    insert into subscription_periods (user_id, plan_id, source, starts_at, ends_at)
    select u.id, (select id from plans), 'admin', now() - interval '1 day', now() + interval '29 days' from users u`);
  await pool.query(`
    insert into vpn_keys (user_id, panel_id, inbound_id, email)
    select u.id, p.id, case p.name when 'nl' then 1 else 2 end, 'u' || u.id || '-' || p.name
    from users u cross join panels p 
    union all
    select u.id, p.id, 1, 'u' || u.id || '-extra' from users u join panels p on p.name = 'nl'`);
  await pool.query(`
    insert into key_state (key_id, desired, observed, converged, quota_period_id, quota_baseline_bytes)
    select k.id, '{"kind":"enabled","reason":"entitled"}'::jsonb,
      jsonb_build_object('kind', 'present', 'upBytes', 1000000, 'downBytes', 9000000, 'at', now()), true,
      (select id from subscription_periods s where s.user_id = k.user_id), 0
    from vpn_keys k`);
  await pool.query('analyze');
  const tokens: string[] = [];
  const userIds = (await pool.query<{ id: string }>('select id::text from users order by id')).rows.map(
    (r) => r.id,
  );
  for (let offset = 0; offset < userIds.length; offset += 1000) {
    const batch = userIds.slice(offset, offset + 1000);
    const nonces = batch.map(() => randomBytes(16));
    const batchTokens = nonces.map((nonce) => deriveSubscriptionToken(SECRET, nonce));
    tokens.push(...batchTokens);
    await pool.query(
      `insert into subscription_tokens (user_id, nonce, token_hash)
       select * from unnest($1::bigint[], $2::bytea[], $3::bytea[])`,
      [batch, nonces, batchTokens.map(hashSubscriptionToken)],
    );
  }
  const seededMs = performance.now() - started;

  const server = createSubServer({
    pool,
    logger: silentLogger(),
    config: {
      subHost: '127.0.0.1',
      subPort: 0,
      subPublicUrl: 'https://sub.example.com/',
      subTitle: 'Bench VPN',
      subUpdateIntervalMs: 12 * 3_600_000,
      subSupportUrl: undefined,
      subAnnounce: undefined,
      subBotUsername: undefined,
      subRatePerToken: 1_000_000,
      subRatePerIp: 1_000_000,
      trustedProxyHeader: undefined,
      trustedProxies: [],
      graceMs: 0,
    },
  });
  const base = (await server.listen()).href;
  process.stdout.write(
    `seeded ${customers} customers × 3 keys in ${(seededMs / 1000).toFixed(1)} s; ${requests} requests per format, ${concurrency} in flight\n`,
  );
  for (const [format, agent] of [
    ['base64', 'v2rayNG/1.9.30'],
    ['mihomo', 'clash-verge/v2.2.3'],
    ['sing-box', 'SFA/1.12.8'],
  ] as const) {
    const latencies: number[] = [];
    let failures = 0;
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < requests) {
          next += 1;
          const token = tokens[Math.floor(Math.random() * tokens.length)] ?? '';
          const t = performance.now();
          const response = await fetch(`${base}sub/${token}`, { headers: { 'user-agent': agent } });
          await response.arrayBuffer();
          latencies.push(performance.now() - t);
          if (response.status !== 200) {
            failures += 1;
          }
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    process.stdout.write(
      `${format.padEnd(9)} ${(requests / seconds).toFixed(0)} req/s  p50 ${percentile(latencies, 50).toFixed(1)} ms  p95 ${percentile(latencies, 95).toFixed(1)} ms  p99 ${percentile(latencies, 99).toFixed(1)} ms  non-200 ${failures}\n`,
    );
  }
  process.stdout.write(`peak RSS ${peakRssMiB().toFixed(0)} MiB\n`);
  await server.close();
} finally {
  await database.drop();
}
