/**
 * The demo's adoption: panel us-1 already serves a shop before keywarden starts (clients an old bot
 * made, one the operator made by hand). They are adopted the way an operator would, with the old
 * bot's CSV and a pattern on the client emails, before the daemon starts.
 */
import { applyAdoptionReport, readAdoption } from '../app/index.ts';
import { parseAdoptionCsv, parseOwnerSource, type OwnerSource } from '../adoption/index.ts';
import type { Config } from '../config/index.ts';
import type { Pool } from '../db/index.ts';
import type { PanelId } from '../domain/index.ts';
import type { Logger } from '../shared/index.ts';
import type { SimulatedPanel } from '../simulator/index.ts';

const DAY = 86_400_000;

/** Puts the old shop's clients on the G1 panel: as they were before keywarden. */
export function seedOldShop(legacy: SimulatedPanel, inboundId: number): void {
  const now = Date.now();
  // Paid through the old bot (its database says until when; the client itself never expires).
  legacy.seedClient(inboundId, { email: '700201-laptop', tgId: 700201, expiryTime: 0, up: 2 * 1024 ** 3 });
  // Named user<telegram id> by the old bot, expired two days ago, still on: the old cron missed it.
  legacy.seedClient(inboundId, { email: 'user700202', expiryTime: now - 2 * DAY });
  // The operator's own monitoring client: nobody claims it, so it stays as it is.
  legacy.seedClient(inboundId, { email: 'ops-monitor', expiryTime: 0 });
}

function source(spec: string): OwnerSource {
  const parsed = parseOwnerSource(spec);
  if (!parsed.ok) {
    throw new Error(parsed.error);
  }
  return parsed.value;
}

/** Plans and applies the adoption of us-1, narrating the plan. */
export async function adoptOldShop(options: {
  readonly pool: Pool;
  readonly config: Config;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly panelId: PanelId;
}): Promise<void> {
  const log = options.logger.child({ component: 'demo' });
  const paidUntil = new Date(Date.now() + 20 * DAY).toISOString();
  const csv = parseAdoptionCsv(`telegram_id,email,paid_until\n700201,700201-laptop,${paidUntil}\n`);
  if (!csv.ok) {
    throw new Error('the demo CSV does not parse');
  }
  const report = await readAdoption({
    ...options,
    panelIds: [options.panelId],
    sources: [source('csv'), source('tgid'), source('email:^user(?<tg>\\d+)$')],
    csv: csv.value,
    defaultPlanCode: null,
    planCodes: new Map(),
  });
  for (const verdict of report.plan.verdicts) {
    log.info(
      {
        client: verdict.email,
        verdict: verdict.kind,
        ...(verdict.kind === 'adopt'
          ? {
              owner: verdict.telegramId,
              by: verdict.matchedBy,
              until: verdict.access.kind === 'none' ? null : verdict.access.until.toISOString(),
            }
          : {}),
      },
      '▸ adopt plan',
    );
  }
  const outcome = await applyAdoptionReport(options.pool, report, report.plan.fingerprint);
  log.info(
    { fingerprint: report.plan.fingerprint, outcome },
    '▸ adopted the clients us-1 already had (`keywarden adopt plan` / `adopt apply`): nothing changed on the panel; the reconciler takes them over',
  );
}
