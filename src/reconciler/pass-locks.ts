/**
 * In-process exclusion between passes: two passes never work on the same panel at once (they would
 * plan from the same stale observation and write twice). A pass over every panel (`all`) excludes
 * everything; passes over different panels run in parallel. Waiters start in arrival order, and a
 * waiting `all` pass is not overtaken by later panel passes (no starvation).
 */

/** Runs work under the lock of its scope. */
export interface PassLocks<K> {
  run<T>(scope: K | 'all', work: () => Promise<T>): Promise<T>;
}

/** Creates the locks. */
export function createPassLocks<K>(): PassLocks<K> {
  const active = new Map<K | 'all', number>();
  const waiting: Array<{ scope: K | 'all'; start: () => void }> = [];

  const isFree = (scope: K | 'all'): boolean =>
    scope === 'all' ? active.size === 0 : !active.has('all') && !active.has(scope);

  const enter = (scope: K | 'all'): void => {
    active.set(scope, (active.get(scope) ?? 0) + 1);
  };

  function wake(): void {
    while (waiting.length > 0) {
      const next = waiting[0];
      if (next === undefined || !isFree(next.scope)) {
        // Keep arrival order: the head waits, so nothing behind it overtakes.
        return;
      }
      waiting.shift();
      enter(next.scope);
      next.start();
    }
  }

  return {
    async run(scope, work) {
      if (waiting.length === 0 && isFree(scope)) {
        enter(scope);
      } else {
        await new Promise<void>((resolve) => {
          waiting.push({ scope, start: resolve });
        });
      }
      try {
        return await work();
      } finally {
        const count = (active.get(scope) ?? 1) - 1;
        if (count === 0) {
          active.delete(scope);
        } else {
          active.set(scope, count);
        }
        wake();
      }
    },
  };
}
