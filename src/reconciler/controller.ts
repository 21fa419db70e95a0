/**
 * The controller (DESIGN.md §5): work items are "every panel" (`all`) or one panel id. A worker takes
 * an item and runs one pass:
 *
 *   snapshot (DB, one transaction) ─► observe each panel (in parallel) ─► planPass (pure: desired,
 *   diff, plan, valve) ─► apply per panel (p-queue: one write at a time by default, rate cap, bulk
 *   disables) ─► record (key_state, reconcile_events, inbounds, outbox, held_plans) ─► events
 *
 * Fail-open: a failed snapshot throws before any panel is touched (the item is retried with backoff);
 * a panel that cannot be read gets no actions and is retried on its own. Panels this replica does
 * not own are skipped, and ownership is re-checked before every write. In `observe` mode, or for a
 * suspended panel, the pass plans and records but writes nothing to the panel.
 */
import { randomUUID } from 'node:crypto';
import PQueue from 'p-queue';
import {
  computeDesired,
  fingerprintHeld,
  planPass,
  type Action,
  type DesiredKey,
  type DriftKind,
  type KeyDiff,
  type KeyRecord,
  type ObservedClient,
  type PanelId,
  type PanelPlan,
  type PanelRead,
  type PanelRecord,
  type ReconcilePolicy,
  type Snapshot,
  type DesiredReason,
} from '../domain/index.ts';
import { toError, type BackoffPolicy, type Logger } from '../shared/index.ts';
import type { ReconcilerEvents, RunOutcome, Trigger } from './events.ts';
import type { Leadership } from './leadership.ts';
import type { PanelClient, PanelClientFactory, PanelConnection } from './ports.ts';
import type {
  ActionOutcome,
  DesiredStateJson,
  KeyStateRecord,
  ObservedStateJson,
  OutboxRecord,
  PanelPassRecord,
  ReconcileEventRecord,
  ReconcileStore,
} from './store.ts';
import { createPassLocks } from './pass-locks.ts';
import { createWorkQueue, type Priority } from './work-queue.ts';

/** What a pass covers: every enabled panel, or one. */
export type Scope = 'all' | PanelId;

/** Settings of the controller (from src/config). */
export interface ControllerOptions {
  readonly store: ReconcileStore;
  readonly panelClients: PanelClientFactory;
  readonly leadership: Leadership;
  readonly policy: ReconcilePolicy;
  /** `observe` plans and records but never writes to a panel. */
  readonly mode: 'enforce' | 'observe';
  /** Passes processed at once (KEYWARDEN_WORKERS). */
  readonly workers: number;
  /** Writes in flight per panel (KEYWARDEN_PANEL_CONCURRENCY). */
  readonly panelConcurrency: number;
  /** Cap on writes per second per panel; 0 = none (KEYWARDEN_PANEL_WRITES_PER_SECOND). */
  readonly panelWritesPerSecond: number;
  /** Bound on one whole panel read, in ms (the adapter also times out each call). */
  readonly panelReadTimeoutMs: number;
  readonly logger: Logger;
  readonly events?: ReconcilerEvents;
  readonly backoff?: BackoffPolicy;
  /** Flag-only disables on one panel at or above this count go through one bulk call. Default 2. */
  readonly bulkThreshold?: number;
  /** Called after every pass that read the DB (the expiry timer re-arms from it). */
  readonly onPass?: (report: PassReport) => void;
}

/** The outcome of one action. `confirmed` is the client as read back (null = confirmed absent). */
export interface ActionResult {
  readonly action: Action;
  readonly outcome: ActionOutcome;
  readonly error: string | null;
  readonly confirmed: ObservedClient | null | undefined;
}

/** What one pass saw, planned and did. */
export interface PassReport {
  readonly planId: string;
  readonly trigger: Trigger;
  /** DB clock at the snapshot. */
  readonly now: Date;
  readonly nextBoundaryAt: Date | null;
  readonly panels: ReadonlyArray<PanelRecord>;
  readonly plans: ReadonlyArray<PanelPlan>;
  readonly results: ReadonlyArray<ActionResult>;
  /** Panels in scope this replica does not own (not read, not written). */
  readonly notOwned: ReadonlyArray<PanelId>;
  readonly outcome: RunOutcome;
}

