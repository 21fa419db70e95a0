/**
 * Drift that keywarden reports instead of fixing, and the reason an operator reads in `plan`,
 * `status` and `key_state.needs_human`. Pure.
 */
import type { DriftKind, KeyDiff } from './diff.ts';
import { assertNever } from './result.ts';

/** Drift kinds that need a human: fixing them automatically would break a user's link or is impossible. */
export const NEEDS_HUMAN_KINDS = [
  'identity-mismatch',
  'duplicate-email',
  'missing-inbound',
] as const satisfies ReadonlyArray<DriftKind>;

/** A drift kind that needs a human. */
export type NeedsHumanKind = (typeof NEEDS_HUMAN_KINDS)[number];

const isNeedsHuman = (kind: DriftKind): kind is NeedsHumanKind =>
  (NEEDS_HUMAN_KINDS as ReadonlyArray<DriftKind>).includes(kind);

function describe(kind: NeedsHumanKind, entry: KeyDiff): string {
  switch (kind) {
    case 'missing-inbound':
      return `missing-inbound: inbound ${String(entry.desired.key.inboundId)} is not on the panel, so the key cannot be served; restore the inbound or move the key`;
    case 'identity-mismatch':
      return "identity-mismatch: the panel client's UUID or password differs from the key's; fix it on the panel or reissue the key";
    case 'duplicate-email':
      return 'duplicate-email: the email is on several inbounds of the panel; remove the extra copies';
    default:
      return assertNever(kind, 'needs-human kind');
  }
}

/** The drift of `entry` that needs a human, by kind. */
export function needsHumanKinds(entry: KeyDiff): ReadonlyArray<NeedsHumanKind> {
  return entry.drift.filter(isNeedsHuman);
}

/** Why `entry` needs a human (one line per kind, joined by "; "), or null when it does not. */
export function needsHumanReason(entry: KeyDiff): string | null {
  const kinds = needsHumanKinds(entry);
  return kinds.length === 0 ? null : kinds.map((kind) => describe(kind, entry)).join('; ');
}
