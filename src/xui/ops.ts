/**
 * What each API generation implements; panel-client.ts picks one by probing (reference/xui-api.md §0).
 */
import type { ClientEmail } from '../domain/ids.ts';
import type { ObservedClient, PanelObservation } from '../domain/observed.ts';
import type { ClientFields } from '../domain/desired.ts';
import type { BulkResult, NewClient } from '../reconciler/ports.ts';

/** The PanelClient operations that differ between G1 and G2. */
export interface GenerationOps {
  observe(signal: AbortSignal): Promise<PanelObservation>;
  getClient(email: ClientEmail, signal: AbortSignal): Promise<ObservedClient | null>;
  createClient(client: NewClient, signal: AbortSignal): Promise<void>;
  updateClient(email: ClientEmail, fields: ClientFields, signal: AbortSignal): Promise<ObservedClient>;
  setEnabled(emails: ReadonlyArray<ClientEmail>, enable: boolean, signal: AbortSignal): Promise<BulkResult>;
  deleteClient(email: ClientEmail, signal: AbortSignal): Promise<void>;
}

/**
 * The wire object for a new client (§4.2): identity by protocol, managed fields, and the metadata we
 * own. `limitIp` is 0: keywarden does not manage it.
 */
export function newClientWire(client: NewClient): Record<string, unknown> {
  const wire: Record<string, unknown> = {};
  switch (client.protocol) {
    case 'vmess':
      wire.id = client.uuid;
      wire.security = 'auto';
      break;
    case 'vless':
      wire.id = client.uuid;
      wire.flow = client.flow;
      break;
    case 'trojan':
    case 'shadowsocks':
      wire.password = client.secret;
      break;
    case 'hysteria':
      wire.auth = client.secret;
      break;
    default:
      wire.id = client.uuid;
  }
  wire.email = client.email;
  wire.enable = client.enable;
  wire.expiryTime = client.expiryTimeMs;
  wire.totalGB = client.totalBytes;
  wire.limitIp = 0;
  wire.tgId = client.tgId;
  wire.subId = client.subId;
  wire.comment = client.comment;
  wire.reset = client.resetDays;
  return wire;
}

/**
 * Applies the managed fields to a full wire object (read-modify-write, §7.1). Every other key goes back
 * as read, including keys this code does not know: the panel rebuilds the client from the body and
 * resets whatever is missing. Where the panel has them (main / 3.7+), the renewal knobs are pinned so
 * it cannot revive or renew a managed client on its own (§8): no calendar renew day (`resetDay` 0) and
 * no traffic reset cycle (`trafficReset` `never`); `resetMax`, `trafficResetDay` and `limitHwid` stay
 * as read.
 */
export function applyManagedFields(
  wire: Readonly<Record<string, unknown>>,
  fields: ClientFields,
  protocol: string | undefined,
): Record<string, unknown> {
  const next: Record<string, unknown> = {
    ...wire,
    enable: fields.enable,
    expiryTime: fields.expiryTimeMs,
    totalGB: fields.totalBytes,
    reset: fields.resetDays,
  };
  if ('resetDay' in wire) {
    next.resetDay = 0;
  }
  if ('trafficReset' in wire) {
    next.trafficReset = 'never';
  }
  // flow only means something on vless; elsewhere keep whatever the panel stored.
  if (protocol === 'vless' || (protocol === undefined && 'flow' in wire)) {
    next.flow = fields.flow;
  }
  return next;
}
