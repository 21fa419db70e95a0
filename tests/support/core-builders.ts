/** Input builders with overrides for the pure core's tests and benchmarks. */
import {
  asClientEmail,
  asInboundId,
  asKeyId,
  asPanelId,
  asUserId,
  type ClientEmail,
  type KeyRecord,
  type ObservedClient,
  type ObservedInbound,
  type PanelObservation,
  type ReconcilePolicy,
} from '../../src/domain/index.ts';

/** A fixed moment for tests. */
export const NOW = new Date('2026-06-01T12:00:00.000Z');

/** Default policy: no margin, valve 10 / 20 %. */
export const POLICY: ReconcilePolicy = { expiryMarginMs: undefined, valveMin: 10, valvePercent: 20 };

/** An entitled, live key on panel 1, inbound 1 (vless). */
export function keyRecord(id: number, overrides: Partial<KeyRecord> = {}): KeyRecord {
  return {
    keyId: asKeyId(id),
    userId: asUserId(id),
    telegramId: 1000 + id,
    panelId: asPanelId(1),
    inboundId: asInboundId(1),
    email: asClientEmail(`kw-${id}`),
    clientUuid: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
    secret: `secret-${id}`,
    subId: `sub${id}`,
    flow: '',
    isRevoked: false,
    isBanned: false,
    isEntitled: true,
    entitledUntilMs: NOW.getTime() + 86_400_000,
    hasHadSubscription: true,
    quotaBytes: null,
    latestPeriodId: '1',
    currentPeriodId: '1',
    quotaBaseline: null,
    previousDesiredKind: null,
    entitledSinceMs: NOW.getTime() - 86_400_000,
    lastEndedAtMs: null,
    ...overrides,
  };
}

/** A client matching `keyRecord(id)` in its enabled desired state. */
export function observedClient(id: number, overrides: Partial<ObservedClient> = {}): ObservedClient {
  return {
    email: asClientEmail(`kw-${id}`),
    inboundIds: [asInboundId(1)],
    uuid: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
    password: undefined,
    auth: undefined,
    isClientEnabled: true,
    isTrafficEnabled: true,
    isEffectivelyEnabled: true,
    expiryTimeMs: 0,
    totalBytes: 0,
    upBytes: 0,
    downBytes: 0,
    resetDays: 0,
    hasPanelRenewal: false,
    flow: '',
    subId: `sub${id}`,
    tgId: 1000 + id,
    comment: '',
    limitIp: 0,
    ...overrides,
  };
}

/** Inbound 1 of panel 1, vless. */
export function observedInbound(overrides: Partial<ObservedInbound> = {}): ObservedInbound {
  return {
    isFlowDisabled: false,
    panelId: asPanelId(1),
    id: asInboundId(1),
    protocol: 'vless',
    port: 443,
    remark: 'vless-443',
    listen: '',
    isEnabled: true,
    settings: {},
    streamSettings: {},
    ...overrides,
  };
}

/** A G2 observation with the given clients on inbound 1. */
export function observation(
  clients: ReadonlyArray<ObservedClient>,
  duplicates: ClientEmail[] = [],
): PanelObservation {
  return {
    generation: 'g2',
    inbounds: [observedInbound()],
    clients: new Map(clients.map((client) => [client.email, client])),
    duplicateEmails: duplicates,
  };
}
