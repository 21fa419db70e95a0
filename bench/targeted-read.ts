/**
 * Benchmark: how a targeted pass should read its batch's clients from a panel. One read per email
 * (G2: `clients/get/:email` + `clients/traffic/:email`; G1: `getClientTraffics/:email` + the inbound
 * it names), CLIENT_READS_IN_FLIGHT at a time as the reconciler does, against one whole-panel read
 * (`inbounds/list`, parsed into an observation), for batch sizes 1…256 on panels of 1,000 and 10,000
 * clients (one inbound), 20 ms of latency per request. The panel runs in a process of its own. Run on
 * demand:
 *
 *   node bench/targeted-read.ts [generations] [panelSizes] [latencyMs]
 *
 * Defaults: g2,g1 1000,10000 20. Prints one JSON line per (generation, panel size): the median of
 * 5 runs of each, in ms, and the crossover (the smallest batch for which the whole read is faster);
 * batch sizes stop once one-by-one takes 4 times the whole read.
 * The rule in src/reconciler/panel-read.ts (`shouldReadWholePanel`) is set from these numbers.
 */
import { randomUUID } from 'node:crypto';
import { asClientEmail, asPanelId, type ClientEmail } from '../src/domain/index.ts';
import { CLIENT_READS_IN_FLIGHT } from '../src/reconciler/index.ts';
import { createPanelClient } from '../src/xui/index.ts';
import { startPanelProcess } from './remote-panel.ts';
import { silentLogger } from './support.ts';

const generations = (process.argv[2] ?? 'g2,g1').split(',') as Array<'g1' | 'g2'>;
const panelSizes = (process.argv[3] ?? '1000,10000').split(',').map(Number);
const latencyMs = Number(process.argv[4] ?? 20);
const BATCHES = [1, 2, 4, 8, 16, 32, 64, 128, 256];
const RUNS = 5;

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

for (const generation of generations) {
  for (const size of panelSizes) {
    const panel = await startPanelProcess(generation);
    try {
      const inboundId = await panel.addInbound();
      const emails: ClientEmail[] = Array.from({ length: size }, (_, index) =>
        asClientEmail(`kw-${String(index + 1)}`),
      );
      await panel.seed(
        inboundId,
        emails.map((email) => ({ email, uuid: randomUUID(), flow: 'xtls-rprx-vision', enable: true })),
      );
      const client = createPanelClient(
        {
          id: asPanelId(1),
          name: 'bench',
          baseUrl: panel.url,
          auth:
            generation === 'g2'
              ? { kind: 'token', token: 'bench' }
              : { kind: 'password', username: 'admin', password: 'admin' },
          apiGeneration: generation,
          tlsSkipVerify: false,
          caPem: undefined,
        },
        { timeoutMs: 30_000, logger: silentLogger() },
      );
      const signal = new AbortController().signal;
      // Log in, confirm the generation, fill the inbound cache: as a running daemon has.
      await client.detectGeneration(signal);
      await client.observe(signal);
      await panel.setLatency(latencyMs);
      const wholeRuns: number[] = [];
      for (let run = 0; run < RUNS; run += 1) {
        wholeRuns.push(await timed(() => client.observe(signal)));
      }
      const wholeMs = median(wholeRuns);
      const perEmailMs: Record<string, number> = {};
      let crossover: number | null = null;
      for (const batch of BATCHES) {
        const runs: number[] = [];
        for (let run = 0; run < RUNS; run += 1) {
          // A different slice each run, spread over the panel.
          const wanted = emails
            .filter((_, index) => index % Math.floor(size / batch) === run % 2)
            .slice(0, batch);
          runs.push(
            await timed(async () => {
              let next = 0;
              const reader = async (): Promise<void> => {
                while (next < wanted.length) {
                  const email = wanted[next];
                  next += 1;
                  if (email !== undefined) {
                    await client.getClient(email, signal);
                  }
                }
              };
              await Promise.all(
                Array.from({ length: Math.min(CLIENT_READS_IN_FLIGHT, wanted.length) }, reader),
              );
            }),
          );
        }
        perEmailMs[String(batch)] = Math.round(median(runs));
        if (crossover === null && median(runs) > wholeMs) {
          crossover = batch;
        }
        if (median(runs) > 4 * wholeMs) {
          break; // Well past the crossover: larger batches only take longer.
        }
      }
      await client.close();
      process.stdout.write(
        `${JSON.stringify({
          generation,
          panelClients: size,
          latencyMs,
          wholePanelMs: Math.round(wholeMs),
          perEmailMs,
          wholeFasterFromBatch: crossover,
        })}\n`,
      );
    } finally {
      await panel.close();
    }
  }
}
