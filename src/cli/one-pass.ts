/** One reconcile pass outside the daemon, for `plan` (dry run) and `reconcile --once`. */
import { controllerOptions, createXuiPanelClients } from '../app/index.ts';
import { secretBoxFrom, type Pool } from '../db/index.ts';
import { describeAction, fingerprintHeld, needsHumanReason, type PanelPlan } from '../domain/index.ts';
import { createController, everyPanelOwned, type PassReport } from '../reconciler/index.ts';
import { createLoginGuard, createPostgresStore, startAdvisoryLeadership } from '../store/index.ts';
import type { CommandContext } from './command.ts';
import { formatTable } from './pool.ts';

/**
 * Runs one pass over every enabled panel; `dryRun` plans only. A pass that writes takes the panels'
 * advisory locks like a daemon replica (issue 11): a panel a running daemon owns is left to it, so
 * the daemon and `reconcile --once` never both write, or both record, one change.
 */
export async function runOnePass(context: CommandContext, pool: Pool, dryRun: boolean): Promise<PassReport> {
  const { config } = context;
  const locks =
    dryRun || config.databaseUrl === undefined
      ? undefined
      : startAdvisoryLeadership({
          connectionString: config.databaseUrl,
          leaseTimeoutMs: config.leaseTimeoutMs,
          logger: context.logger.child({ component: 'reconciler', part: 'leadership' }),
          replicaId: `cli-${String(process.pid)}`,
        });
  await locks?.beat();
  const leadership = locks ?? everyPanelOwned;
  const controller = createController(
    controllerOptions(config, {
      store: createPostgresStore(pool, config.graceMs, secretBoxFrom(config), config.valveWindowMs),
      // The login guard shares failed logins with the daemon and other runs (no lockout by repetition).
      panelClients: createXuiPanelClients(config, context.logger, {}, createLoginGuard(pool)),
      leadership,
      workers: 1,
      logger: context.logger.child({ component: 'reconciler' }),
    }),
  );
  try {
    return await controller.reconcile('all', 'manual', { dryRun, signal: context.signal });
  } finally {
    await controller.close();
    await locks?.close();
  }
}

/** The JSON form of a pass report (stable field names, for scripts). */
export function reportJson(report: PassReport): unknown {
  const names = new Map(report.panels.map((panel) => [panel.panelId, panel.name]));
  const results = new Map(
    report.results.map((result) => [`${result.action.keyId}:${result.action.kind}`, result]),
  );
  return {
    planId: report.planId,
    now: report.now.toISOString(),
    nextBoundaryAt: report.nextBoundaryAt?.toISOString() ?? null,
    outcome: report.outcome,
    // Panels a running daemon owns: left to it (a pass that writes takes the panel locks).
    notOwned: report.notOwned.map((panelId) => names.get(panelId) ?? panelId),
    panels: report.plans.map((plan: PanelPlan) =>
      plan.kind === 'unknown'
        ? {
            panel: names.get(plan.panelId) ?? plan.panelId,
            panelId: plan.panelId,
            status: 'unknown',
            cause: plan.cause,
          }
        : {
            panel: names.get(plan.panelId) ?? plan.panelId,
            panelId: plan.panelId,
            status: 'read',
            keys: plan.diff.keys.length,
            enabledOnPanel: plan.diff.enabledCount,
            orphans: plan.diff.orphans,
            drift: plan.diff.keys
              .filter((entry) => entry.drift.length > 0)
              .map((entry) => ({
                keyId: entry.desired.key.keyId,
                email: entry.desired.key.email,
                drift: entry.drift,
              })),
            actions: plan.actions.map((action) => ({
              keyId: action.keyId,
              email: action.email,
              action: action.kind,
              reason: action.reason,
              fields: action.fields,
              outcome: results.get(`${action.keyId}:${action.kind}`)?.outcome ?? 'planned',
              error: results.get(`${action.keyId}:${action.kind}`)?.error ?? null,
            })),
            held: plan.held.map((entry) => ({
              keyId: entry.action.keyId,
              email: entry.action.email,
              action: entry.action.kind,
              reason: entry.action.reason,
              cause: entry.cause,
            })),
            heldFingerprint: plan.held.length > 0 ? fingerprintHeld(plan.held) : null,
            needsHuman: plan.diff.keys.flatMap((entry) => {
              const reason = needsHumanReason(entry.drift, entry.desired.key.inboundId);
              return reason === null
                ? []
                : [{ keyId: entry.desired.key.keyId, email: entry.desired.key.email, reason }];
            }),
          },
    ),
  };
}

/** The human form: one section per panel with a table of actions and held actions. */
export function reportText(report: PassReport): string {
  const names = new Map(report.panels.map((panel) => [panel.panelId, panel.name]));
  const results = new Map(
    report.results.map((result) => [`${result.action.keyId}:${result.action.kind}`, result]),
  );
  const sections: string[] = [`plan ${report.planId} at ${report.now.toISOString()} (DB clock)`];
  for (const panelId of report.notOwned) {
    sections.push(
      `\npanel ${names.get(panelId) ?? panelId}: owned by a running keywarden replica — left to it, nothing done here`,
    );
  }
  for (const plan of report.plans) {
    const name = names.get(plan.panelId) ?? plan.panelId;
    if (plan.kind === 'unknown') {
      sections.push(`\npanel ${name}: UNKNOWN (${plan.cause}) — nothing will be done to it`);
      continue;
    }
    const driftCount = plan.diff.keys.filter((entry) => entry.drift.length > 0).length;
    sections.push(
      `\npanel ${name}: ${String(plan.diff.keys.length)} keys, ${String(driftCount)} drifted, ${String(plan.diff.orphans.length)} orphan clients`,
    );
    const rows = [
      ...plan.actions.map((action) => [
        action.kind,
        action.email,
        action.reason,
        results.get(`${action.keyId}:${action.kind}`)?.outcome ?? 'planned',
        describeAction(action),
      ]),
      ...plan.held.map((entry) => [
        entry.action.kind,
        entry.action.email,
        entry.action.reason,
        `HELD (${entry.cause})`,
        '',
      ]),
    ];
    const needsHuman = plan.diff.keys.flatMap((entry) => {
      const reason = needsHumanReason(entry.drift, entry.desired.key.inboundId);
      return reason === null ? [] : [[entry.desired.key.email, reason]];
    });
    sections.push(
      rows.length === 0 && needsHuman.length === 0
        ? '  in sync'
        : rows.length === 0
          ? '  no changes'
          : formatTable(['action', 'client', 'reason', 'status', 'what'], rows),
    );
    if (needsHuman.length > 0) {
      sections.push(
        `  NEEDS A HUMAN (${String(needsHuman.length)} keys keywarden will not or cannot fix):`,
        formatTable(['client', 'why'], needsHuman),
      );
    }
    if (plan.held.length > 0) {
      sections.push(
        `  held plan fingerprint: ${fingerprintHeld(plan.held)} (confirm it to let these disables through)`,
      );
    }
    if (plan.diff.orphans.length > 0) {
      sections.push(`  orphans (never deleted): ${plan.diff.orphans.join(', ')}`);
    }
  }
  return sections.join('\n');
}
