/**
 * Drift that keywarden reports instead of fixing, and the reason an operator reads in `plan`,
 * `status` and `key_state.needs_human`. Pure.
 */
import type { DriftKind } from './diff.ts';
import type { InboundId } from './ids.ts';
import { assertNever } from './result.ts';

/** Identical corrections of one key within FIX_WINDOW_MS after which keywarden stops re-applying it. */
export const FIX_ATTEMPTS = 3;
/** The window in which identical corrections are counted (and the backoff before trying again). */
export const FIX_WINDOW_MS = 60 * 60_000;

/** Drift kinds that need a human: fixing them automatically would break a user's link or is impossible. */
export const NEEDS_HUMAN_KINDS = [
  'identity-mismatch',
  'duplicate-email',
  'missing-inbound',
  'fix-not-sticking',
] as const satisfies ReadonlyArray<DriftKind>;

/** A drift kind that needs a human. */
export type NeedsHumanKind = (typeof NEEDS_HUMAN_KINDS)[number];

const isNeedsHuman = (kind: DriftKind): kind is NeedsHumanKind =>
  (NEEDS_HUMAN_KINDS as ReadonlyArray<DriftKind>).includes(kind);

function describe(kind: NeedsHumanKind, inboundId: InboundId, drift: ReadonlyArray<DriftKind>): string {
  switch (kind) {
    case 'fix-not-sticking': {
      const undone = drift.filter((other) => other !== 'fix-not-sticking').join(', ');
      return `fix-not-sticking: keywarden corrected ${undone} ${String(FIX_ATTEMPTS)} times within the hour and the panel undid it each time; it stopped re-applying (fix the cause on the panel; it tries again after an hour)`;
    }
    case 'missing-inbound':
      return `missing-inbound: inbound ${String(inboundId)} is not on the panel, so the key cannot be served; restore the inbound or move the key`;
    case 'identity-mismatch':
      return "identity-mismatch: the panel client's UUID or password differs from the key's; fix it on the panel or reissue the key";
    case 'duplicate-email':
      return 'duplicate-email: the email is on several inbounds of the panel; remove the extra copies';
    default:
      return assertNever(kind, 'needs-human kind');
  }
}

/** The kinds in `drift` that need a human. */
export function needsHumanKinds(drift: ReadonlyArray<DriftKind>): ReadonlyArray<NeedsHumanKind> {
  return drift.filter(isNeedsHuman);
}

/**
 * Why a key on `inboundId` with `drift` needs a human (one clause per kind, joined by "; "), or null
 * when it does not.
 */
export function needsHumanReason(drift: ReadonlyArray<DriftKind>, inboundId: InboundId): string | null {
  const kinds = needsHumanKinds(drift);
  return kinds.length === 0 ? null : kinds.map((kind) => describe(kind, inboundId, drift)).join('; ');
}
