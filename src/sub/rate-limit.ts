/**
 * Token-bucket rate limits of the subscription server, per key (a token's hash, a client address):
 * `perMinute` requests a minute with bursts up to `perMinute`. In memory, per process: replicas
 * behind a load balancer each allow the rate. Buckets that have refilled are dropped when the map
 * grows past `maxKeys`, so a flood of distinct addresses cannot grow memory without bound.
 */

/** A rate limiter: `take(key)` says whether one more request may go now, or how long to wait. */
export interface RateLimiter {
  take(
    key: string,
  ): { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };
}

/** Creates a limiter; `now` returns ms (injectable for tests). */
export function createRateLimiter(options: {
  readonly perMinute: number;
  readonly maxKeys?: number;
  readonly now?: () => number;
}): RateLimiter {
  const capacity = options.perMinute;
  const refillPerMs = options.perMinute / 60_000;
  const maxKeys = options.maxKeys ?? 100_000;
  const now = options.now ?? (() => performance.now());
  const buckets = new Map<string, { tokens: number; at: number }>();

  function prune(at: number): void {
    for (const [key, bucket] of buckets) {
      if (bucket.tokens + (at - bucket.at) * refillPerMs >= capacity) {
        buckets.delete(key);
      }
    }
    // Still too many (all of them busy): drop the oldest half rather than grow.
    if (buckets.size >= maxKeys) {
      let drop = Math.floor(buckets.size / 2);
      for (const key of buckets.keys()) {
        if (drop <= 0) {
          break;
        }
        buckets.delete(key);
        drop -= 1;
      }
    }
  }

  return {
    take(key) {
      const at = now();
      let bucket = buckets.get(key);
      if (bucket === undefined) {
        if (buckets.size >= maxKeys) {
          prune(at);
        }
        bucket = { tokens: capacity, at };
        buckets.set(key, bucket);
      } else {
        bucket.tokens = Math.min(capacity, bucket.tokens + (at - bucket.at) * refillPerMs);
        bucket.at = at;
      }
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true };
      }
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / refillPerMs / 1000)),
      };
    },
  };
}
