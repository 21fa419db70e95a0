/**
 * What `keywarden adopt` reads before planning: the panels in scope (read once, completely; an
 * unreadable panel stops the command, never a partial plan), the keys keywarden already has there,
 * the old bot's CSV, the plan codes it names, and the owners keywarden already knows. Then the pure
 * planner (src/adoption) decides, and the reconciler's own pure pass predicts the first pass.
 */
import { readFile } from 'node:fs/promises';
import {
  defaultOwnerSources,
  formatCsvProblems,
  parseAdoptionCsv,
  parseOwnerSource,
  planAdoption,
  predictFirstPass,
  type AdoptionPanel,
  type AdoptionPlan,
  type CsvClaim,
  type ExistingUser,
  type FirstPassOutcome,
  type ManagedKey,
  type OwnerSource,
} from '../adoption/index.ts';
import { createXuiPanelClients } from '../daemon.ts';
import type { Pool } from '../db/index.ts';
import { asKeyId, asPlanId, asUserId, type PanelId, type PanelRead, type PlanId } from '../domain/index.ts';
import { toError } from '../shared/index.ts';
import { readSnapshot } from '../sources/index.ts';
import { booleanFlag, stringFlag, UsageError, type CommandContext } from './command.ts';

/** A plan code the adoption names, resolved. */
export interface AdoptionPlanCode {
  readonly id: PlanId;
  readonly quotaBytes: number | null;
}

/** Everything `adopt plan` shows and `adopt apply` writes. */
export interface AdoptionReport {
  readonly plan: AdoptionPlan;
  readonly firstPass: ReadonlyMap<string, FirstPassOutcome>;
  readonly panelNames: ReadonlyMap<PanelId, string>;
  readonly planCodes: ReadonlyMap<string, AdoptionPlanCode>;
  readonly sources: ReadonlyArray<OwnerSource>;
  readonly csvFile: string | null;
}

/** Thrown when a panel cannot be read: the adoption is not planned on partial data. */
export class PanelUnreadableError extends Error {
  constructor(panel: string, cause: unknown) {
    super(`panel ${panel} could not be read (${toError(cause).message}): nothing planned`, { cause });
    this.name = 'PanelUnreadableError';
  }
}

function matchFlags(context: CommandContext): string[] {
  const value = context.flags['match'];
  if (value === undefined) {
    return [];
  }
  const list = Array.isArray(value) ? value : [value];
  return list.filter((item): item is string => typeof item === 'string');
}

/** Parses `--match` (repeatable, in order) against whether a CSV was given. */
export function ownerSourcesOf(context: CommandContext, hasCsv: boolean): ReadonlyArray<OwnerSource> {
  const specs = matchFlags(context).flatMap((value) =>
    value.startsWith('email:') || value.startsWith('subid:') ? [value] : value.split(','),
  );
  if (specs.length === 0) {
    return defaultOwnerSources(hasCsv);
  }
  const sources = specs.map((spec) => {
    const parsed = parseOwnerSource(spec.trim());
    if (!parsed.ok) {
      throw new UsageError(parsed.error);
    }
    return parsed.value;
  });
  const listsCsv = sources.some((source) => source.kind === 'csv');
  if (listsCsv && !hasCsv) {
    throw new UsageError('--match csv needs --csv FILE');
  }
  if (hasCsv && !listsCsv) {
    throw new UsageError(
      '--csv is given but --match does not list csv (add it where it belongs in the order)',
    );
  }
  return sources;
}

async function readCsv(file: string): Promise<ReadonlyArray<CsvClaim>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--csv ${file}: cannot read the file (${toError(error).message})`);
  }
  const parsed = parseAdoptionCsv(text);
  if (!parsed.ok) {
    throw new UsageError(`the CSV has problems, nothing planned:\n${formatCsvProblems(file, parsed.error)}`);
  }
  return parsed.value;
}

async function panelsInScope(context: CommandContext, pool: Pool): Promise<PanelId[]> {
  const name = stringFlag(context, 'panel');
  const all = booleanFlag(context, 'all');
  if ((name === undefined) === !all) {
    throw new UsageError('give --panel NAME or --all');
  }
  const { rows } = await pool.query<{ id: string; name: string; is_enabled: boolean }>(
    'select id::text, name, is_enabled from panels where ($1::text is null or name = $1) order by id',
    [name ?? null],
  );
  if (name !== undefined) {
    const row = rows[0];
    if (row === undefined) {
      throw new UsageError(`no panel named ${JSON.stringify(name)}`);
    }
    if (!row.is_enabled) {
      throw new UsageError(`panel ${name} is disabled; enable it before adopting its clients`);
    }
  }
  const enabled = rows.filter((row) => row.is_enabled).map((row) => row.id as PanelId);
  if (enabled.length === 0) {
    throw new UsageError('no enabled panels');
  }
  return enabled;
}

async function resolvePlanCodes(
  pool: Pool,
  csv: ReadonlyArray<CsvClaim>,
  defaultCode: string | null,
): Promise<Map<string, AdoptionPlanCode>> {
  const codes = [
    ...new Set([
      ...csv.flatMap((claim) => (claim.planCode === null ? [] : [claim.planCode])),
      ...(defaultCode === null ? [] : [defaultCode]),
    ]),
  ];
  const { rows } = await pool.query<{ id: string; code: string; traffic_limit_bytes: string | null }>(
    'select id::text, code, traffic_limit_bytes::text from plans where code = any($1::text[])',
    [codes],
  );
  const found = new Map(
    rows.map((row) => [
      row.code,
      {
        id: asPlanId(row.id),
        quotaBytes: row.traffic_limit_bytes === null ? null : Number(row.traffic_limit_bytes),
      },
    ]),
  );
  const problems = [
    ...(defaultCode !== null && !found.has(defaultCode)
      ? [`--plan: no plan with code ${JSON.stringify(defaultCode)}`]
      : []),
    ...csv
      .filter((claim) => claim.planCode !== null && !found.has(claim.planCode))
      .map((claim) => `line ${String(claim.line)}: no plan with code ${JSON.stringify(claim.planCode)}`),
  ];
  if (problems.length > 0) {
    throw new UsageError(`unknown plan codes, nothing planned:\n${problems.slice(0, 50).join('\n')}`);
  }
  return found;
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

/**
 * Reads everything in scope and plans the adoption, with the first pass predicted. Throws a
 * UsageError for bad input (flags, CSV, plan codes) and PanelUnreadableError when a panel fails.
 */
export async function buildAdoptionReport(context: CommandContext, pool: Pool): Promise<AdoptionReport> {
  const { config } = context;
  const csvFile = stringFlag(context, 'csv') ?? null;
  const sources = ownerSourcesOf(context, csvFile !== null);
  const csv = csvFile === null ? [] : await readCsv(csvFile);
  const defaultPlanCode = stringFlag(context, 'plan') ?? null;
  const planCodes = await resolvePlanCodes(pool, csv, defaultPlanCode);
  const panelIds = await panelsInScope(context, pool);
  const { snapshot, connections } = await readSnapshot(pool, panelIds, config.graceMs);
  const factory = createXuiPanelClients(config, context.logger.child({ component: 'xui' }), {});
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
      const observation = await client.observe(context.signal);
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
    policy: {
      expiryMarginMs: config.expiryMarginMs,
      valveMin: config.valveMin,
      valvePercent: config.valvePercent,
    },
    graceMs: config.graceMs,
  });
  return {
    plan,
    firstPass,
    panelNames: new Map(snapshot.panels.map((panel) => [panel.panelId, panel.name])),
    planCodes,
    sources,
    csvFile,
  };
}
