/**
 * Benchmark of `keywarden adopt` end to end on one simulated G2 panel holding N clients (default
 * 20,000; one customer has three clients sharing a subId, a tenth are expired): `adopt plan` (read
 * the panel, plan, predict the first pass) and `adopt apply` (one transaction), through the real CLI,
 * on a scratch database. Run on demand:
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node bench/adopt-apply.ts [clients]
 */
import { PassThrough } from 'node:stream';
import { runCli } from '../src/cli/main.ts';
import { startSimulatedPanel } from '../src/simulator/index.ts';
import { createBenchDatabase, peakRssMiB } from './support.ts';

const count = Number(process.argv[2] ?? 20_000);
const DAY = 86_400_000;

async function cli(url: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await runCli(args, {
    env: { DATABASE_URL: url, KEYWARDEN_LOG_LEVEL: 'error', KEYWARDEN_PANEL_TIMEOUT: '60s' },
    stdout,
    stderr,
    signal: new AbortController().signal,
  });
  return { code, out, err };
}

const db = await createBenchDatabase();
const sim = await startSimulatedPanel({ generation: 'g2', token: 'bench', jobIntervalMs: 0 });
try {
  const inbound = sim.addInbound({ protocol: 'vless', port: 443 });
  const now = Date.now();
  for (let index = 0; index < count; index += 1) {
    const telegramId = 100_000 + Math.floor(index / 3);
    sim.seedClient(inbound, {
      email: `${String(telegramId)}_${String(index % 3)}`,
      tgId: index % 3 === 0 ? telegramId : 0,
      subId: `sub-${String(telegramId)}`,
      expiryTime: now + (index % 10 === 9 ? -DAY : 20 * DAY),
      up: index * 1000,
    });
  }
  await db.pool.query(`insert into panels (name, base_url, auth) values ('bench', $1, $2)`, [
    sim.url,
    JSON.stringify({ kind: 'token', token: 'bench' }),
  ]);
  let started = performance.now();
  const planned = await cli(db.url, ['adopt', 'plan', '--panel', 'bench', '--json']);
  const planMs = performance.now() - started;
  if (planned.code !== 0) {
    throw new Error(`adopt plan failed: ${planned.err}`);
  }
  const plan = JSON.parse(planned.out) as { fingerprint: string; totals: Record<string, unknown> };
  started = performance.now();
  const applied = await cli(db.url, [
    'adopt',
    'apply',
    '--panel',
    'bench',
    '--fingerprint',
    plan.fingerprint,
  ]);
  const applyMs = performance.now() - started;
  if (applied.code !== 0) {
    throw new Error(`adopt apply failed: ${applied.err}`);
  }
  process.stdout.write(
    `${String(count)} clients: adopt plan ${planMs.toFixed(0)} ms (panel read, plan, first-pass prediction, JSON), adopt apply ${applyMs.toFixed(0)} ms (panel re-read, plan, one transaction); ${JSON.stringify(plan.totals)}; peak RSS ${peakRssMiB().toFixed(0)} MiB (panel included)\n`,
  );
} finally {
  await sim.close();
  await db.drop();
}
