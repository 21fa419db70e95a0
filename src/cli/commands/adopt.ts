import {
  describeFirstPass,
  describeOwnerSource,
  firstPassKey,
  type AdoptionVerdict,
  type FirstPassOutcome,
} from '../../adoption/index.ts';
import { applyAdoptionReport, PanelUnreadableError, type AdoptionReport } from '../../app/index.ts';
import type { Pool } from '../../db/index.ts';
import { buildAdoptionReport, type CliAdoptionReport } from '../adopt-inputs.ts';
import { booleanFlag, requiredFlag, UsageError, type CommandContext, type Command } from '../command.ts';
import { formatTable, println, withPool } from '../pool.ts';

const FLAGS = {
  panel: { type: 'string' },
  all: { type: 'boolean' },
  csv: { type: 'string' },
  match: { type: 'string', multiple: true },
  plan: { type: 'string' },
  fingerprint: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/**
 * `keywarden adopt plan|apply`: take over the clients already on a panel (docs/migrating.md). `plan`
 * shows, per client, adopt as user X until T / ambiguous / unmatched / already managed / skipped, what
 * the reconciler's first pass would then do, totals and the plan's fingerprint. `apply` writes exactly
 * that plan (same inputs, same fingerprint), one transaction per panel, and never calls a panel write.
 */
export const adoptCommand: Command = {
  name: 'adopt',
  summary:
    'take over the clients already on a panel: `adopt plan --panel NAME|--all [--csv FILE] [--match SRC]...`, then `adopt apply ... --fingerprint FP`',
  usage:
    'plan|apply (--panel NAME | --all) [--csv FILE] [--match tgid|csv|subid|email:REGEX|subid:REGEX]... [--plan CODE] [--fingerprint FP] [--json]',
  flags: FLAGS,
  positionals: { min: 1, max: 1 },
  run: async (context) => {
    const sub = context.positionals[0];
    if (sub !== 'plan' && sub !== 'apply') {
      throw new UsageError(`unknown subcommand ${JSON.stringify(sub)}: use plan or apply`);
    }
    const fingerprint = sub === 'apply' ? requiredFlag(context, 'fingerprint') : undefined;
    if (fingerprint !== undefined && !/^[0-9a-f]{16}$/.test(fingerprint)) {
      throw new UsageError('--fingerprint must be the 16 hex digits `adopt plan` printed');
    }
    return withPool(context, async (pool) => {
      let report: CliAdoptionReport;
      try {
        report = await buildAdoptionReport(context, pool);
      } catch (error) {
        if (error instanceof PanelUnreadableError) {
          context.stderr.write(`keywarden adopt: ${error.message}\n`);
          return 1;
        }
        throw error;
      }
      if (fingerprint === undefined) {
        println(
          context,
          booleanFlag(context, 'json')
            ? JSON.stringify(planJson(report), null, 2)
            : planText(report, applyCommandLine(context, report.plan.fingerprint)),
        );
        return 0;
      }
      return apply(context, pool, report, fingerprint);
    });
  },
};

async function apply(
  context: CommandContext,
  pool: Pool,
  report: AdoptionReport,
  fingerprint: string,
): Promise<number> {
  const outcome = await applyAdoptionReport(pool, report, fingerprint);
  if (outcome.kind === 'fingerprint-mismatch') {
    context.stderr.write(
      `keywarden adopt: the plan is not the one with fingerprint ${fingerprint} (it is ${outcome.current} now: a panel, the CSV, --match or the database changed). Nothing was written; run \`adopt plan\` again and check it.\n`,
    );
    return 1;
  }
  const lines: string[] = [];
  for (const result of outcome.panels) {
    const name = report.panelNames.get(result.panelId) ?? result.panelId;
    switch (result.kind) {
      case 'applied':
        lines.push(
          `panel ${name}: adopted ${String(result.keysCreated)} clients as keys, ${String(result.usersCreated)} new users, ${String(result.periodsCreated)} import periods (adoption ${result.adoptionId})`,
        );
        break;
      case 'already-applied':
        lines.push(`panel ${name}: already applied at ${result.appliedAt.toISOString()}, nothing to do`);
        break;
      case 'nothing-to-adopt':
        lines.push(`panel ${name}: nothing to adopt`);
        break;
      case 'conflict':
        lines.push(
          `panel ${name}: NOT applied: a key for ${result.email} appeared since the plan; run \`adopt plan\` again`,
        );
        break;
    }
  }
  if (booleanFlag(context, 'json')) {
    println(
      context,
      JSON.stringify(
        {
          fingerprint,
          panels: outcome.panels.map((result) => ({
            ...result,
            panel: report.panelNames.get(result.panelId) ?? result.panelId,
            ...(result.kind === 'already-applied' ? { appliedAt: result.appliedAt.toISOString() } : {}),
          })),
        },
        null,
        2,
      ),
    );
  } else {
    lines.push(
      '',
      'Nothing was changed on the panels. The reconciler takes these keys over on its next pass;',
      '`keywarden plan` shows that pass (adopted clients whose access ended are disabled only through',
      'the safety valve: confirm the held plan when you agree).',
    );
    println(context, lines.join('\n'));
  }
  return outcome.panels.some((result) => result.kind === 'conflict') ? 1 : 0;
}

function applyCommandLine(context: CommandContext, fingerprint: string): string {
  const quote = (value: string): string =>
    /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
  const parts = ['keywarden adopt apply'];
  const panel = context.flags['panel'];
  parts.push(typeof panel === 'string' ? `--panel ${quote(panel)}` : '--all');
  const csv = context.flags['csv'];
  if (typeof csv === 'string') {
    parts.push(`--csv ${quote(csv)}`);
  }
  const match = context.flags['match'];
  for (const value of Array.isArray(match) ? match : []) {
    if (typeof value === 'string') {
      parts.push(`--match ${quote(value)}`);
    }
  }
  const planCode = context.flags['plan'];
  if (typeof planCode === 'string') {
    parts.push(`--plan ${quote(planCode)}`);
  }
  parts.push(`--fingerprint ${fingerprint}`);
  return parts.join(' ');
}

function accessText(verdict: AdoptionVerdict, now: Date): string {
  if (verdict.kind !== 'adopt') {
    return '';
  }
  const { access } = verdict;
  switch (access.kind) {
    case 'none':
      return 'none';
    case 'delayed-start':
      return `${access.until.toISOString()} (delayed start, ${String(Math.round(access.durationMs / 86_400_000))}d from adoption)`;
    case 'until':
      return `${access.until.toISOString()} (${access.from}${access.until.getTime() <= now.getTime() ? ', ENDED' : ''})`;
  }
}

function noteText(verdict: AdoptionVerdict): string {
  switch (verdict.kind) {
    case 'adopt':
      return verdict.disagreements
        .map((claim) => `${claim.source} says ${String(claim.telegramId)}`)
        .join('; ');
    case 'ambiguous':
      return `claimed by ${verdict.claims.map((claim) => String(claim.telegramId)).join(' and ')}`;
    case 'managed':
      return `key ${verdict.keyId}`;
    case 'skipped':
      return verdict.reason;
    case 'unmatched':
      return 'stays an orphan';
  }
}

function firstPassTotals(report: AdoptionReport): Record<string, number> {
  const totals: Record<string, number> = {
    unchanged: 0,
    updated: 0,
    enabled: 0,
    created: 0,
    disabled: 0,
    held: 0,
  };
  for (const outcome of report.firstPass.values()) {
    const label = firstPassLabel(outcome);
    totals[label] = (totals[label] ?? 0) + 1;
  }
  return totals;
}

function firstPassLabel(outcome: FirstPassOutcome): string {
  switch (outcome.kind) {
    case 'unchanged':
      return 'unchanged';
    case 'held':
      return 'held';
    case 'unknown':
      return 'unknown';
    case 'action':
      return { create: 'created', enable: 'enabled', disable: 'disabled', update: 'updated' }[outcome.action];
  }
}

/** The plan as JSON (stable field names, for scripts). */
export function planJson(report: CliAdoptionReport): unknown {
  const { plan } = report;
  return {
    now: plan.now.toISOString(),
    fingerprint: plan.fingerprint,
    sources: report.sources.map(describeOwnerSource),
    csv: report.csvFile,
    panels: [...plan.panelFingerprints].map(([panelId, fingerprint]) => ({
      panel: report.panelNames.get(panelId) ?? panelId,
      panelId,
      fingerprint,
    })),
    clients: plan.verdicts.map((verdict) => {
      const firstPass = report.firstPass.get(firstPassKey(verdict.panelId, verdict.email));
      const base = {
        panel: verdict.panelName,
        email: verdict.email,
        inboundId: verdict.inboundId,
        protocol: verdict.protocol,
        served: verdict.isServed,
        usedBytes: verdict.usedBytes,
        verdict: verdict.kind,
      };
      switch (verdict.kind) {
        case 'adopt':
          return {
            ...base,
            telegramId: verdict.telegramId,
            matchedBy: verdict.matchedBy,
            access:
              verdict.access.kind === 'none'
                ? null
                : {
                    until: verdict.access.until.toISOString(),
                    from: verdict.access.kind === 'delayed-start' ? 'delayed-start' : verdict.access.from,
                  },
            plan: verdict.planCode,
            subId: verdict.identity.subId,
            disagreements: verdict.disagreements,
            firstPass: firstPass === undefined ? null : { ...firstPass, label: describeFirstPass(firstPass) },
          };
        case 'ambiguous':
          return { ...base, matchedBy: verdict.matchedBy, claims: verdict.claims };
        case 'managed':
          return { ...base, keyId: verdict.keyId };
        case 'skipped':
          return { ...base, reason: verdict.reason };
        case 'unmatched':
          return base;
      }
    }),
    totals: { ...plan.totals, firstPass: firstPassTotals(report) },
    csvUnused: plan.csvUnused.map((claim) => ({
      line: claim.line,
      email: claim.email,
      telegramId: claim.telegramId,
    })),
  };
}

/** The plan for a person: a table per panel, totals, the fingerprint and the apply command. */
export function planText(report: AdoptionReport, applyLine: string): string {
  const { plan } = report;
  const sections: string[] = [
    `adoption plan at ${plan.now.toISOString()} (DB clock); owners from: ${report.sources.map(describeOwnerSource).join(' > ')}`,
  ];
  for (const [panelId] of plan.panelFingerprints) {
    const verdicts = plan.verdicts.filter((verdict) => verdict.panelId === panelId);
    sections.push(`\npanel ${report.panelNames.get(panelId) ?? panelId}: ${String(verdicts.length)} clients`);
    if (verdicts.length === 0) {
      continue;
    }
    sections.push(
      formatTable(
        ['client', 'inbound', 'verdict', 'owner', 'by', 'access until', 'first pass after apply', 'note'],
        verdicts.map((verdict) => [
          verdict.email,
          String(verdict.inboundId),
          verdict.kind,
          verdict.kind === 'adopt' ? String(verdict.telegramId) : '',
          verdict.kind === 'adopt' || verdict.kind === 'ambiguous' ? verdict.matchedBy : '',
          accessText(verdict, plan.now),
          verdict.kind === 'adopt'
            ? describeFirstPass(report.firstPass.get(firstPassKey(verdict.panelId, verdict.email)))
            : '',
          noteText(verdict),
        ]),
      ),
    );
  }
  const t = plan.totals;
  const f = firstPassTotals(report);
  sections.push(
    '',
    `totals: ${String(t.clients)} clients: adopt ${String(t.byKind.adopt)} (${String(t.users)} users; ${String(t.paid)} paid, ${String(t.ended)} ended, ${String(t.noAccess)} without access), ambiguous ${String(t.byKind.ambiguous)}, unmatched ${String(t.byKind.unmatched)}, already managed ${String(t.byKind.managed)}, skipped ${String(t.byKind.skipped)}`,
    `first pass after apply: ${String(f['unchanged'] ?? 0)} unchanged, ${String(f['updated'] ?? 0)} updated, ${String(f['enabled'] ?? 0)} enabled, ${String(f['disabled'] ?? 0)} disabled, ${String(f['held'] ?? 0)} disables held by the safety valve`,
  );
  if (t.disagreements > 0) {
    sections.push(
      `disagreements: ${String(t.disagreements)} adopted clients are claimed by someone else through a later source (see note)`,
    );
  }
  if (plan.csvUnused.length > 0) {
    const shown = plan.csvUnused.slice(0, 20).map((claim) => String(claim.line));
    sections.push(
      `csv: ${String(plan.csvUnused.length)} lines name no client on these panels (lines ${shown.join(', ')}${plan.csvUnused.length > 20 ? ', ...' : ''})`,
    );
  }
  sections.push(
    '',
    'Nothing has been written. Ambiguous, unmatched and skipped clients stay on the panels untouched.',
    `fingerprint: ${plan.fingerprint}`,
    t.byKind.adopt === 0 ? 'nothing to adopt' : `apply with: ${applyLine}`,
  );
  return sections.join('\n');
}