/** The running controller. */
export interface Controller {
  /** Queues a pass over `scope`. */
  enqueue(scope: Scope, trigger: Trigger, priority: Priority): void;
  /** Runs one pass now (outside the queue). `dryRun` reads and plans only: no writes anywhere. */
  reconcile(
    scope: Scope,
    trigger: Trigger,
    options: { readonly dryRun: boolean; readonly signal: AbortSignal },
  ): Promise<PassReport>;
  /** Starts the workers; resolves once they have all stopped (after `stop` or `signal`). */
  run(signal: AbortSignal): Promise<void>;
  /** Stops handing out work; in-flight passes finish (their calls abort with the run signal). */
  stop(): void;
  /** Closes every panel client. */
  close(): Promise<void>;
  readonly queueLength: number;
}

const FIXABLE_OR_REPORTED: ReadonlySet<DriftKind> = new Set<DriftKind>([
  'identity-mismatch',
  'duplicate-email',
]);

function desiredJson(desired: DesiredKey, held: boolean): DesiredStateJson {
  return desired.kind === 'enabled'
    ? {
        kind: 'enabled',
        reason: 'entitled',
        expiryTimeMs: desired.fields.expiryTimeMs,
        totalBytes: desired.fields.totalBytes,
        flow: desired.fields.flow,
        entitledUntil: desired.key.entitledUntil?.toISOString() ?? null,
        held,
      }
    : { kind: 'disabled', reason: desired.reason, held };
}

function observedJson(client: ObservedClient | null, at: string): ObservedStateJson {
  if (client === null) {
    return { kind: 'absent', at };
  }
  return {
    kind: 'present',
    enable: client.isClientEnabled,
    trafficEnable: client.isTrafficEnabled,
    expiryTimeMs: client.expiryTimeMs,
    totalBytes: client.totalBytes,
    upBytes: client.upBytes,
    downBytes: client.downBytes,
    resetDays: client.resetDays,
    flow: client.flow,
    inboundIds: [...client.inboundIds],
    at,
  };
}

function confirms(action: Action, client: ObservedClient | null): boolean {
  return (
    client !== null &&
    client.isClientEnabled === action.fields.enable &&
    client.expiryTimeMs === action.fields.expiryTimeMs &&
    client.totalBytes === action.fields.totalBytes &&
    client.resetDays === action.fields.resetDays
  );
}

const SUSPENDING: ReadonlySet<DesiredReason> = new Set<DesiredReason>([
  'banned',
  'expired',
  'no-subscription',
  'quota-exhausted',
]);

