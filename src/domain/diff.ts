/**
 * Drift between desired and observed state of one panel: which keys differ and how, which clients on
 * the panel are not ours (orphans, reported only), and which emails are duplicated.
 */
import type { ClientEmail, PanelId } from './ids.ts';
import type { ObservedClient, ObservedInbound, PanelObservation } from './observed.ts';
import type { DesiredKey } from './desired.ts';

/** Kinds of drift, the `kind` label of `keywarden_drift`. */
export type DriftKind =
  | 'missing-client'
  | 'orphan-client'
  | 'enabled-should-be-off'
  | 'disabled-should-be-on'
  | 'expiry-mismatch'
  | 'quota-mismatch'
  | 'reset-nonzero'
  | 'identity-mismatch'
  | 'flow-mismatch'
  | 'duplicate-email'
  /** An entitled key's inbound is not on the panel: its client cannot be created (needs a human). */
  | 'missing-inbound'
  /** The same correction was applied FIX_ATTEMPTS times recently and the panel undid it each time. */
  | 'fix-not-sticking';

/** Every drift kind, for metrics (a gauge at 0 is still exported). */
export const DRIFT_KINDS = [
  'missing-client',
  'orphan-client',
  'enabled-should-be-off',
  'disabled-should-be-on',
  'expiry-mismatch',
  'quota-mismatch',
  'reset-nonzero',
  'identity-mismatch',
  'flow-mismatch',
  'duplicate-email',
  'missing-inbound',
  'fix-not-sticking',
] as const satisfies ReadonlyArray<DriftKind>;

/** One key compared with its client. */
export interface KeyDiff {
  readonly desired: DesiredKey;
  /** The client as observed; null when the panel has no client with the key's email. */
  readonly observed: ObservedClient | null;
  /** The key's inbound as observed; null when the panel has no such inbound. */
  readonly inbound: ObservedInbound | null;
  readonly drift: ReadonlyArray<DriftKind>;
}

/** A panel compared with the desired state of its keys. */
export interface PanelDiff {
  readonly panelId: PanelId;
  readonly keys: ReadonlyArray<KeyDiff>;
  /** Clients on the panel that no key of ours names: reported, never deleted (DESIGN.md §4). */
  readonly orphans: ReadonlyArray<ClientEmail>;
  readonly duplicates: ReadonlyArray<ClientEmail>;
  /** Managed clients the panel currently serves (client flag on): the valve's denominator. */
  readonly enabledCount: number;
}

/** The identity the panel matches a client by, per protocol (xui-api.md §6.1). */
function identityMatches(desired: DesiredKey, client: ObservedClient, protocol: string | undefined): boolean {
  switch (protocol ?? '') {
    case 'vmess':
    case 'vless':
      // Equal as stored (the usual case) needs no lower-cased copies.
      return (
        client.uuid === undefined ||
        client.uuid === desired.key.clientUuid ||
        client.uuid.toLowerCase() === desired.key.clientUuid.toLowerCase()
      );
    case 'trojan':
    case 'shadowsocks':
      return client.password === undefined || client.password === desired.key.secret;
    case 'hysteria':
      return client.auth === undefined || client.auth === desired.key.secret;
    default:
      return true;
  }
}

/** No drift: one shared empty list (most keys of a pass have none). */
const NO_DRIFT: ReadonlyArray<DriftKind> = Object.freeze([]);

/** Lists the drift of one key against its observed client. */
export function diffKey(
  desired: DesiredKey,
  observed: ObservedClient | null,
  inbound: ObservedInbound | null,
): ReadonlyArray<DriftKind> {
  return driftOf(desired, observed, inbound, false);
}

function finish(drift: DriftKind[], isDuplicate: boolean): ReadonlyArray<DriftKind> {
  if (isDuplicate) {
    drift.push('duplicate-email');
  }
  return drift.length === 0 ? NO_DRIFT : drift;
}

/** diffKey, plus `duplicate-email` when `isDuplicate`. */
function driftOf(
  desired: DesiredKey,
  observed: ObservedClient | null,
  inbound: ObservedInbound | null,
  isDuplicate: boolean,
): ReadonlyArray<DriftKind> {
  const drift: DriftKind[] = [];
  if (inbound === null && desired.kind === 'enabled') {
    // A disabled key needs nothing of its inbound; an entitled one cannot be served without it.
    drift.push('missing-inbound');
  }
  if (observed === null) {
    // A disabled key needs no client; a live, entitled key does (created with its stored identity).
    if (desired.kind === 'enabled') {
      drift.push('missing-client');
    }
    return finish(drift, isDuplicate);
  }
  if (!identityMatches(desired, observed, inbound?.protocol)) {
    drift.push('identity-mismatch');
  }
  if (observed.resetDays !== 0 || observed.hasPanelRenewal) {
    // Auto-renew or a traffic reset cycle would revive a disabled key behind our back (xui-api.md §8).
    drift.push('reset-nonzero');
  }
  if (desired.kind === 'disabled') {
    if (observed.isClientEnabled) {
      drift.push('enabled-should-be-off');
    }
    return finish(drift, isDuplicate);
  }
  if (!observed.isClientEnabled || !observed.isTrafficEnabled) {
    drift.push('disabled-should-be-on');
  }
  if (observed.expiryTimeMs !== desired.fields.expiryTimeMs) {
    drift.push('expiry-mismatch');
  }
  if (observed.totalBytes !== desired.fields.totalBytes) {
    drift.push('quota-mismatch');
  }
  if (observed.flow !== desired.fields.flow) {
    drift.push('flow-mismatch');
  }
  return finish(drift, isDuplicate);
}

/** Compares the desired keys of one panel with the panel's observation. */
export function diffPanel(
  panelId: PanelId,
  desired: ReadonlyArray<DesiredKey>,
  observation: PanelObservation,
): PanelDiff {
  const ours = new Set<string>();
  const inbounds = new Map(observation.inbounds.map((inbound) => [inbound.id, inbound]));
  let enabledCount = 0;
  const duplicates = new Set<string>(observation.duplicateEmails);
  const keys = desired.map((entry): KeyDiff => {
    ours.add(entry.key.email);
    const observed = observation.clients.get(entry.key.email) ?? null;
    const inbound = inbounds.get(entry.key.inboundId) ?? null;
    if (observed?.isClientEnabled === true) {
      enabledCount += 1;
    }
    const isDuplicate = duplicates.size > 0 && duplicates.has(entry.key.email);
    return { desired: entry, observed, inbound, drift: driftOf(entry, observed, inbound, isDuplicate) };
  });
  const orphans: ClientEmail[] = [];
  for (const email of observation.clients.keys()) {
    if (!ours.has(email)) {
      orphans.push(email);
    }
  }
  orphans.sort();
  return { panelId, keys, orphans, duplicates: observation.duplicateEmails, enabledCount };
}
