/**
 * Benchmark of the 3x-ui adapter (run on demand: `node bench/xui-parse.ts [latencyMs]`).
 *
 * 1. List + parse one inbound holding 20,000 clients, through HTTP, on G1 (settings as a string) and
 *    G2 (settings as an object): wall time per `observe()` and the client process's peak RSS. The
 *    simulated panel runs in a child process so its memory is not counted.
 * 2. HTTP calls (and time) for a 1,000-client bulk disable on G2 (bulk route) vs G1 (one call each),
 *    with the given per-request panel latency (default 20 ms, as in the reconciler benchmark).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { pino } from 'pino';
import { asClientEmail, asPanelId } from '../src/domain/ids.ts';
import { createPanelClient } from '../src/xui/index.ts';
import { startSimulatedPanel, type SimulatedPanel } from '../src/simulator/index.ts';

interface StartMessage {
  readonly cmd: 'start';
  readonly generation: 'g1' | 'g2';
  readonly clients: number;
  readonly latencyMs: number;
}
type ChildMessage = StartMessage | { readonly cmd: 'count' } | { readonly cmd: 'close' };

if (process.argv.includes('--panel')) {
  let panel: SimulatedPanel | undefined;
  process.on('message', (message: ChildMessage) => {
    void (async () => {
      switch (message.cmd) {
        case 'start': {
          panel = await startSimulatedPanel({
            generation: message.generation,
            token: 'bench',
            jobIntervalMs: 0,
            latencyMs: message.latencyMs,
          });
          const inbound = panel.addInbound({ protocol: 'vless', port: 443 });
          panel.seedClients(inbound, message.clients, 'user-', {
            expiryTime: Date.now() + 86_400_000,
            totalGB: 50 * 1024 ** 3,
          });
          process.send?.({ url: panel.url });
          break;
        }
        case 'count':
          process.send?.({ requests: panel?.requests().length ?? 0 });
          break;
        case 'close':
          await panel?.close();
          process.exit(0);
      }
    })();
  });
} else if (process.argv.includes('--observe')) {
  await observeOnce(process.argv[process.argv.indexOf('--observe') + 1] === 'g1' ? 'g1' : 'g2');
} else {
  await main();
}

function ask<T>(child: ChildProcess, message: ChildMessage): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (reply) => {
      resolve(reply as T);
    });
    child.send(message);
  });
}

async function startPanel(
  generation: 'g1' | 'g2',
  clients: number,
  latencyMs: number,
): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(new URL(import.meta.url).pathname, ['--panel'], { stdio: 'inherit' });
  const { url } = await ask<{ url: string }>(child, { cmd: 'start', generation, clients, latencyMs });
  return { child, url };
}

function client(url: string) {
  return createPanelClient(
    {
      id: asPanelId('bench'),
      name: 'bench',
      baseUrl: url,
      auth: { kind: 'token', token: 'bench' },
      apiGeneration: undefined,
      tlsSkipVerify: false,
      caPem: undefined,
    },
    { timeoutMs: 600_000, logger: pino({ level: 'silent' }) },
  );
}

function stopPanel(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => {
      resolve();
    });
    child.send({ cmd: 'close' });
  });
}

function mb(kb: number): string {
  return `${(kb / 1024).toFixed(0)} MB`;
}

/** Part 1 in a process of its own, so its RSS is the client's alone. */
async function observeOnce(generation: 'g1' | 'g2'): Promise<void> {
  const signal = AbortSignal.timeout(10 * 60_000);
  const { child, url } = await startPanel(generation, 20_000, 0);
  const panel = client(url);
  await panel.detectGeneration(AbortSignal.timeout(60_000));
  const baseline = process.memoryUsage().rss / 1024;
  const times: number[] = [];
  let clients = 0;
  let peakAfterFirst = 0;
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    const observation = await panel.observe(signal);
    times.push(performance.now() - started);
    clients = observation.clients.size;
    if (i === 0) {
      peakAfterFirst = process.resourceUsage().maxRSS;
    }
  }
  const first = times[0] ?? 0;
  const sorted = [...times].sort((a, b) => a - b);
  console.log(
    `   ${generation}: ${String(clients)} clients; first ${first.toFixed(0)} ms, median of 5 ${sorted[2]?.toFixed(0) ?? '?'} ms; ` +
      `RSS ${mb(baseline)} before, peak ${mb(peakAfterFirst)} after one list, peak ${mb(process.resourceUsage().maxRSS)} after five`,
  );
  await panel.close();
  await stopPanel(child);
}

async function main(): Promise<void> {
  const latencyMs = Number(process.argv[2] ?? '20');
  const signal = AbortSignal.timeout(30 * 60_000);
  console.log(`node ${process.version}; panel latency ${String(latencyMs)} ms for part 2\n`);

  console.log(
    '1. observe() one inbound with 20,000 clients (HTTP + JSON.parse + parse + map), fresh process each',
  );
  for (const generation of ['g1', 'g2'] as const) {
    await new Promise<void>((resolve) => {
      fork(new URL(import.meta.url).pathname, ['--observe', generation], { stdio: 'inherit' }).once(
        'exit',
        () => {
          resolve();
        },
      );
    });
  }

  console.log('\n2. setEnabled(1,000 emails, false)');
  for (const generation of ['g2', 'g1'] as const) {
    const { child, url } = await startPanel(generation, 1_000, latencyMs);
    const panel = client(url);
    await panel.detectGeneration(signal);
    const before = (await ask<{ requests: number }>(child, { cmd: 'count' })).requests;
    const emails = Array.from({ length: 1_000 }, (_, i) => asClientEmail(`user-${String(i)}`));
    const started = performance.now();
    const result = await panel.setEnabled(emails, false, signal);
    const elapsed = performance.now() - started;
    const after = (await ask<{ requests: number }>(child, { cmd: 'count' })).requests;
    console.log(
      `   ${generation}: ${String(result.changed.length)} disabled in ${String(result.calls)} HTTP calls (panel saw ${String(after - before)}), ${(elapsed / 1000).toFixed(2)} s`,
    );
    await panel.close();
    await stopPanel(child);
  }
}
