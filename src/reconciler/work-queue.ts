/**
 * The work queue, with client-go's semantics (workqueue.Type + ItemExponentialFailureRateLimiter):
 *
 *   queued ──get()──► processing ──done()──► (gone)  or back to queued if it was added meanwhile
 *
 * - An item already queued is not queued twice (its priority is raised if the new add is urgent).
 * - An item being processed is never handed to a second worker; adding it meanwhile marks it dirty
 *   and it is queued again when `done` is called.
 * - `requeueWithBackoff` re-adds after a per-item exponential delay (1 s → 5 min, jitter); `forget`
 *   resets the item's failure count after a success.
 * - Urgent items (NOTIFY, expiry) are handed out before normal ones (resync).
 */
import { backoffDelayMs, DEFAULT_BACKOFF, type BackoffPolicy } from '../shared/index.ts';

/** Urgent items (NOTIFY, expiry) go before normal ones (periodic resync). */
export type Priority = 'urgent' | 'normal';

/** What a worker receives. */
export interface WorkItem<K, T> {
  readonly key: K;
  /** The trigger of the first add since the item was last handed out (for metrics). */
  readonly trigger: T;
}

/** A deduplicating work queue; see the module doc. */
export interface WorkQueue<K, T> {
  /** Queues `key` now. */
  add(key: K, trigger: T, priority: Priority): void;
  /** Queues `key` after `delayMs` (a pending delayed add for the same key is kept if sooner). */
  addAfter(key: K, trigger: T, priority: Priority, delayMs: number): void;
  /** Re-adds after the item's next backoff delay; returns that delay in ms. */
  requeueWithBackoff(key: K, trigger: T): number;
  /**
   * Re-adds after the delay of the item's current failure count (at least the first), without
   * counting a new failure: for a failure seen by someone else's work (a full pass), so that only
   * the item's own retries make its backoff grow. Returns the delay in ms.
   */
  retryAfterBackoff(key: K, trigger: T): number;
  /** Resets the failure count of `key`. */
  forget(key: K): void;
  /** Number of failures recorded for `key`. */
  failures(key: K): number;
  /** Waits for the next item; resolves undefined once the queue is shut down or `signal` aborts. */
  get(signal: AbortSignal): Promise<WorkItem<K, T> | undefined>;
  /** Marks `key` as finished processing. */
  done(key: K): void;
  /** Items waiting (queued, not processing, not delayed). */
  readonly length: number;
  /** Stops handing out items and cancels delayed adds; waiting `get` calls resolve undefined. */
  shutDown(): void;
}

/** Options of a work queue. */
export interface WorkQueueOptions {
  readonly backoff?: BackoffPolicy;
  readonly random?: () => number;
  /** Called whenever the number of waiting items changes. */
  readonly onDepth?: (depth: number) => void;
}

/** Creates a work queue. */
export function createWorkQueue<K, T>(options: WorkQueueOptions = {}): WorkQueue<K, T> {
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const urgent: K[] = [];
  const normal: K[] = [];
  const queued = new Map<K, { trigger: T; priority: Priority }>();
  const processing = new Set<K>();
  const dirty = new Map<K, { trigger: T; priority: Priority }>();
  const failureCounts = new Map<K, number>();
  const timers = new Map<K, { at: number; timer: NodeJS.Timeout }>();
  const waiters: Array<(item: WorkItem<K, T> | undefined) => void> = [];
  let isShutDown = false;

  const depth = (): number => queued.size;
  const report = (): void => options.onDepth?.(depth());

  function take(): WorkItem<K, T> | undefined {
    const key = urgent.shift() ?? normal.shift();
    if (key === undefined) {
      return undefined;
    }
    const entry = queued.get(key);
    queued.delete(key);
    processing.add(key);
    report();
    // Entries are always set together with the list push; the fallback only satisfies the types.
    return entry === undefined ? undefined : { key, trigger: entry.trigger };
  }

  function enqueue(key: K, trigger: T, priority: Priority): void {
    if (isShutDown) {
      return;
    }
    if (processing.has(key)) {
      const previous = dirty.get(key);
      if (previous === undefined || (priority === 'urgent' && previous.priority === 'normal')) {
        dirty.set(key, { trigger, priority });
      }
      return;
    }
    const existing = queued.get(key);
    if (existing !== undefined) {
      if (priority === 'urgent' && existing.priority === 'normal') {
        normal.splice(normal.indexOf(key), 1);
        urgent.push(key);
        queued.set(key, { trigger, priority });
      }
      return;
    }
    queued.set(key, { trigger, priority });
    (priority === 'urgent' ? urgent : normal).push(key);
    report();
    const waiter = waiters.shift();
    if (waiter !== undefined) {
      waiter(take());
    }
  }

  function addAfter(key: K, trigger: T, priority: Priority, delayMs: number): void {
    if (isShutDown) {
      return;
    }
    if (delayMs <= 0) {
      enqueue(key, trigger, priority);
      return;
    }
    const at = Date.now() + delayMs;
    const pending = timers.get(key);
    if (pending !== undefined) {
      if (pending.at <= at) {
        return;
      }
      clearTimeout(pending.timer);
    }
    const timer = setTimeout(() => {
      timers.delete(key);
      enqueue(key, trigger, priority);
    }, delayMs);
    timers.set(key, { at, timer });
  }

  return {
    add: enqueue,
    addAfter,
    requeueWithBackoff(key, trigger) {
      const attempt = (failureCounts.get(key) ?? 0) + 1;
      failureCounts.set(key, attempt);
      const delay = backoffDelayMs(attempt, backoff, options.random);
      addAfter(key, trigger, 'normal', delay);
      return delay;
    },
    retryAfterBackoff(key, trigger) {
      const delay = backoffDelayMs(Math.max(1, failureCounts.get(key) ?? 0), backoff, options.random);
      addAfter(key, trigger, 'normal', delay);
      return delay;
    },
    forget(key) {
      failureCounts.delete(key);
    },
    failures: (key) => failureCounts.get(key) ?? 0,
    get(signal) {
      const item = isShutDown ? undefined : take();
      if (item !== undefined || isShutDown || signal.aborted) {
        return Promise.resolve(item);
      }
      return new Promise((resolve) => {
        const waiter = (next: WorkItem<K, T> | undefined): void => {
          signal.removeEventListener('abort', onAbort);
          resolve(next);
        };
        const onAbort = (): void => {
          const index = waiters.indexOf(waiter);
          if (index >= 0) {
            waiters.splice(index, 1);
          }
          resolve(undefined);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        waiters.push(waiter);
      });
    },
    done(key) {
      processing.delete(key);
      const again = dirty.get(key);
      if (again !== undefined) {
        dirty.delete(key);
        enqueue(key, again.trigger, again.priority);
      }
    },
    get length() {
      return depth();
    },
    shutDown() {
      isShutDown = true;
      for (const { timer } of timers.values()) {
        clearTimeout(timer);
      }
      timers.clear();
      for (const waiter of waiters.splice(0)) {
        waiter(undefined);
      }
    },
  };
}
