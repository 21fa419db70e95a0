/**
 * Desired state of a key (DESIGN.md §4): what its client should look like on its panel at `now`,
 * and why. Pure: the clock is an argument, quota usage comes from the panel's observation.
 *
 * Quotas count per period: the panel's up+down never resets for managed clients (reset = 0), so the
 * key carries a baseline (the up+down observed when its current period began being counted) and
 * usage this period is up+down minus the baseline.
 */
import { keepableFlow } from './flow.ts';
import type { ObservedInbound } from './observed.ts';
import type { KeyRecord, QuotaBaseline } from './snapshot.ts';
import type { ReconcilePolicy } from './policy.ts';

/** Why a key should be off. */
export type DisabledReason = 'revoked' | 'banned' | 'quota-exhausted' | 'expired' | 'no-subscription';
/** Why a key is in its desired state; recorded in `key_state.desired.reason` and metrics. */
export type DesiredReason = 'entitled' | DisabledReason;

/** Every desired reason, for metrics and tables. */
export const DESIRED_REASONS = [
  'entitled',
  'revoked',
  'banned',
  'quota-exhausted',
  'expired',
  'no-subscription',
] as const satisfies ReadonlyArray<DesiredReason>;

/**
 * The client fields keywarden manages, in plans and in the PanelClient port; everything else on a
 * client is preserved by read-modify-write.
 * Times in ms since the epoch (0 = never), quota in bytes (0 = unlimited), reset in days (always 0).
 */
export interface ClientFields {
  readonly enable: boolean;
  readonly expiryTimeMs: number;
  readonly totalBytes: number;
  readonly resetDays: number;
  readonly flow: string;
}

/** The desired state of one key: enabled with the exact fields to set, or disabled with a reason. */
export type DesiredKey =
  | {
      readonly kind: 'enabled';
      readonly key: KeyRecord;
      readonly reason: 'entitled';
      /**
       * Enable, expiry (0 or coverage end + margin), totalGB (baseline + plan quota, or 0 when the
       * plan is unlimited), reset 0, the key's flow.
       */
      readonly fields: ClientFields;
      /** The traffic baseline of the key's current period, to store (see {@link quotaBaselineOf}). */
      readonly baseline: QuotaBaseline | null;
    }
  | {
      readonly kind: 'disabled';
      readonly key: KeyRecord;
      readonly reason: DisabledReason;
      /** The traffic baseline of the key's current period, to store (see {@link quotaBaselineOf}). */
      readonly baseline: QuotaBaseline | null;
    };

/**
 * The traffic baseline of `key`'s current period given the client's observed up+down (`usedBytes`,
 * undefined when the client is absent). Null when no period covers `now` (nothing to count; the stored
 * baseline is kept). The stored baseline holds while it belongs to the current period, unless the
 * counters went below it (an admin reset them on the panel): then it is 0. A period seen for the first
 * time starts counting at what is observed now (0 for an absent client, which is created fresh).
 */
export function quotaBaselineOf(key: KeyRecord, usedBytes: number | undefined): QuotaBaseline | null {
  const periodId = key.currentPeriodId;
  if (periodId === null) {
    return null;
  }
  const stored = key.quotaBaseline;
  if (stored !== null && stored.periodId === periodId) {
    // Counters below the baseline: an admin reset them on the panel. Else the stored one holds.
    return usedBytes !== undefined && usedBytes < stored.bytes ? { periodId, bytes: 0 } : stored;
  }
  return { periodId, bytes: usedBytes ?? 0 };
}

/**
 * The panel clock offset (ms ahead of ours) above which an expiryTime of coverage end + margin is no
 * longer safe: half the margin, and never less than 2 s (the `Date` header has a 1 s resolution).
 * The other half of the margin is left for the estimate's error and the panel job's 5 s cadence.
 */
export function skewToleranceMs(expiryMarginMs: number): number {
  return Math.max(2_000, expiryMarginMs / 2);
}

/**
 * Computes the desired state of `key` at `now`. `usedBytes` is the client's cumulative up+down as
 * observed (undefined when the client is absent): an entitled key whose plan quota is used up this
 * period (up+down minus the period's baseline) is disabled. An entitled key with a quota gets
 * totalGB = baseline + quota, so the panel's own depletion job (xui-api.md §8) trips at the same
 * moment and never turns off an entitled key early; an unlimited plan gets totalGB 0.
 * Order of precedence: revoked, banned, not entitled, quota exhausted, entitled.
 *
 * `panelClockOffsetMs` is how far the panel's clock is ahead of ours (undefined: unknown). The panel
 * expires a client when ITS clock passes expiryTime, so with an offset beyond
 * {@link skewToleranceMs} an entitled key gets expiryTime 0 (never): keywarden still disables it on
 * time by its own clock, and the panel never cuts off a payer early.
 */
export function computeDesired(
  key: KeyRecord,
  policy: ReconcilePolicy,
  usedBytes: number | undefined,
  inbound?: ObservedInbound | null,
  panelClockOffsetMs?: number,
): DesiredKey {
  const baseline = quotaBaselineOf(key, usedBytes);
  if (key.isRevoked) {
    return { kind: 'disabled', key, reason: 'revoked', baseline };
  }
  if (key.isBanned) {
    return { kind: 'disabled', key, reason: 'banned', baseline };
  }
  if (!key.isEntitled) {
    const reason = key.hasHadSubscription ? 'expired' : 'no-subscription';
    return { kind: 'disabled', key, reason, baseline };
  }
  const quota = key.quotaBytes ?? 0;
  const baselineBytes = baseline?.bytes ?? 0;
  if (quota > 0 && usedBytes !== undefined && usedBytes - baselineBytes >= quota) {
    return { kind: 'disabled', key, reason: 'quota-exhausted', baseline };
  }
  // With a margin, the panel's own job disables the client even if keywarden is down; the margin
  // keeps the panel from racing us at the boundary (xui-api.md §8).
  const isPanelAhead =
    policy.expiryMarginMs !== undefined &&
    panelClockOffsetMs !== undefined &&
    panelClockOffsetMs > skewToleranceMs(policy.expiryMarginMs);
  const expiryTimeMs =
    policy.expiryMarginMs === undefined || key.entitledUntilMs === null || isPanelAhead
      ? 0
      : key.entitledUntilMs + policy.expiryMarginMs;
  return {
    kind: 'enabled',
    key,
    reason: 'entitled',
    fields: {
      enable: true,
      expiryTimeMs,
      totalBytes: quota > 0 ? baselineBytes + quota : 0,
      resetDays: 0,
      // The flow the key's inbound can keep: the panel clears it elsewhere, and asking again would
      // fight the panel on every pass (flow.ts). Unknown inbound: the key's own.
      flow: keepableFlow(key.flow, inbound),
    },
    baseline,
  };
}
