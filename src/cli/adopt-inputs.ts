/**
 * What `keywarden adopt` takes from its command line: the panels in scope, the owner sources in
 * order (`--match`), the old bot's CSV and the plan codes it names, validated with one-line errors;
 * then src/app/adopt-shop.ts reads the panels and plans.
 */
import { readFile } from 'node:fs/promises';
import { readAdoption, type AdoptionPlanCode, type AdoptionReport } from '../app/index.ts';
import {
  defaultOwnerSources,
  formatCsvProblems,
  parseAdoptionCsv,
  parseOwnerSource,
  type CsvClaim,
  type OwnerSource,
} from '../adoption/index.ts';
import type { Pool } from '../db/index.ts';
import { asPanelId, asPlanId, type PanelId } from '../domain/index.ts';
import { toError } from '../shared/index.ts';
import { booleanFlag, stringFlag, UsageError, type CommandContext } from './command.ts';

/** The adoption report with the CSV file it was made from. */
export type CliAdoptionReport = AdoptionReport & { readonly csvFile: string | null };

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
  const enabled = rows.filter((row) => row.is_enabled).map((row) => asPanelId(row.id));
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

/**
 * Reads the flags, the CSV and the panels in scope, and plans the adoption. Throws a UsageError for
 * bad input (flags, CSV, plan codes) and PanelUnreadableError when a panel fails.
 */
export async function buildAdoptionReport(context: CommandContext, pool: Pool): Promise<CliAdoptionReport> {
  const csvFile = stringFlag(context, 'csv') ?? null;
  const sources = ownerSourcesOf(context, csvFile !== null);
  const csv = csvFile === null ? [] : await readCsv(csvFile);
  const defaultPlanCode = stringFlag(context, 'plan') ?? null;
  const planCodes = await resolvePlanCodes(pool, csv, defaultPlanCode);
  const panelIds = await panelsInScope(context, pool);
  const report = await readAdoption({
    pool,
    config: context.config,
    logger: context.logger,
    signal: context.signal,
    panelIds,
    sources,
    csv,
    defaultPlanCode,
    planCodes,
  });
  return { ...report, csvFile };
}
