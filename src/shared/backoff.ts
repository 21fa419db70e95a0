/** Exponential backoff with full jitter, as client-go's ItemExponentialFailureRateLimiter plus jitter. */
export interface BackoffPolicy {
  /** Delay after the first failure, in ms. */
  readonly baseMs: number;
  /** Upper bound for any delay, in ms. */
  readonly maxMs: number;
}

/** The reconciler's default: 1 s after the first failure, doubling, capped at 5 min (DESIGN.md §5). */
export const DEFAULT_BACKOFF = { baseMs: 1_000, maxMs: 300_000 } as const satisfies BackoffPolicy;

/**
 * Delay before retry number `attempt` (1 = after the first failure). The result lies in
 * [ceiling/2, ceiling] where ceiling = min(max, base·2^(attempt-1)), so retries spread out but never
 * come back sooner than half the nominal delay. `random` is injectable for tests.
 */
export function backoffDelayMs(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
