/**
 * Entitlement: the one rule that decides whether a user may have access (DESIGN.md §3).
 *
 * User U is entitled at `t` iff U is not banned at `t` and some period has
 * `cancelledAt === null && startsAt <= t < endsAt + grace`. This module is the TypeScript mirror of the
 * SQL function `kw_entitlements` (migrations/001_schema.sql); tests run one table of cases through both.
 */

/** One subscription period as the entitlement rule needs it. */
export interface PeriodSpan {
  readonly startsAt: Date;
  readonly endsAt: Date;
  readonly cancelledAt: Date | null;
}

/** What entitlement is computed from. */
export interface EntitlementInput {
  /** When the user was banned; a ban in the future takes effect at that moment. */
  readonly bannedAt: Date | null;
  readonly periods: ReadonlyArray<PeriodSpan>;
}

/** The entitlement of one user at one moment. */
export interface Entitlement {
  readonly isEntitled: boolean;
  /**
   * While entitled: the first moment after `at` that no live period covers (grace included), i.e.
   * when access ends unless something changes. Null when not entitled. A ban is not counted here.
   */
  readonly entitledUntil: Date | null;
  /** The next moment after `at` at which entitlement can change (a start, an end + grace, a ban). */
  readonly nextBoundaryAt: Date | null;
}

const isLive = (p: PeriodSpan): boolean => p.cancelledAt === null;

/** Computes a user's entitlement at `at` with `graceMs` of grace after each period's end. */
export function computeEntitlement(input: EntitlementInput, at: Date, graceMs: number): Entitlement {
  const t = at.getTime();
  const live = input.periods.filter(isLive);
  const endOf = (p: PeriodSpan): number => p.endsAt.getTime() + graceMs;
  const covers = (p: PeriodSpan, moment: number): boolean =>
    p.startsAt.getTime() <= moment && moment < endOf(p);
  const banned = input.bannedAt !== null && input.bannedAt.getTime() <= t;
  const isEntitled = !banned && live.some((p) => covers(p, t));

  let entitledUntil: number | null = null;
  if (isEntitled) {
    for (const p of live) {
      const end = endOf(p);
      if (end > t && !live.some((q) => covers(q, end)) && (entitledUntil === null || end < entitledUntil)) {
        entitledUntil = end;
      }
    }
  }

  const moments = live.flatMap((p) => [p.startsAt.getTime(), endOf(p)]);
  if (input.bannedAt !== null) {
    moments.push(input.bannedAt.getTime());
  }
  const future = moments.filter((moment) => moment > t);
  const next = future.length > 0 ? Math.min(...future) : null;

  return {
    isEntitled,
    entitledUntil: entitledUntil === null ? null : new Date(entitledUntil),
    nextBoundaryAt: next === null ? null : new Date(next),
  };
}