/** Creates the controller. Nothing runs until `run` or `reconcile` is called. */
export function createController(options: ControllerOptions): Controller {
  const log = options.logger;
  const events = options.events ?? {};
  const bulkThreshold = options.bulkThreshold ?? 2;
  const queue = createWorkQueue<Scope, Trigger>({
    ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
    onDepth: (depth) => events.queueDepth?.({ depth }),
  });
  const clients = new Map<PanelId, { readonly fingerprint: string; readonly client: PanelClient }>();
  const writeQueues = new Map<PanelId, PQueue>();
  let stopController: AbortController | undefined;
  const passLocks = createPassLocks<PanelId>();

  function clientFor(connection: PanelConnection): PanelClient {
    const fingerprint = JSON.stringify(connection);
    const existing = clients.get(connection.id);
    if (existing?.fingerprint === fingerprint) {
      return existing.client;
    }
    if (existing !== undefined) {
      // The panel's URL or credentials changed: the old client's sessions are useless now.
      existing.client.close().catch((error: unknown) => {
        log.warn({ err: toError(error), panelId: connection.id }, 'closing a replaced panel client failed');
      });
    }
    const client = options.panelClients(connection);
    clients.set(connection.id, { fingerprint, client });
    return client;
  }

  function writeQueueFor(panelId: PanelId): PQueue {
    let writes = writeQueues.get(panelId);
    if (writes === undefined) {
      writes = new PQueue({
        concurrency: options.panelConcurrency,
        ...(options.panelWritesPerSecond > 0
          ? { intervalCap: options.panelWritesPerSecond, interval: 1_000 }
          : {}),
      });
      writeQueues.set(panelId, writes);
    }
    return writes;
  }

  // Per-request timing (keywarden_panel_request_duration_seconds) is reported by the panel client
  // itself, per HTTP exchange; wrapping calls here would count the same time twice.
  const timed = <T>(_panel: string, _op: string, call: () => Promise<T>): Promise<T> => call();

  async function readPanel(panel: PanelRecord, client: PanelClient, signal: AbortSignal): Promise<PanelRead> {
    try {
      const observation = await timed(panel.name, 'observe', () =>
        client.observe(AbortSignal.any([signal, AbortSignal.timeout(options.panelReadTimeoutMs)])),
      );
      events.panelRead?.({ panel: panel.name, up: true });
      return { kind: 'observed', observation };
    } catch (error) {
      const cause = toError(error).message;
      events.panelRead?.({ panel: panel.name, up: false });
      // An expected I/O failure, repeated on every retry: the message says what and where; a stack
      // trace per retry would bury the log.
      log.warn(
        { panelId: panel.panelId, panel: panel.name, error: cause, errorType: toError(error).name },
        'panel unreadable, holding',
      );
      return { kind: 'unknown', cause };
    }
  }

  async function applyOne(
    panel: PanelRecord,
    client: PanelClient,
    action: Action,
    signal: AbortSignal,
  ): Promise<ActionResult> {
    if (!options.leadership.isOwned(panel.panelId)) {
      return { action, outcome: 'skipped', error: 'lost panel ownership', confirmed: undefined };
    }
    try {
      let confirmed: ObservedClient | null;
      if (action.kind === 'create') {
        const identity = action.identity;
        if (identity === null) {
          throw new Error('create without identity');
        }
        await timed(panel.name, 'createClient', () =>
          client.createClient(
            {
              ...action.fields,
              email: action.email,
              inboundId: action.inboundId,
              protocol: identity.protocol,
              uuid: identity.uuid,
              secret: identity.secret,
              subId: identity.subId,
              tgId: identity.tgId,
              comment: `keywarden key ${action.keyId}`,
            },
            signal,
          ),
        );
        confirmed = await timed(panel.name, 'getClient', () => client.getClient(action.email, signal));
      } else {
        confirmed = await timed(panel.name, 'updateClient', () =>
          client.updateClient(action.email, action.fields, signal),
        );
      }
      return confirms(action, confirmed)
        ? { action, outcome: 'applied', error: null, confirmed }
        : { action, outcome: 'failed', error: 'read-back did not confirm the change', confirmed };
    } catch (error) {
      return { action, outcome: 'failed', error: toError(error).message, confirmed: undefined };
    }
  }

  async function applyBulkDisable(
    panel: PanelRecord,
    client: PanelClient,
    actions: ReadonlyArray<Action>,
    observed: ReadonlyMap<string, ObservedClient>,
    signal: AbortSignal,
  ): Promise<ActionResult[]> {
    if (!options.leadership.isOwned(panel.panelId)) {
      return actions.map((action) => ({
        action,
        outcome: 'skipped',
        error: 'lost panel ownership',
        confirmed: undefined,
      }));
    }
    try {
      const result = await timed(panel.name, 'setEnabled', () =>
        client.setEnabled(
          actions.map((action) => action.email),
          false,
          signal,
        ),
      );
      const changed = new Set<string>(result.changed);
      const skipped = new Map<string, string>(result.skipped.map((entry) => [entry.email, entry.reason]));
      return actions.map((action): ActionResult => {
        const before = observed.get(action.email);
        if (changed.has(action.email) && before !== undefined) {
          // The bulk answer names each changed email; that is the panel's confirmation of the change.
          return {
            action,
            outcome: 'applied',
            error: null,
            confirmed: { ...before, isClientEnabled: false, isEffectivelyEnabled: false },
          };
        }
        return {
          action,
          outcome: 'failed',
          error: skipped.get(action.email) ?? 'not reported as changed by the bulk call',
          confirmed: undefined,
        };
      });
    } catch (error) {
      const message = toError(error).message;
      return actions.map((action) => ({ action, outcome: 'failed', error: message, confirmed: undefined }));
    }
  }

  async function applyPanel(
    panel: PanelRecord,
    client: PanelClient,
    plan: PanelPlan & { kind: 'planned' },
    signal: AbortSignal,
  ): Promise<ActionResult[]> {
    const writes = writeQueueFor(panel.panelId);
    const flagOnlyDisables = plan.actions.filter((action) => action.kind === 'disable' && action.isFlagOnly);
    const useBulk = flagOnlyDisables.length >= bulkThreshold;
    const inBulk = new Set(useBulk ? flagOnlyDisables : []);
    const single = plan.actions.filter((action) => !inBulk.has(action));
    const observed = new Map<string, ObservedClient>();
    for (const entry of plan.diff.keys) {
      if (entry.observed !== null) {
        observed.set(entry.observed.email, entry.observed);
      }
    }
    const tasks: Array<Promise<ActionResult[]>> = single.map((action) =>
      writes
        .add(async () => [await applyOne(panel, client, action, signal)], { signal })
        .catch((error: unknown) => [
          { action, outcome: 'failed' as const, error: toError(error).message, confirmed: undefined },
        ]),
    );
    if (useBulk) {
      tasks.push(
        writes
          .add(() => applyBulkDisable(panel, client, flagOnlyDisables, observed, signal), { signal })
          .catch((error: unknown) =>
            flagOnlyDisables.map((action) => ({
              action,
              outcome: 'failed' as const,
              error: toError(error).message,
              confirmed: undefined,
            })),
          ),
      );
    }
    return (await Promise.all(tasks)).flat();
  }

  function panelRecord(
    snapshot: Snapshot,
    panel: PanelRecord,
    plan: PanelPlan,
    read: PanelRead | undefined,
    results: ReadonlyArray<ActionResult>,
    isWriting: boolean,
    dbNowMs: () => number,
  ): PanelPassRecord {
    const at = new Date(dbNowMs()).toISOString();
    if (plan.kind === 'unknown') {
      const keys = snapshot.keys.filter((key) => key.panelId === panel.panelId);
      return {
        panelId: panel.panelId,
        generation: null,
        inbounds: null,
        keyStates: keys.map((key) => ({
          keyId: key.keyId,
          desired: desiredJson(computeDesired(key, options.policy, undefined), false),
          observed: { kind: 'unknown', cause: plan.cause, at },
          converged: false,
          lastAction: null,
          lastError: `panel unreadable: ${plan.cause}`,
          failed: false,
          // Nothing was observed, so there is no new baseline to record: keep the stored one.
          quotaBaseline: null,
        })),
        events: [],
        outbox: [],
        held: null,
        appliedFingerprint: null,
      };
    }
    const resultByKey = new Map(results.map((result) => [result.action.keyId, result]));
    const heldByKey = new Map(plan.held.map((entry) => [entry.action.keyId, entry]));
    const actionByKey = new Map(plan.actions.map((action) => [action.keyId, action]));
    const keyStates = plan.diff.keys.map((entry: KeyDiff): KeyStateRecord => {
      const key = entry.desired.key;
      const result = resultByKey.get(key.keyId);
      const held = heldByKey.get(key.keyId);
      const planned = actionByKey.get(key.keyId);
      const reportedOnly = entry.drift.some((kind) => FIXABLE_OR_REPORTED.has(kind));
      let converged: boolean;
      let lastError: string | null;
      if (held !== undefined) {
        converged = false;
        lastError = `held by the safety valve (${held.cause})`;
      } else if (result !== undefined) {
        converged = result.outcome === 'applied' && !reportedOnly;
        lastError = result.error;
      } else if (planned !== undefined) {
        converged = false;
        lastError = isWriting ? null : 'observe only: change not applied';
      } else {
        converged = entry.drift.length === 0;
        lastError = reportedOnly ? `drift needs a human: ${entry.drift.join(', ')}` : null;
      }
      const observed = result?.confirmed !== undefined ? result.confirmed : entry.observed;
      return {
        keyId: key.keyId,
        desired: desiredJson(entry.desired, held !== undefined),
        observed: observedJson(observed, at),
        converged,
        lastAction: result === undefined ? null : `${result.action.kind}:${result.outcome}`,
        lastError,
        failed: result?.outcome === 'failed',
        quotaBaseline: entry.desired.baseline,
      };
    });
    const keysById = new Map(plan.diff.keys.map((entry) => [entry.desired.key.keyId, entry.desired.key]));
    const eventRecords: ReconcileEventRecord[] = [
      ...results.map((result) => ({
        keyId: result.action.keyId,
        panelId: panel.panelId,
        action: result.action.kind,
        reason: result.action.reason,
        outcome: result.outcome,
        error: result.error,
        before: result.action.before,
        after: result.action.fields,
      })),
      ...plan.held.map((entry) => ({
        keyId: entry.action.keyId,
        panelId: panel.panelId,
        action: entry.action.kind,
        reason: entry.action.reason,
        outcome: 'held' as const,
        error: entry.cause,
        before: entry.action.before,
        after: entry.action.fields,
      })),
    ];
    const outbox: OutboxRecord[] = [];
    for (const result of results) {
      const key = keysById.get(result.action.keyId);
      if (result.outcome !== 'applied' || key === undefined) {
        continue;
      }
      outbox.push(...outboxFor(key, result.action, panel));
    }
    return {
      panelId: panel.panelId,
      generation: read?.kind === 'observed' ? read.observation.generation : null,
      inbounds: read?.kind === 'observed' ? read.observation.inbounds : null,
      keyStates,
      events: eventRecords,
      outbox,
      held:
        plan.held.length === 0
          ? null
          : {
              fingerprint: fingerprintHeld(plan.held),
              cause: plan.held[0]?.cause ?? 'valve-panel',
              actions: plan.held.map((entry) => ({
                keyId: entry.action.keyId,
                email: entry.action.email,
                action: entry.action.kind,
                reason: entry.action.reason,
              })),
            },
      appliedFingerprint: plan.releasedFingerprint,
    };
  }

  function outboxFor(key: KeyRecord, action: Action, panel: PanelRecord): OutboxRecord[] {
    const payload = { keyId: key.keyId, email: key.email, panel: panel.name, reason: action.reason };
    if (action.kind === 'disable' && SUSPENDING.has(action.reason)) {
      return [
        {
          userId: key.userId,
          kind: 'access-suspended',
          dedupeKey: `access-suspended:${key.userId}:${key.latestPeriodId ?? 'none'}:${action.reason}`,
          payload,
        },
      ];
    }
    if ((action.kind === 'enable' || action.kind === 'create') && key.previousDesiredKind === 'disabled') {
      return [
        {
          userId: key.userId,
          kind: 'access-reactivated',
          dedupeKey: `access-reactivated:${key.userId}:${key.latestPeriodId ?? 'none'}`,
          payload,
        },
      ];
    }
    return [];
  }

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
        key.lastEndedAt !== null
      ) {
        events.expiryLag?.({ seconds: Math.max(0, (dbNowMs - key.lastEndedAt.getTime()) / 1000) });
      }
      if (
        (result.action.kind === 'enable' || result.action.kind === 'create') &&
        key.entitledSince !== null
      ) {
        events.activationLag?.({ seconds: Math.max(0, (dbNowMs - key.entitledSince.getTime()) / 1000) });
      }
    }
  }

  function reconcile(
    scope: Scope,
    trigger: Trigger,
    passOptions: { readonly dryRun: boolean; readonly signal: AbortSignal },
  ): Promise<PassReport> {
    // A dry run writes nothing, so it needs no exclusion.
    return passOptions.dryRun
      ? reconcileUnlocked(scope, trigger, passOptions)
      : passLocks.run(scope, () => reconcileUnlocked(scope, trigger, passOptions));
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
      const { snapshot, connections } = await options.store.readSnapshot(
        scope === 'all' ? undefined : [scope],
      );
      const snapshotMs = performance.now() - started;
      const wallAtSnapshot = Date.now();
      const dbNowMs = (): number => snapshot.now.getTime() + (Date.now() - wallAtSnapshot);
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
          reads.set(panel.panelId, await readPanel(panel, client, signal));
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
      const results: ActionResult[] = [];
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
                const fields = {
                  panelId: panel.panelId,
                  key: result.action.keyId,
                  action: result.action.kind,
                };
                if (result.outcome === 'applied') {
                  log.info({ ...fields, reason: result.action.reason, planId }, 'action applied');
                } else {
                  log.warn({ ...fields, error: result.error, planId }, 'action not applied');
                }
              }
              results.push(...panelResults);
            }
            if (plan.kind === 'planned') {
              for (const entry of plan.held) {
                events.action?.({ panel: panel.name, action: entry.action.kind, outcome: 'held' });
              }
              if (plan.held.length > 0) {
                log.warn(
                  { panelId: panel.panelId, held: plan.held.length, cause: plan.held[0]?.cause },
                  'disables held by the safety valve',
                );
              }
            }
            try {
              await options.store.recordPanelPass(
                panelRecord(snapshot, panel, plan, reads.get(plan.panelId), panelResults, isWriting, dbNowMs),
                planId,
              );
            } catch (error) {
              recordFailures.push(panel.panelId);
              log.error({ err: toError(error), panelId: panel.panelId, planId }, 'recording the pass failed');
            }
          }),
        );
        reportLags(snapshot, results, dbNowMs());
      }
      log.debug(
        {
          planId,
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
        const keyCounts = new Map<`${'enabled' | 'disabled'}:${DesiredReason}`, number>();
        const drift = new Map<DriftKind, number>();
        for (const entry of plan.diff.keys) {
          const label = `${entry.desired.kind}:${entry.desired.reason}` as const;
          keyCounts.set(label, (keyCounts.get(label) ?? 0) + 1);
          for (const kind of entry.drift) {
            drift.set(kind, (drift.get(kind) ?? 0) + 1);
          }
        }
        if (plan.diff.orphans.length > 0) {
          drift.set('orphan-client', plan.diff.orphans.length);
        }
        if (!dryRun) {
          events.panelPlanned?.({
            panel: panel.name,
            keys: keyCounts,
            drift,
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
        results.some((result) => result.outcome === 'failed');
      const report: PassReport = {
        planId,
        trigger,
        now: snapshot.now,
        nextBoundaryAt: snapshot.nextBoundaryAt,
        panels: snapshot.panels,
        plans,
        results,
        notOwned,
        outcome: isPartial ? 'partial' : 'ok',
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

  async function work(getSignal: AbortSignal, signal: AbortSignal): Promise<void> {
    for (;;) {
      const item = await queue.get(getSignal);
      if (item === undefined) {
        return;
      }
      try {
        const report = await reconcile(item.key, item.trigger, { dryRun: false, signal });
        const retry = new Set<PanelId>();
        for (const plan of report.plans) {
          if (plan.kind === 'unknown') {
            retry.add(plan.panelId);
          }
        }
        for (const result of report.results) {
          if (result.outcome === 'failed') {
            retry.add(result.action.panelId);
          }
        }
        // A retry item that failed again keeps its failure count, so its backoff keeps growing.
        if (item.key === 'all' || !retry.has(item.key)) {
          queue.forget(item.key);
        }
        for (const panelId of report.panels.map((panel) => panel.panelId)) {
          if (retry.has(panelId)) {
            const delayMs = queue.requeueWithBackoff(panelId, 'retry');
            log.warn({ panelId, retryInMs: delayMs }, 'panel not converged, retrying');
          } else {
            queue.forget(panelId);
          }
        }
      } catch (error) {
        if (signal.aborted) {
          return;
        }
        const delayMs = queue.requeueWithBackoff(item.key, 'retry');
        log.error(
          { err: toError(error), scope: item.key, retryInMs: delayMs },
          'reconcile failed before any change, retrying',
        );
      } finally {
        queue.done(item.key);
      }
    }
  }

  return {
    enqueue: (scope, trigger, priority) => {
      queue.add(scope, trigger, priority);
    },
    reconcile,
    async run(signal) {
      stopController = new AbortController();
      const combined = AbortSignal.any([signal, stopController.signal]);
      const onAbort = (): void => {
        queue.shutDown();
      };
      combined.addEventListener('abort', onAbort, { once: true });
      // The run signal (not the stop signal) reaches in-flight panel calls: stop() lets them finish.
      await Promise.all(Array.from({ length: options.workers }, () => work(combined, signal)));
    },
    stop() {
      queue.shutDown();
      stopController?.abort();
    },
    async close() {
      const all = [...clients.values()];
      clients.clear();
      await Promise.allSettled(all.map((entry) => entry.client.close()));
    },
    get queueLength() {
      return queue.length;
    },
  };
}
