/**
 * From events to reconcile requests (controller-runtime's `EnqueueRequestsFromMapFunc`): a
 * notification names a user, key, panel or plan, and the router queues urgent passes over the
 * panels it concerns. A lookup that fails queues a pass over everything instead: a spurious pass
 * costs time, a dropped one would cost correctness until the next resync.
 */
import type { Priority, ReconcileStore, Scope, Trigger } from '../reconciler/index.ts';
import { toError, type Logger } from '../shared/index.ts';
import type { Notification } from './notification.ts';

/** What the router needs: where requests go and how to find the panels a user or plan touches. */
export interface RequestRouterOptions {
  readonly lookup: Pick<ReconcileStore, 'panelsOfUser' | 'listPanelIds'>;
  readonly enqueue: (scope: Scope, trigger: Trigger, priority: Priority) => void;
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
}

/** Creates the router. */
export function createRequestRouter(options: RequestRouterOptions): RequestRouter {
  const { lookup, enqueue } = options;
  const log = options.logger;

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
    if (notification.panelId !== undefined) {
      enqueue(notification.panelId, 'notify', 'urgent');
      return;
    }
    const userId = notification.userId;
    if (userId !== undefined) {
      lookup.panelsOfUser(userId).then(
        (panelIds) => {
          for (const panelId of panelIds) {
            enqueue(panelId, 'notify', 'urgent');
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

  return { notification, everyPanel };
}
