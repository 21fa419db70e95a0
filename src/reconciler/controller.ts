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
 *
 * This file composes the parts and runs the workers: pass.ts (one pass), panel-read.ts (observe),
 * apply.ts (writes through the per-panel queue) and panel-clients.ts (per-panel clients and write
 * queues); what a pass records is the pure recordPanelPass of src/domain.
 */
import { asPanelId, type PanelId, type ReconcilePolicy, type UserId } from '../domain/index.ts';
import { toError, type BackoffPolicy, type Logger } from '../shared/index.ts';
import { createApplier } from './apply.ts';
import type { ReconcilerEvents, Trigger } from './events.ts';
import type { Leadership } from './leadership.ts';
import { createPanelClients } from './panel-clients.ts';
import { createPanelReader } from './panel-read.ts';
import { createPass, type PassReport, type Scope } from './pass.ts';
import type { PanelClientFactory } from './ports.ts';
import type { ReconcileStore } from './store.ts';
import { createWorkQueue, type Priority } from './work-queue.ts';
import { createWriteQuarantine } from './write-quarantine.ts';

export type { PassReport, Scope, UsersScope } from './pass.ts';

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
  /**
   * After a write times out, its inbound gets no other write until a read shows the outcome or this
   * long has passed (KEYWARDEN_WRITE_QUIET), ms. Default 60 s.
   */
  readonly writeQuietMs?: number;
  /** Called after every pass that read the DB (the expiry timer re-arms from it). */
  readonly onPass?: (report: PassReport) => void;
}

