/**
 * Resolves after `ms` milliseconds, or as soon as `signal` aborts (then it resolves too, early:
 * callers check `signal.aborted`). Never rejects, so a shutdown never surfaces as an error.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

/**
 * The longest delay Node's timers honour: a larger one fires after 1 ms instead
 * (nodejs.org/api/timers.html#settimeoutcallback-delay-args).
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** Resolves when `signal` aborts (at once when it already has): how long-running commands wait for SIGTERM. */
export function waitForAbort(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    signal.addEventListener(
      'abort',
      () => {
        resolve();
      },
      { once: true },
    );
  });
}
