/**
 * What the bot tells a user about one key, read from `key_state` (written only by the reconciler).
 * The parser is deliberately tolerant: `desired` is the reconciler's JSON, and any shape it does not
 * recognise becomes "being set up" (not converged yet) or "problem" (converged on something we cannot
 * read), never an exception and never "active".
 */

/** Why a key is off, as `key_state.desired.reason` says (DESIGN.md §4); `other` for anything else. */
export type SuspendReason =
  'expired' | 'no-subscription' | 'banned' | 'quota-exhausted' | 'revoked' | 'other';

/** The status shown next to a key. */
export type KeyStatus =
  | { readonly kind: 'active' }
  | { readonly kind: 'suspended'; readonly reason: SuspendReason }
  | { readonly kind: 'setting-up' }
  | { readonly kind: 'problem'; readonly error: string | null };

/** The key_state columns the status is made from; null when the reconciler has no row yet. */
export interface KeyStateRow {
  readonly desired: unknown;
  readonly converged: boolean;
  readonly lastError: string | null;
}

const REASONS: ReadonlySet<string> = new Set([
  'expired',
  'no-subscription',
  'banned',
  'quota-exhausted',
  'revoked',
]);

/** Maps a key's key_state row (or its absence) to the status a user sees. */
export function keyStatusOf(state: KeyStateRow | null): KeyStatus {
  if (state === null) {
    return { kind: 'setting-up' };
  }
  if (!state.converged && state.lastError !== null && state.lastError.length > 0) {
    return { kind: 'problem', error: state.lastError };
  }
  const desired =
    typeof state.desired === 'object' && state.desired !== null
      ? (state.desired as Readonly<Record<string, unknown>>)
      : {};
  const kind = desired['kind'];
  if (!state.converged) {
    return { kind: 'setting-up' };
  }
  if (kind === 'enabled') {
    return { kind: 'active' };
  }
  if (kind === 'disabled') {
    const reason = desired['reason'];
    return {
      kind: 'suspended',
      reason: typeof reason === 'string' && REASONS.has(reason) ? (reason as SuspendReason) : 'other',
    };
  }
  return { kind: 'problem', error: null };
}
