/**
 * Adoption of a running shop, composed (docs/migrating.md): reads the panels in scope once and
 * completely (an unreadable panel stops it, never a partial plan), the keys keywarden already has
 * there and the owners it already knows; the pure planner (src/adoption) decides, and the
 * reconciler's own pure pass predicts the first pass. Applying writes exactly that plan, one
 * transaction per panel, and never calls a panel write. Used by `keywarden adopt` and the demo.
 */
import {
  combineFingerprints,
  planAdoption,
  predictFirstPass,
  type AdoptionPanel,
  type AdoptionPlan,
  type AdoptionVerdict,
  type CsvClaim,
  type ExistingUser,
  type FirstPassOutcome,
  type ManagedKey,
  type OwnerSource,
} from '../adoption/index.ts';
import type { Config } from '../config/index.ts';
import { createXuiPanelClients, reconcilePolicy } from './controller-options.ts';
import {
  applyAdoption,
  findAdoption,
  secretBoxFrom,
  type AdoptedKey,
  type ImportPeriod,
  type Pool,
} from '../db/index.ts';
import { asKeyId, asUserId, type PanelId, type PanelRead, type PlanId } from '../domain/index.ts';
import { toError, type Logger } from '../shared/index.ts';
import { readSnapshot } from '../store/index.ts';

/** A plan code the adoption names, resolved. */
export interface AdoptionPlanCode {
  readonly id: PlanId;
  readonly quotaBytes: number | null;
}

/** What to read and plan. */
export interface ReadAdoptionOptions {
  readonly pool: Pool;
  readonly config: Config;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  /** Enabled panels to adopt from. */
  readonly panelIds: ReadonlyArray<PanelId>;
  readonly sources: ReadonlyArray<OwnerSource>;
  readonly csv: ReadonlyArray<CsvClaim>;
  readonly defaultPlanCode: string | null;
  /** Every plan code the CSV and the default name, resolved. */
  readonly planCodes: ReadonlyMap<string, AdoptionPlanCode>;
}

/** Everything `adopt plan` shows and `adopt apply` writes. */
export interface AdoptionReport {
  readonly plan: AdoptionPlan;
  readonly firstPass: ReadonlyMap<string, FirstPassOutcome>;
  readonly panelNames: ReadonlyMap<PanelId, string>;
  readonly planCodes: ReadonlyMap<string, AdoptionPlanCode>;
  readonly sources: ReadonlyArray<OwnerSource>;
}

/** Thrown when a panel cannot be read: the adoption is not planned on partial data. */
export class PanelUnreadableError extends Error {
  constructor(panel: string, cause: unknown) {
    super(`panel ${panel} could not be read (${toError(cause).message}): nothing planned`, { cause });
    this.name = 'PanelUnreadableError';
  }
}

async function existingUsers(
  pool: Pool,
  telegramIds: ReadonlyArray<number>,
): Promise<Map<number, ExistingUser>> {
  const { rows } = await pool.query<{
    user_id: string;
    telegram_id: string;
    banned_at: Date | null;
    period_id: string | null;
    starts_at: Date | null;
    ends_at: Date | null;
    cancelled_at: Date | null;
    quota: string | null;
  }>(
    `select u.id::text as user_id, u.telegram_id::text, u.banned_at, p.id::text as period_id, p.starts_at,
            p.ends_at, p.cancelled_at, pl.traffic_limit_bytes::text as quota
     from users u
     left join subscription_periods p on p.user_id = u.id
     left join plans pl on pl.id = p.plan_id
     where u.telegram_id = any($1::bigint[])`,
    [telegramIds.map(String)],
  );
  const users = new Map<
    number,
    { userId: ExistingUser['userId']; bannedAt: Date | null; periods: ExistingUser['periods'][number][] }
  >();
  for (const row of rows) {
    const telegramId = Number(row.telegram_id);
    const user = users.get(telegramId) ?? {
      userId: asUserId(row.user_id),
      bannedAt: row.banned_at,
      periods: [],
    };
    if (row.period_id !== null && row.starts_at !== null && row.ends_at !== null) {
      user.periods.push({
        id: row.period_id,
        startsAt: row.starts_at,
        endsAt: row.ends_at,
        cancelledAt: row.cancelled_at,
        quotaBytes: row.quota === null ? null : Number(row.quota),
      });
    }
    users.set(telegramId, user);
  }
  return users;
}

