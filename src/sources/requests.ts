/**
 * From events to reconcile requests (controller-runtime's `EnqueueRequestsFromMapFunc`). A request
 * names what changed, and the reconcile re-reads it:
 *
 * - a notification that names a user (a period, a ban, a key) → a targeted request for that user's
 *   keys on each panel that holds one (the key's own panel when the notification names it);
 * - the expiry timer at a boundary → targeted requests for the users whose entitlement changed
 *   since the last boundary, per panel (the controller batches them);
 * - a notification that names a panel (panel settings, a held plan confirmed), a plan (quota) or
 *   nothing it understands, a listener reconnect, start-up → a pass per panel.
 *
 * A lookup that fails queues a pass over everything instead: a spurious pass costs time, a dropped
 * request would cost correctness until the next resync.
 */
import type { PanelId, UserId } from '../domain/index.ts';
import type { BoundaryChanges, Priority, ReconcileStore, Scope, Trigger } from '../reconciler/index.ts';
import { toError, type Logger } from '../shared/index.ts';
import type { Notification } from './notification.ts';

/** What the router needs: where requests go and how to find the panels a user touches. */
export interface RequestRouterOptions {
  readonly lookup: Pick<ReconcileStore, 'panelsOfUser' | 'listPanelIds' | 'usersChangedSince'>;
  readonly enqueue: (scope: Scope, trigger: Trigger, priority: Priority) => void;
  readonly enqueueUsers: (panelId: PanelId, userIds: ReadonlyArray<UserId>, trigger: Trigger) => void;
  /** Called with the next boundary after every boundary handled (the expiry timer re-arms). */
  readonly onBoundaries?: (changes: BoundaryChanges) => void;
  readonly logger: Logger;
}

/** Turns events into queued requests. */
export interface RequestRouter {
  /** Queues the requests a notification asks for. */
  notification(notification: Notification): void;
  /**
   * Queues an urgent pass per enabled panel, so that a slow or hanging panel holds up only its own
   * pass (one worker), never the others'. If the panel list cannot be read, one pass over everything
   * is queued instead (it will fail open and retry).
   */
  everyPanel(trigger: Trigger): void;
  /** The expiry timer fired: queue the users whose entitlement changed since the last time. */
  boundary(): void;
  /** Remembers the DB clock at start-up: the start-up passes cover every boundary before it. */
  start(): Promise<void>;
}

/** Creates the router. */
export function createRequestRouter(options: RequestRouterOptions): RequestRouter {
  const { lookup, enqueue, enqueueUsers } = options;
  const log = options.logger;
  // The DB clock up to which boundaries have been turned into requests; null = not known yet.
  let handledUntil: Date | null = null;

  function everyPanel(trigger: Trigger): void {
    lookup.listPanelIds().then(
      (panelIds) => {
        for (const panelId of panelIds) {
          enqueue(panelId, trigger, 'urgent');
        }
      },
      (error: unknown) => {
        log.warn({ err: toError(error), trigger }, 'listing panels failed; queueing a pass over all');
        enqueue('all', trigger, 'urgent');
      },
    );
  }

  function notification(notification: Notification): void {
    if (notification.kind === 'unrecognised') {
      log.warn({ payload: notification.raw.slice(0, 200) }, 'unrecognised notification; full pass');
      everyPanel('notify');
      return;
    }
    const { userId, panelId } = notification;
    if (userId !== undefined && panelId !== undefined && notification.keyId !== undefined) {
      enqueueUsers(panelId, [userId], 'notify');
      return;
    }
    if (panelId !== undefined) {
      enqueue(panelId, 'notify', 'urgent');
      return;
    }
    if (userId !== undefined) {
      lookup.panelsOfUser(userId).then(
        (panelIds) => {
          for (const panel of panelIds) {
            enqueueUsers(panel, [userId], 'notify');
          }
        },
        (error: unknown) => {
          log.warn({ err: toError(error), userId }, 'looking up the panels of a user failed; full pass');
          enqueue('all', 'notify', 'urgent');
        },
      );
      return;
    }
    everyPanel('notify');
  }

  function boundary(): void {
    const since = handledUntil;
    if (since === null) {
      everyPanel('expiry');
    }
    lookup.usersChangedSince(since).then(
      (found) => {
        handledUntil = found.now;
        const byPanel = new Map<PanelId, UserId[]>();
        for (const change of found.changes) {
          const users = byPanel.get(change.panelId) ?? [];
          users.push(change.userId);
          byPanel.set(change.panelId, users);
        }
        for (const [panelId, userIds] of byPanel) {
          enqueueUsers(panelId, userIds, 'expiry');
        }
        options.onBoundaries?.(found);
      },
      (error: unknown) => {
        log.warn({ err: toError(error) }, 'reading the users at the boundary failed; a pass per panel');
        everyPanel('expiry');
      },
    );
  }

  async function start(): Promise<void> {
    try {
      handledUntil = (await lookup.usersChangedSince(null)).now;
    } catch (error) {
      // The first boundary then runs a pass per panel instead of a targeted one.
      log.warn({ err: toError(error) }, 'reading the DB clock at start failed');
    }
  }

  return { notification, everyPanel, boundary, start };
}
