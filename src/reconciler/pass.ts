/**
 * One pass (DESIGN.md §5): snapshot (DB, one transaction) ─► read each owned panel (in parallel) ─►
 * planPass (pure: desired, diff, plan, valve) ─► apply per panel ─► record ─► events and report.
 * Non-dry passes over the same panels are mutually exclusive (pass locks).
 */
import { randomUUID } from 'node:crypto';
import {
  planPass,
  recordPanelPass,
  summarisePanel,
  type ActionResult,
  type PanelId,
  type PanelObservation,
  type PanelPlan,
  type PanelRead,
  type PanelRecord,
  type ReconcilePolicy,
  type Snapshot,
  type UserId,
} from '../domain/index.ts';
import { toError, type Logger } from '../shared/index.ts';
import type { ApplyPanel } from './apply.ts';
import type { ReconcilerEvents, RunOutcome, Trigger } from './events.ts';
import type { Leadership } from './leadership.ts';
import type { ReadClients, ReadPanel } from './panel-read.ts';
import { createPassLocks } from './pass-locks.ts';
import type { PanelClient, PanelConnection } from './ports.ts';
import type { ReconcileStore } from './store.ts';

/**
 * What a pass covers: every enabled panel (a full pass), one panel (a panel pass), or the keys of some
 * users on one panel (a targeted pass: it reads only those keys and their clients).
 */
export type Scope = 'all' | PanelId | UsersScope;

/** A targeted pass: the keys of `userIds` on `panelId`. */
export interface UsersScope {
  readonly panelId: PanelId;
  readonly userIds: ReadonlyArray<UserId>;
  /**
   * Every user of the batch came from the expiry timer, which reads all the users whose access
   * changes at a boundary at once: the batch holds every disable of that instant, so the valve may
   * judge its disables as a batch. Otherwise (notifications: refunds, cancellations, bans, which
   * arrive one at a time even when one transaction made them all) any disable goes to a panel pass,
   * which sees every pending disable of the panel. Default false.
   */
  readonly isBoundary?: boolean;
}

/** What one pass saw, planned and did. */
export interface PassReport {
  readonly planId: string;
  readonly trigger: Trigger;
  /** DB clock at the snapshot. */
  readonly now: Date;
  /** Wall-clock ms just after `now` was read (maps DB time to wall time: the expiry timer). */
  readonly clockReadAtMs: number;
  readonly nextBoundaryAt: Date | null;
  readonly panels: ReadonlyArray<PanelRecord>;
  readonly plans: ReadonlyArray<PanelPlan>;
  readonly results: ReadonlyArray<ActionResult>;
  /** Panels in scope this replica does not own (not read, not written). */
  readonly notOwned: ReadonlyArray<PanelId>;
  readonly outcome: RunOutcome;
  readonly scope: Scope;
  /**
   * A targeted pass that handed its panel to a panel pass instead of acting: the safety valve held
   * some of its disables (only a panel pass records a held plan), or a timed-out write means the
   * panel must be read whole.
   */
  readonly escalated: boolean;
}

/** What a pass needs: the controller's settings and its composed parts. */
export interface PassOptions {
  readonly store: ReconcileStore;
  readonly leadership: Leadership;
  readonly policy: ReconcilePolicy;
  /** `observe` plans and records but never writes to a panel. */
  readonly mode: 'enforce' | 'observe';
  readonly logger: Logger;
  readonly events: ReconcilerEvents;
  /** Called after every pass that read the DB (the expiry timer re-arms from it). */
  readonly onPass?: ((report: PassReport) => void) | undefined;
  readonly clientFor: (connection: PanelConnection) => PanelClient;
  readonly readPanel: ReadPanel;
  readonly readClients: ReadClients;
  readonly applyPanel: ApplyPanel;
  /** After every successful read of a panel (the write quarantine settles on it). */
  readonly onPanelObserved?: (panelId: PanelId, observation: PanelObservation) => void;
  /**
   * True while the panel must be read whole (a timed-out write may still land: write-quarantine.ts);
   * a targeted pass on it is handed to a panel pass.
   */
  readonly mustReadWholePanel?: (panelId: PanelId) => boolean;
}

/**
 * Whether a targeted plan must go to a panel pass: the safety valve held some of its disables (a
 * hold is recorded as a held plan for an admin only by a panel pass, which sees every pending
 * disable of the panel), or it would disable something and its batch is not a boundary's (see
 * `UsersScope.isBoundary`: a mass cancellation made by one transaction reaches us as many
 * notifications, and only a panel pass sees it whole). A boundary batch's disables were judged
 * against its whole panel and the sliding window, and are applied by the targeted pass itself.
 */
function needsPanelPass(plan: PanelPlan, scope: UsersScope): boolean {
  return (
    plan.kind === 'planned' &&
    (plan.held.length > 0 ||
      (scope.isBoundary !== true && plan.actions.some((action) => action.kind === 'disable')))
  );
}