/** The running controller. */
export interface Controller {
  /** Queues a pass over `scope`. */
  enqueue(scope: Scope, trigger: Trigger, priority: Priority): void;
  /**
   * Queues a targeted pass over the keys of `userIds` on `panelId` (always urgent). Requests for one
   * panel that arrive while its batch waits or runs join the next batch: 10,000 expiries at one
   * second are one or two batches, not 10,000 passes. A batch whose users all came with trigger
   * `expiry` (the expiry timer) applies its own disables; see `UsersScope.isBoundary`.
   */
  enqueueUsers(panelId: PanelId, userIds: ReadonlyArray<UserId>, trigger: Trigger): void;
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

/** The queue's keys: a full pass, a panel pass, or the pending batch of a panel's targeted requests. */
type UsersKey = `users:${string}`;
type QueueKey = 'all' | PanelId | UsersKey;

const isUsersKey = (key: QueueKey): key is UsersKey => key.startsWith('users:');

/** Creates the controller. Nothing runs until `run` or `reconcile` is called. */
export function createController(options: ControllerOptions): Controller {
  const log = options.logger;
  const events = options.events ?? {};
  const bulkThreshold = options.bulkThreshold ?? 2;
  const queue = createWorkQueue<QueueKey, Trigger>({
    ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
    onDepth: (depth) => events.queueDepth?.({ depth }),
  });
  const panels = createPanelClients(options);
  const quarantine = createWriteQuarantine({ quietMs: options.writeQuietMs ?? 60_000 });
  let stopController: AbortController | undefined;
  const reconcile = createPass({
    store: options.store,
    leadership: options.leadership,
    policy: options.policy,
    mode: options.mode,
    logger: log,
    events,
    onPass: options.onPass,
    clientFor: panels.clientFor,
    ...createPanelReader({ panelReadTimeoutMs: options.panelReadTimeoutMs, logger: log, events }),
    applyPanel: createApplier({
      leadership: options.leadership,
      bulkThreshold,
      writeQueueFor: panels.writeQueueFor,
      quarantine,
      isOneWriteAtATime: options.panelConcurrency === 1,
      events,
    }),
    onPanelObserved: (panelId, observation) => {
      quarantine.settle(panelId, observation);
    },
    mustReadWholePanel: (panelId) => quarantine.recheckInMs(panelId) !== undefined,
  });

  const pendingUsers = new Map<PanelId, Set<UserId>>();
  // Panels whose pending batch holds users from anything but the expiry timer (see UsersScope.isBoundary).
  const notBoundaryOnly = new Set<PanelId>();

  function enqueueUsers(panelId: PanelId, userIds: ReadonlyArray<UserId>, trigger: Trigger): void {
    let batch = pendingUsers.get(panelId);
    if (batch === undefined) {
      batch = new Set();
      pendingUsers.set(panelId, batch);
    }
    for (const userId of userIds) {
      batch.add(userId);
    }
    if (trigger !== 'expiry') {
      notBoundaryOnly.add(panelId);
    }
    queue.add(`users:${panelId}`, trigger, 'urgent');
  }

  /** Runs one batch of a panel's targeted requests; failures go to the panel's own retries. */
  async function workUsers(key: UsersKey, trigger: Trigger, signal: AbortSignal): Promise<void> {
    const panelId = asPanelId(key.slice('users:'.length));
    const batch = pendingUsers.get(panelId);
    pendingUsers.delete(panelId);
    const isBoundary = !notBoundaryOnly.delete(panelId);
    if (batch === undefined || batch.size === 0) {
      queue.forget(key);
      return;
    }
    try {
      const report = await reconcile({ panelId, userIds: [...batch], isBoundary }, trigger, {
        dryRun: false,
        signal,
      });
      queue.forget(key);
      if (report.escalated) {
        queue.add(panelId, trigger, 'urgent');
        return;
      }
      const failed =
        report.plans.some((plan) => plan.kind === 'unknown') ||
        report.results.some((result) => result.outcome === 'failed' || result.outcome === 'unconfirmed');
      if (failed) {
        // The panel pass retries every key of the panel, these included, with the panel's backoff.
        const delayMs = queue.retryAfterBackoff(panelId, 'retry');
        log.warn({ panelId, retryInMs: delayMs }, 'targeted pass not converged, retrying the panel');
      }
      // A write of this pass timed out: read the whole panel until it shows, or goes quiet.
      const recheckMs = quarantine.recheckInMs(panelId);
      if (recheckMs !== undefined) {
        queue.addAfter(panelId, 'retry', 'normal', recheckMs);
      }
    } catch (error) {
      if (signal.aborted) {
        return;
      }
      // Nothing was changed: the batch goes back, to run again after the batch's backoff.
      const waiting = pendingUsers.get(panelId) ?? new Set<UserId>();
      for (const userId of batch) {
        waiting.add(userId);
      }
      pendingUsers.set(panelId, waiting);
      if (!isBoundary) {
        notBoundaryOnly.add(panelId);
      }
      const delayMs = queue.requeueWithBackoff(key, 'retry');
      log.error(
        { err: toError(error), panelId, users: batch.size, retryInMs: delayMs },
        'targeted reconcile failed before any change, retrying',
      );
    }
  }

  async function work(getSignal: AbortSignal, signal: AbortSignal): Promise<void> {
    for (;;) {
      const item = await queue.get(getSignal);
      if (item === undefined) {
        return;
      }
      if (isUsersKey(item.key)) {
        try {
          await workUsers(item.key, item.trigger, signal);
        } finally {
          queue.done(item.key);
        }
        continue;
      }
      const scope: Scope = item.key;
      try {
        const report = await reconcile(scope, item.trigger, { dryRun: false, signal });
        const retry = new Set<PanelId>();
        for (const plan of report.plans) {
          if (plan.kind === 'unknown') {
            retry.add(plan.panelId);
          }
        }
        for (const result of report.results) {
          if (result.outcome === 'failed' || result.outcome === 'unconfirmed') {
            retry.add(result.action.panelId);
          }
        }
        // A retry item that failed again keeps its failure count, so its backoff keeps growing.
        if (scope === 'all' || !retry.has(scope)) {
          queue.forget(scope);
        }
        for (const { panelId, name } of report.panels) {
          if (retry.has(panelId)) {
            // Only the panel's own retries count as failures: a full pass that also failed on it
            // would otherwise double its backoff once more per trigger, not per attempt.
            const delayMs =
              scope === panelId
                ? queue.requeueWithBackoff(panelId, 'retry')
                : queue.retryAfterBackoff(panelId, 'retry');
            log.warn({ panel: name, panelId, retryInMs: delayMs }, 'panel not converged, retrying');
          } else {
            queue.forget(panelId);
          }
          // A write that timed out may still land: read the panel again until it shows, or goes quiet.
          const recheckMs = quarantine.recheckInMs(panelId);
          if (recheckMs !== undefined) {
            queue.addAfter(panelId, 'retry', 'normal', recheckMs);
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
      if (typeof scope === 'object') {
        enqueueUsers(scope.panelId, scope.userIds, trigger);
      } else {
        queue.add(scope, trigger, priority);
      }
    },
    enqueueUsers,
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
    close: () => panels.close(),
    get queueLength() {
      return queue.length;
    },
  };
}
