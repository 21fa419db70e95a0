/**
 * The expiry timer: wakes the reconciler at the next entitlement boundary (DESIGN.md §5). The delay
 * is computed from the DB clock (boundary − DB now) and counted from the wall-clock moment that DB
 * now was read — not from when the caller got round to arming, which after a pass over 10,000 keys
 * is most of a second later. It is waited in chunks of at most 60 s: Node fires any delay above
 * 2^31−1 ms after 1 ms, and short chunks also bound the error of a suspended host or a clock step.
 * Re-armed after every pass (and so after every notification).
 */
import type { Logger } from '../shared/index.ts';

/** Longest single setTimeout the timer uses, ms. */
export const MAX_CHUNK_MS = 60_000;
/** Fire this long after the boundary, so the DB clock is surely past it when the pass reads. */
export const BOUNDARY_SLACK_MS = 25;

/** The timer handle. */
export interface ExpiryTimer {
  /**
   * Arms (or re-arms) for `nextBoundaryAt` as seen at DB time `dbNow`, which was read at wall-clock
   * `dbNowReadAtMs` (`Date.now()` just after the DB answered); null disarms.
   */
  arm(dbNow: Date, nextBoundaryAt: Date | null, dbNowReadAtMs: number): void;
  /**
   * Arms for `nextBoundaryAt` only if that is sooner than the armed deadline (or none is armed): for
   * a pass that saw only some users, whose next boundary says nothing about the others'. Returns
   * whether it re-armed.
   */
  armEarlier(dbNow: Date, nextBoundaryAt: Date | null, dbNowReadAtMs: number): boolean;
  /** Wall-clock ms of the armed deadline, or undefined. */
  readonly deadlineMs: number | undefined;
  close(): void;
}

/** Creates the timer; `onBoundary` is called when the armed boundary is reached. */
export function createExpiryTimer(options: {
  readonly onBoundary: () => void;
  readonly logger: Logger;
  readonly maxChunkMs?: number;
}): ExpiryTimer {
  const maxChunk = options.maxChunkMs ?? MAX_CHUNK_MS;
  let timer: NodeJS.Timeout | undefined;
  let deadline: number | undefined;
  let isClosed = false;

  function schedule(): void {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (deadline === undefined || isClosed) {
      return;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      deadline = undefined;
      options.onBoundary();
      return;
    }
    timer = setTimeout(schedule, Math.min(remaining, maxChunk));
  }

  const deadlineFor = (dbNow: Date, nextBoundaryAt: Date, dbNowReadAtMs: number): number =>
    dbNowReadAtMs + Math.max(0, nextBoundaryAt.getTime() - dbNow.getTime()) + BOUNDARY_SLACK_MS;

  return {
    armEarlier(dbNow, nextBoundaryAt, dbNowReadAtMs) {
      if (isClosed || nextBoundaryAt === null) {
        return false;
      }
      const candidate = deadlineFor(dbNow, nextBoundaryAt, dbNowReadAtMs);
      if (deadline !== undefined && candidate >= deadline) {
        return false;
      }
      deadline = candidate;
      schedule();
      return true;
    },
    arm(dbNow, nextBoundaryAt, dbNowReadAtMs) {
      if (isClosed) {
        return;
      }
      deadline = nextBoundaryAt === null ? undefined : deadlineFor(dbNow, nextBoundaryAt, dbNowReadAtMs);
      options.logger.debug(
        {
          nextBoundaryAt: nextBoundaryAt?.toISOString() ?? null,
          inMs: deadline === undefined ? null : deadline - Date.now(),
        },
        'expiry timer armed',
      );
      schedule();
    },
    get deadlineMs() {
      return deadline;
    },
    close() {
      isClosed = true;
      deadline = undefined;
      if (timer !== undefined) {
        clearTimeout(timer);
      }
    },
  };
}