/** Runs one pass over `scope`. `dryRun` reads and plans only: no writes anywhere. */
export type RunPass = (
  scope: Scope,
  trigger: Trigger,
  passOptions: { readonly dryRun: boolean; readonly signal: AbortSignal },
) => Promise<PassReport>;

/** Creates the pass runner (with its own pass locks). */
export function createPass(options: PassOptions): RunPass {
  const { clientFor, readPanel, readClients, applyPanel } = options;
  const log = options.logger;
  const events = options.events;
  const passLocks = createPassLocks<PanelId>();

  function reportLags(snapshot: Snapshot, results: ReadonlyArray<ActionResult>, dbNowMs: number): void {
    const keys = new Map(snapshot.keys.map((key) => [key.keyId, key]));
    for (const result of results) {
      const key = keys.get(result.action.keyId);
      if (result.outcome !== 'applied' || key === undefined) {
        continue;
      }
      if (
        result.action.kind === 'disable' &&
        result.action.reason === 'expired' &&
        key.lastEndedAtMs !== null
      ) {
        events.expiryLag?.({ seconds: Math.max(0, (dbNowMs - key.lastEndedAtMs) / 1000) });
      }
      if (
        (result.action.kind === 'enable' || result.action.kind === 'create') &&
        key.entitledSinceMs !== null
      ) {
        events.activationLag?.({ seconds: Math.max(0, (dbNowMs - key.entitledSinceMs) / 1000) });
      }
    }
  }

  function reconcile(
    scope: Scope,
    trigger: Trigger,
    passOptions: { readonly dryRun: boolean; readonly signal: AbortSignal },
  ): Promise<PassReport> {
    // A dry run writes nothing, so it needs no exclusion.
    const lock = typeof scope === 'object' ? scope.panelId : scope;
    return passOptions.dryRun
      ? reconcileUnlocked(scope, trigger, passOptions)
      : passLocks.run(lock, () => reconcileUnlocked(scope, trigger, passOptions));
  }

  async function reconcileUnlocked(
    scope: Scope,
    trigger: Trigger,
    passOptions: { readonly dryRun: boolean; readonly signal: AbortSignal },
  ): Promise<PassReport> {
    const started = performance.now();
    const planId = randomUUID();
    const { signal, dryRun } = passOptions;
    try {
      const targeted = typeof scope === 'object' ? scope : undefined;
      const read =
        targeted === undefined
          ? await options.store.readSnapshot(scope === 'all' ? undefined : [scope as PanelId])
          : await options.store.readSnapshot([targeted.panelId], targeted.userIds);
      const { snapshot, connections } = read;
      const snapshotMs = performance.now() - started;
      // DB time now: the snapshot's clock plus the wall time since it was read (not since the whole
      // snapshot was read, which can take a good part of a second).
      const dbNowMs = (): number => snapshot.now.getTime() + (Date.now() - read.clockReadAtMs);
      const owned = snapshot.panels.filter((panel) => dryRun || options.leadership.isOwned(panel.panelId));
      const notOwned = snapshot.panels
        .filter((panel) => !owned.includes(panel))
        .map((panel) => panel.panelId);
      const reads = new Map<PanelId, PanelRead>();
      const panelClients = new Map<PanelId, PanelClient>();
      await Promise.all(
        owned.map(async (panel) => {
          const connection = connections.get(panel.panelId);
          if (connection === undefined) {
            reads.set(panel.panelId, { kind: 'unknown', cause: 'no connection details' });
            return;
          }
          const client = clientFor(connection);
          panelClients.set(panel.panelId, client);
          const panelRead =
            targeted === undefined
              ? await readPanel(panel, client, signal)
              : await readClients(
                  panel,
                  client,
                  snapshot.keys.map((key) => key.email),
                  read.storedInbounds?.get(panel.panelId),
                  connection.apiGeneration,
                  signal,
                );
          if (targeted === undefined && panelRead.kind === 'observed') {
            options.onPanelObserved?.(panel.panelId, panelRead.observation);
          }
          reads.set(panel.panelId, panelRead);
        }),
      );
      const observedMs = performance.now() - started;
      const plans = planPass(
        snapshot,
        owned.map((panel) => panel.panelId),
        reads,
        options.policy,
        snapshot.confirmedHolds,
      );
      const panelsById = new Map(snapshot.panels.map((panel) => [panel.panelId, panel]));
      if (
        targeted !== undefined &&
        (plans.some((plan) => needsPanelPass(plan, targeted)) ||
          options.mustReadWholePanel?.(targeted.panelId) === true)
      ) {
        log.debug(
          { reconcileId: planId, panelId: targeted.panelId, users: targeted.userIds.length },
          'handed to a panel pass',
        );
        return {
          planId,
          trigger,
          now: snapshot.now,
          clockReadAtMs: read.clockReadAtMs,
          nextBoundaryAt: snapshot.nextBoundaryAt,
          panels: snapshot.panels,
          plans,
          results: [],
          notOwned,
          outcome: 'ok',
          scope,
          escalated: true,
        };
      }
      const telegramIds = new Map(snapshot.keys.map((key) => [key.keyId, key.telegramId]));
      const results: ActionResult[] = [];
      const resultsByPanel = new Map<PanelId, ReadonlyArray<ActionResult>>();
      const recordFailures: PanelId[] = [];
      if (!dryRun) {
        await Promise.all(
          plans.map(async (plan) => {
            const panel = panelsById.get(plan.panelId);
            const client = panelClients.get(plan.panelId);
            if (panel === undefined) {
              return;
            }
            const isWriting = options.mode === 'enforce' && !panel.isSuspended;
            let panelResults: ActionResult[] = [];
            if (plan.kind === 'planned' && isWriting && client !== undefined && plan.actions.length > 0) {
              panelResults = await applyPanel(panel, client, plan, signal);
              for (const result of panelResults) {
                events.action?.({ panel: panel.name, action: result.action.kind, outcome: result.outcome });
                // What an operator needs to follow one customer: panel, client, Telegram id, why.
                const fields = {
                  reconcileId: planId,
                  panel: panel.name,
                  panelId: panel.panelId,
                  key: result.action.keyId,
                  email: result.action.email,
                  telegramId: telegramIds.get(result.action.keyId) ?? null,
                  action: result.action.kind,
                  reason: result.action.reason,
                };
                if (result.outcome === 'applied') {
                  log.info(fields, 'action applied');
                } else {
                  log.warn({ ...fields, error: result.error }, 'action not applied');
                }
              }
              results.push(...panelResults);
              resultsByPanel.set(plan.panelId, panelResults);
            }
            if (plan.kind === 'planned') {
              for (const entry of plan.held) {
                events.action?.({ panel: panel.name, action: entry.action.kind, outcome: 'held' });
              }
              if (plan.held.length > 0) {
                log.warn(
                  {
                    reconcileId: planId,
                    panel: panel.name,
                    panelId: panel.panelId,
                    held: plan.held.length,
                    cause: plan.held[0]?.cause,
                  },
                  'disables held by the safety valve',
                );
              }
            }
            if (!options.leadership.isOwned(panel.panelId)) {
              // Lost during the pass: the new owner reads and records the panel; a stale view from
              // here must not overwrite its key_state or claim anything as done (issue 11).
              log.warn(
                { panelId: panel.panelId, planId },
                'panel ownership lost during the pass; not recording it',
              );
              return;
            }
            try {
              await options.store.recordPanelPass(
                recordPanelPass({
                  plan,
                  scope: targeted === undefined ? 'panel' : 'keys',
                  read: reads.get(plan.panelId),
                  results: panelResults,
                  isWriting,
                  at: new Date(dbNowMs()),
                }),
                planId,
              );
            } catch (error) {
              recordFailures.push(panel.panelId);
              log.error(
                { err: toError(error), reconcileId: planId, panel: panel.name, panelId: panel.panelId },
                'recording the pass failed',
              );
            }
          }),
        );
        reportLags(snapshot, results, dbNowMs());
      }
      log.debug(
        {
          reconcileId: planId,
          scope,
          trigger,
          keys: snapshot.keys.length,
          actions: results.length,
          snapshotMs: Math.round(snapshotMs),
          observedMs: Math.round(observedMs),
          totalMs: Math.round(performance.now() - started),
        },
        'pass finished',
      );
      const syncedAt = Date.now() / 1000;
      let globalHeld = 0;
      for (const plan of plans) {
        const panel = panelsById.get(plan.panelId);
        if (plan.kind !== 'planned' || panel === undefined) {
          continue;
        }
        globalHeld += plan.held.filter((entry) => entry.cause === 'valve-global').length;
        const {
          keys: keyCounts,
          drift,
          needsHuman,
        } = summarisePanel(plan, resultsByPanel.get(plan.panelId) ?? []);
        if (!dryRun && targeted === undefined) {
          events.panelPlanned?.({
            panel: panel.name,
            keys: keyCounts,
            drift,
            needsHuman,
            held: plan.held.length,
            syncedAt,
          });
        }
      }
      if (!dryRun && scope === 'all') {
        events.globalHeld?.({ held: globalHeld });
      }
      const isPartial =
        recordFailures.length > 0 ||
        plans.some((plan) => plan.kind === 'unknown') ||
        results.some((result) => result.outcome === 'failed' || result.outcome === 'unconfirmed');
      const report: PassReport = {
        planId,
        trigger,
        now: snapshot.now,
        clockReadAtMs: read.clockReadAtMs,
        nextBoundaryAt: snapshot.nextBoundaryAt,
        panels: snapshot.panels,
        plans,
        results,
        notOwned,
        outcome: isPartial ? 'partial' : 'ok',
        scope,
        escalated: false,
      };
      events.runFinished?.({
        trigger,
        outcome: report.outcome,
        durationSeconds: (performance.now() - started) / 1000,
      });
      if (!dryRun) {
        options.onPass?.(report);
      }
      return report;
    } catch (error) {
      events.runFinished?.({
        trigger,
        outcome: 'error',
        durationSeconds: (performance.now() - started) / 1000,
      });
      throw error;
    }
  }

  return reconcile;
}
