/**
 * The verdict on one key after planning (pure): what it should be, what was seen, how they differ,
 * what will be done (or held), where that leaves the key, and which messages to send once the action
 * is applied. The controller applies the actions; `recordPanelPass` (record.ts) turns verdicts and
 * the apply results into what a pass records.
 */
import type { UserId } from './ids.ts';
import type { DesiredKey, DesiredReason } from './desired.ts';
import type { DriftKind } from './diff.ts';
import type { ObservedClient } from './observed.ts';
import { NEEDS_HUMAN_KINDS } from './needs-human.ts';
import type { Action, HoldCause } from './plan.ts';

/**
 * Where planning leaves a key:
 * - `converged`: desired and observed agree, nothing to do;
 * - `pending`: an action is planned (its outcome decides the recorded state);
 * - `held`: its disable is held by the safety valve;
 * - `needs-human`: it drifts in a way keywarden does not fix (identity, duplicate email, no inbound);
 * - `unknown`: its panel could not be read, nothing is known or done.
 */
export type KeyStatus = 'converged' | 'pending' | 'held' | 'needs-human' | 'unknown';

/** A message for the bot to send once the key's action is applied, deduplicated by `dedupeKey`. */
export interface Notice {
  readonly userId: UserId;
  readonly kind: 'access-suspended' | 'access-reactivated';
  readonly dedupeKey: string;
  readonly payload: Readonly<Record<string, unknown>>;
}

/** The verdict on one key of one panel. */
export interface KeyVerdict {
  readonly desired: DesiredKey;
  /** The client as read; null = confirmed absent; undefined = the panel was not read. */
  readonly observed: ObservedClient | null | undefined;
  readonly drift: ReadonlyArray<DriftKind>;
  /** The action to apply this pass, or null (nothing to do, held, or unknown). */
  readonly action: Action | null;
  /** The held action and why, or null. */
  readonly hold: { readonly action: Action; readonly cause: HoldCause } | null;
  readonly status: KeyStatus;
  /** Messages to send if `action` is applied. */
  readonly notices: ReadonlyArray<Notice>;
}

/** Drift that keywarden reports but does not fix: a human decides (a key with it never converges). */
export const NEEDS_HUMAN_DRIFT: ReadonlySet<DriftKind> = new Set<DriftKind>(NEEDS_HUMAN_KINDS);

/** True when `drift` holds a kind that only a human can resolve. */
export const needsHuman = (drift: ReadonlyArray<DriftKind>): boolean =>
  drift.some((kind) => NEEDS_HUMAN_DRIFT.has(kind));

const SUSPENDING: ReadonlySet<DesiredReason> = new Set<DesiredReason>([
  'banned',
  'expired',
  'no-subscription',
  'quota-exhausted',
]);

/**
 * The messages an applied `action` on `desired`'s key causes: a suspension when a key is switched
 * off for lack of access, a reactivation when a key that was recorded disabled is switched back on.
 */
export function noticesFor(desired: DesiredKey, action: Action, panelName: string): Notice[] {
  const key = desired.key;
  const payload = { keyId: key.keyId, email: key.email, panel: panelName, reason: action.reason };
  if (action.kind === 'disable' && SUSPENDING.has(action.reason)) {
    return [
      {
        userId: key.userId,
        kind: 'access-suspended',
        dedupeKey: `access-suspended:${key.userId}:${key.latestPeriodId ?? 'none'}:${action.reason}`,
        payload,
      },
    ];
  }
  if ((action.kind === 'enable' || action.kind === 'create') && key.previousDesiredKind === 'disabled') {
    return [
      {
        userId: key.userId,
        kind: 'access-reactivated',
        dedupeKey: `access-reactivated:${key.userId}:${key.latestPeriodId ?? 'none'}`,
        payload,
      },
    ];
  }
  return [];
}

/** The status of a key on a read panel given its drift and what the plan does about it. */
export function statusOf(
  drift: ReadonlyArray<DriftKind>,
  action: Action | null,
  hold: { readonly cause: HoldCause } | null,
): KeyStatus {
  if (hold !== null) {
    return 'held';
  }
  if (action !== null) {
    return 'pending';
  }
  return drift.length === 0 ? 'converged' : 'needs-human';
}
