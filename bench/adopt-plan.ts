/**
 * Benchmark of the adoption planner (run on demand: `node bench/adopt-plan.ts [clients]`, default
 * 20,000 and 100,000): planAdoption plus the first-pass prediction over one panel whose clients are
 * a mix of what shops have (tgId set, user<id> emails, subId groups of three, expired ones, a CSV line
 * for every second client, operator clients). Pure: no panel, no database; wall time and heap.
 */
import {
  defaultOwnerSources,
  parseAdoptionCsv,
  parseOwnerSource,
  planAdoption,
  predictFirstPass,
  type OwnerSource,
} from '../src/adoption/index.ts';
import {
  asClientEmail,
  asInboundId,
  asPanelId,
  type ObservedClient,
  type PanelObservation,
} from '../src/domain/index.ts';

const DAY = 86_400_000;
const PANEL = asPanelId(1);
const now = new Date();

function shop(count: number): { observation: PanelObservation; csvText: string } {
  const clients = new Map<ReturnType<typeof asClientEmail>, ObservedClient>();
  const csv: string[] = ['telegram_id,email,paid_until'];
  for (let index = 0; index < count; index += 1) {
    const telegramId = 100_000 + Math.floor(index / 3);
    const kind = index % 10;
    const email =
      kind === 9
        ? `ops-${String(index)}`
        : kind % 2 === 0
          ? `${String(telegramId)}_${String(index)}`
          : `user${String(telegramId)}x${String(index)}`;
    clients.set(asClientEmail(email), {
      email: asClientEmail(email),
      inboundIds: [asInboundId(1)],
      uuid: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
      password: undefined,
      auth: undefined,
      isClientEnabled: true,
      isTrafficEnabled: true,
      isEffectivelyEnabled: true,
      expiryTimeMs: now.getTime() + (kind === 3 ? -DAY : 20 * DAY),
      totalBytes: 0,
      upBytes: index * 1000,
      downBytes: index * 5000,
      resetDays: 0,
      hasPanelRenewal: false,
      flow: 'xtls-rprx-vision',
      subId: kind === 9 ? '' : `sub-${String(telegramId)}`,
      tgId: kind < 4 ? telegramId : 0,
      comment: '',
      limitIp: 0,
    });
    if (index % 2 === 0 && kind !== 9) {
      csv.push(`${String(telegramId)},${email},${new Date(now.getTime() + 25 * DAY).toISOString()}`);
    }
  }
  return {
    observation: {
      generation: 'g2',
      inbounds: [
        {
          panelId: PANEL,
          id: asInboundId(1),
          protocol: 'vless',
          port: 443,
          remark: 'vless',
          listen: '',
          isEnabled: true,
          isFlowDisabled: false,
          settings: {},
          streamSettings: { network: 'tcp', security: 'reality' },
        },
      ],
      clients,
      duplicateEmails: [],
    },
    csvText: csv.join('\n'),
  };
}

function source(spec: string): OwnerSource {
  const parsed = parseOwnerSource(spec);
  if (!parsed.ok) {
    throw new Error(parsed.error);
  }
  return parsed.value;
}

const sizes = process.argv[2] === undefined ? [20_000, 100_000] : [Number(process.argv[2])];
for (const size of sizes) {
  const { observation, csvText } = shop(size);
  const started = performance.now();
  const csv = parseAdoptionCsv(csvText);
  if (!csv.ok) {
    throw new Error('bench CSV does not parse');
  }
  const parsedMs = performance.now() - started;
  const plan = planAdoption({
    panels: [{ panelId: PANEL, name: 'bench', observation, managed: new Map() }],
    sources: [...defaultOwnerSources(true), source('email:^user(?<tg>\\d+)x')],
    csv: csv.value,
    defaultPlanCode: null,
    now,
  });
  const plannedMs = performance.now() - started;
  const firstPass = predictFirstPass(plan, {
    snapshot: {
      now,
      panels: [{ panelId: PANEL, name: 'bench', isEnabled: true, isSuspended: false }],
      keys: [],
      nextBoundaryAt: null,
      confirmedHolds: new Set(),
    },
    reads: new Map([[PANEL, { kind: 'observed', observation }]]),
    users: new Map(),
    planQuotas: new Map(),
    policy: { expiryMarginMs: 0, valveMin: 10, valvePercent: 20 },
    graceMs: 0,
  });
  const totalMs = performance.now() - started;
  process.stdout.write(
    `${String(size)} clients: csv ${String(csv.value.length)} lines ${parsedMs.toFixed(0)} ms, plan ${(plannedMs - parsedMs).toFixed(0)} ms, first-pass prediction ${(totalMs - plannedMs).toFixed(0)} ms, total ${totalMs.toFixed(0)} ms; ${JSON.stringify(plan.totals.byKind)}, ${String(firstPass.size)} predicted; heap ${(process.memoryUsage().heapUsed / 1024 ** 2).toFixed(0)} MiB\n`,
  );
}