/** Reads everything in scope and plans the adoption, with the first pass predicted. */
export async function readAdoption(options: ReadAdoptionOptions): Promise<AdoptionReport> {
  const { pool, config, panelIds, sources, csv, defaultPlanCode, planCodes } = options;
  const { snapshot, connections } = await readSnapshot(
    pool,
    panelIds,
    config.graceMs,
    undefined,
    secretBoxFrom(config),
  );
  const factory = createXuiPanelClients(config, options.logger.child({ component: 'xui' }), {});
  const reads = new Map<PanelId, PanelRead>();
  const panels: AdoptionPanel[] = [];
  const { rows: keyRows } = await pool.query<{
    id: string;
    panel_id: string;
    email: string;
    telegram_id: string;
  }>(
    `select k.id::text, k.panel_id::text, k.email, u.telegram_id::text
     from vpn_keys k join users u on u.id = k.user_id where k.panel_id = any($1::bigint[])`,
    [panelIds],
  );
  for (const panel of snapshot.panels) {
    const connection = connections.get(panel.panelId);
    if (connection === undefined) {
      throw new PanelUnreadableError(panel.name, new Error('no connection details'));
    }
    const client = factory(connection);
    try {
      const observation = await client.observe(options.signal);
      reads.set(panel.panelId, { kind: 'observed', observation });
      const managed = new Map<string, ManagedKey>(
        keyRows
          .filter((row) => row.panel_id === panel.panelId)
          .map((row) => [
            row.email.toLowerCase(),
            { keyId: asKeyId(row.id), telegramId: Number(row.telegram_id) },
          ]),
      );
      panels.push({ panelId: panel.panelId, name: panel.name, observation, managed });
    } catch (error) {
      throw new PanelUnreadableError(panel.name, error);
    } finally {
      await client.close();
    }
  }
  const plan = planAdoption({ panels, sources, csv, defaultPlanCode, now: snapshot.now });
  const owners = [
    ...new Set(plan.verdicts.flatMap((verdict) => (verdict.kind === 'adopt' ? [verdict.telegramId] : []))),
  ];
  const firstPass = predictFirstPass(plan, {
    snapshot,
    reads,
    users: await existingUsers(pool, owners),
    planQuotas: new Map([...planCodes].map(([code, entry]) => [code, entry.quotaBytes])),
    policy: reconcilePolicy(config),
    graceMs: config.graceMs,
  });
  return {
    plan,
    firstPass,
    panelNames: new Map(snapshot.panels.map((panel) => [panel.panelId, panel.name])),
    planCodes,
    sources,
  };
}

type Adopted = Extract<AdoptionVerdict, { kind: 'adopt' }>;

/** What applying did to one panel. */
export type PanelAdoptionResult =
  | {
      readonly kind: 'applied';
      readonly panelId: PanelId;
      readonly adoptionId: string;
      readonly keysCreated: number;
      readonly usersCreated: number;
      readonly periodsCreated: number;
    }
  | { readonly kind: 'already-applied'; readonly panelId: PanelId; readonly appliedAt: Date }
  /** The plan adopts nothing on this panel: nothing is written, not even an adoption row. */
  | { readonly kind: 'nothing-to-adopt'; readonly panelId: PanelId }
  | { readonly kind: 'conflict'; readonly panelId: PanelId; readonly email: string };

/** What applying did: per panel, or nothing because the plan is not the confirmed one. */
export type AdoptionApplyOutcome =
  | { readonly kind: 'applied'; readonly panels: ReadonlyArray<PanelAdoptionResult> }
  | { readonly kind: 'fingerprint-mismatch'; readonly current: string };

/**
 * Applies `report` when its fingerprint is `fingerprint`. Panels this plan was already applied to
 * count with the fingerprint they had then, so re-running the same apply after a partial failure
 * finishes it, and after success writes nothing.
 */
export async function applyAdoptionReport(
  pool: Pool,
  report: AdoptionReport,
  fingerprint: string,
): Promise<AdoptionApplyOutcome> {
  const { plan } = report;
  const effective = new Map<PanelId, string>();
  const done = new Map<PanelId, Date>();
  for (const [panelId, panelFingerprint] of plan.panelFingerprints) {
    const earlier = await findAdoption(pool, fingerprint, panelId);
    effective.set(panelId, earlier?.panelFingerprint ?? panelFingerprint);
    if (earlier !== null) {
      done.set(panelId, earlier.appliedAt);
    }
  }
  const current = combineFingerprints(effective);
  if (current !== fingerprint) {
    return { kind: 'fingerprint-mismatch', current };
  }
  const results: PanelAdoptionResult[] = [];
  for (const [panelId, panelFingerprint] of plan.panelFingerprints) {
    const appliedAt = done.get(panelId);
    if (appliedAt !== undefined) {
      results.push({ kind: 'already-applied', panelId, appliedAt });
      continue;
    }
    const keys: AdoptedKey[] = plan.verdicts
      .filter((verdict): verdict is Adopted => verdict.kind === 'adopt' && verdict.panelId === panelId)
      .map((verdict) => ({
        email: verdict.email,
        inboundId: verdict.inboundId,
        telegramId: verdict.telegramId,
        ...verdict.identity,
      }));
    const periods: ImportPeriod[] = plan.periods
      .filter((period) => period.panelId === panelId)
      .map((period) => ({
        telegramId: period.telegramId,
        end:
          period.access.kind === 'delayed-start'
            ? { afterMs: period.access.durationMs }
            : { at: period.access.until },
        planId: period.planCode === null ? null : (report.planCodes.get(period.planCode)?.id ?? null),
      }));
    if (keys.length === 0 && periods.length === 0) {
      results.push({ kind: 'nothing-to-adopt', panelId });
      continue;
    }
    const outcome = await applyAdoption(pool, { fingerprint, panelId, panelFingerprint, keys, periods });
    results.push({ ...outcome, panelId });
  }
  return { kind: 'applied', panels: results };
}
