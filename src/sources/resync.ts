/**
 * The periodic full resync: the backstop of a level-triggered loop. Each interval is jittered by
 * ±10 % so that replicas (and panels) do not all resync at the same moment.
 */

/** The ticker handle. */
export interface ResyncTicker {
  close(): void;
}

/** Calls `onTick` every `intervalMs` ± 10 %, first after one interval. */
export function startResyncTicker(options: {
  readonly intervalMs: number;
  readonly onTick: () => void;
  readonly random?: () => number;
}): ResyncTicker {
  const random = options.random ?? Math.random;
  let timer: NodeJS.Timeout | undefined;
  let isClosed = false;
  const next = (): void => {
    const jittered = options.intervalMs * (0.9 + 0.2 * random());
    timer = setTimeout(
      () => {
        if (!isClosed) {
          options.onTick();
          next();
        }
      },
      Math.min(jittered, 2 ** 31 - 1),
    );
  };
  next();
  return {
    close() {
      isClosed = true;
      if (timer !== undefined) {
        clearTimeout(timer);
      }
    },
  };
}
