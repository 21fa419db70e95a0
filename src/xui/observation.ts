/**
 * Maps parsed wire data to the observed vocabulary (src/domain/observed.ts). The effective state is
 * computed here, once, for both generations: inbound enabled AND client enable AND ClientTraffic enable
 * (reference/xui-api.md §4.4; up to v2.9.3 the depletion job clears only the traffic row).
 */
import { asClientEmail, asInboundId, type ClientEmail, type PanelId } from '../domain/ids.ts';
import type { ApiGeneration, ObservedClient, ObservedInbound, PanelObservation } from '../domain/observed.ts';
import type { WireClient, WireInbound, WireTraffic } from './wire.ts';

/** Builds one observed client from its wire parts. A missing traffic row counts as enabled. */
export function toObservedClient(
  client: WireClient,
  inboundIds: ReadonlyArray<number>,
  isInboundEnabled: boolean,
  traffic: WireTraffic | undefined,
): ObservedClient {
  const isTrafficEnabled = traffic?.enable ?? true;
  return {
    email: asClientEmail(client.email),
    inboundIds: inboundIds.map(asInboundId),
    uuid: client.uuid,
    password: client.password,
    auth: client.auth,
    isClientEnabled: client.enable,
    isTrafficEnabled,
    isEffectivelyEnabled: isInboundEnabled && client.enable && isTrafficEnabled,
    expiryTimeMs: client.expiryTime,
    totalBytes: client.totalGB,
    upBytes: traffic?.up ?? 0,
    downBytes: traffic?.down ?? 0,
    resetDays: client.reset,
    hasPanelRenewal: client.resetDay > 0 || (client.trafficReset !== '' && client.trafficReset !== 'never'),
    flow: client.flow,
    subId: client.subId,
    tgId: client.tgId,
    comment: client.comment,
    limitIp: client.limitIp,
  };
}

/** Maps an inbound without its client list. */
export function toObservedInbound(panelId: PanelId, inbound: WireInbound): ObservedInbound {
  return {
    panelId,
    id: asInboundId(inbound.id),
    protocol: inbound.protocol,
    port: inbound.port,
    remark: inbound.remark,
    listen: inbound.listen,
    isEnabled: inbound.enable,
    settings: inbound.settings,
    streamSettings: inbound.streamSettings,
    isFlowDisabled: inbound.disableFlow,
  };
}

/** Indexes every inbound's clientStats by lower-cased email (rows are per email, not per inbound, §4.4). */
export function indexTraffic(inbounds: ReadonlyArray<WireInbound>): Map<string, WireTraffic> {
  const traffic = new Map<string, WireTraffic>();
  for (const inbound of inbounds) {
    for (const row of inbound.clientStats) {
      traffic.set(row.email.toLowerCase(), row);
    }
  }
  return traffic;
}

/**
 * Builds a complete observation from `inbounds/list`. On G1 an email on two inbounds is a duplicate
 * (emails are unique across inbounds, §4.2); on G2 it is one identity attached to several inbounds.
 */
export function buildObservation(
  panelId: PanelId,
  generation: ApiGeneration,
  inbounds: ReadonlyArray<WireInbound>,
): PanelObservation {
  const traffic = indexTraffic(inbounds);
  const found = new Map<string, { client: WireClient; inboundIds: number[]; isInboundEnabled: boolean }>();
  const duplicates = new Set<ClientEmail>();
  for (const inbound of inbounds) {
    for (const client of inbound.clients) {
      const key = client.email.toLowerCase();
      const seen = found.get(key);
      if (seen === undefined) {
        found.set(key, { client, inboundIds: [inbound.id], isInboundEnabled: inbound.enable });
        continue;
      }
      if (generation === 'g1' || seen.inboundIds.includes(inbound.id)) {
        duplicates.add(asClientEmail(client.email));
      }
      seen.inboundIds.push(inbound.id);
      seen.isInboundEnabled ||= inbound.enable;
    }
  }
  const clients = new Map<ClientEmail, ObservedClient>();
  for (const [key, entry] of found) {
    const observed = toObservedClient(
      entry.client,
      entry.inboundIds,
      entry.isInboundEnabled,
      traffic.get(key),
    );
    clients.set(observed.email, observed);
  }
  return {
    generation,
    inbounds: inbounds.map((inbound) => toObservedInbound(panelId, inbound)),
    clients,
    duplicateEmails: [...duplicates],
  };
}

/** The identity key 3x-ui matches a G1 path clientId against (§6.1). */
export function identityKey(protocol: string): 'id' | 'password' | 'email' | 'auth' {
  switch (protocol) {
    case 'trojan':
      return 'password';
    case 'shadowsocks':
      return 'email';
    case 'hysteria':
      return 'auth';
    default:
      return 'id';
  }
}
