/**
 * Desired state of a key (DESIGN.md §4): what its client should look like on its panel at `now`,
 * and why. Pure: the clock is an argument, quota usage comes from the panel's observation.
 */
import type { KeyRecord } from './snapshot.ts';
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
 * The client fields keywarden manages (structurally the PanelClient port's ManagedClientFields).
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
      /** Enable, expiry (0 or coverage end + margin), plan quota, reset 0, the key's flow. */
      readonly fields: ClientFields;
    }
  | { readonly kind: 'disabled'; readonly key: KeyRecord; readonly reason: DisabledReason };

/**
 * Computes the desired state of `key` at `now`. `usedBytes` is the client's up+down as observed
 * (undefined when the client is absent): an entitled key whose plan quota is used up is disabled.
 * Order of precedence: revoked, banned, not entitled, quota exhausted, entitled.
 */
export function computeDesired(
  key: KeyRecord,
  policy: ReconcilePolicy,
  usedBytes: number | undefined,
): DesiredKey {
  if (key.isRevoked) {
    return { kind: 'disabled', key, reason: 'revoked' };
  }
  if (key.isBanned) {
    return { kind: 'disabled', key, reason: 'banned' };
  }
  if (!key.isEntitled) {
    return { kind: 'disabled', key, reason: key.hasHadSubscription ? 'expired' : 'no-subscription' };
  }
  const quota = key.quotaBytes ?? 0;
  if (quota > 0 && usedBytes !== undefined && usedBytes >= quota) {
    return { kind: 'disabled', key, reason: 'quota-exhausted' };
  }
  // With a margin, the panel's own job disables the client even if keywarden is down; the margin
  // keeps the panel from racing us at the boundary (xui-api.md §8).
  const expiryTimeMs =
    policy.expiryMarginMs === undefined || key.entitledUntil === null
      ? 0
      : key.entitledUntil.getTime() + policy.expiryMarginMs;
  return {
    kind: 'enabled',
    key,
    reason: 'entitled',
    fields: { enable: true, expiryTimeMs, totalBytes: quota, resetDays: 0, flow: key.flow },
  };
}
