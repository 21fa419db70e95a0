/**
 * Wire forms of the simulated panel's records, per generation (reference/xui-api.md §4): the client
 * inside `settings.clients[]`, the G2 ClientRecord, ClientTraffic, and the inbound with settings as a
 * string (G1) or an object (G2).
 *
 * It deliberately shares no code with the client's own wire mapping (src/xui/ops.ts, wire.ts), even
 * where the two look alike: a fake built from the code under test would agree with that code's bugs.
 */
import type { PanelModel, SimClient, SimInbound, SimTraffic } from './model/store.ts';
import type { ProfileTraits } from './profiles.ts';

/** main / 3.7+: the renewal and traffic-reset cycle of `model.Client` (§4.2). */
function cycleFields(client: SimClient): Record<string, unknown> {
  return {
    resetDay: client.resetDay,
    resetMax: client.resetMax,
    trafficReset: client.trafficReset,
    trafficResetDay: client.trafficResetDay,
  };
}

/** A client as stored in `settings.clients[]` of an inbound with this protocol. */
export function renderSettingsClient(
  client: SimClient,
  protocol: string,
  generation: 'g1' | 'g2',
  traits?: ProfileTraits,
): Record<string, unknown> {
  const wire: Record<string, unknown> = generation === 'g1' ? { ...client.extra } : {};
  switch (protocol) {
    case 'vmess':
      wire.id = client.uuid;
      wire.security = client.security === '' ? 'auto' : client.security;
      break;
    case 'vless':
      wire.id = client.uuid;
      wire.flow = client.flow;
      break;
    case 'trojan':
    case 'shadowsocks':
      wire.password = client.password;
      break;
    case 'hysteria':
      wire.auth = client.auth;
      break;
    default:
      wire.id = client.uuid;
  }
  wire.email = client.email;
  wire.enable = client.enable;
  wire.expiryTime = client.expiryTime;
  wire.totalGB = client.totalGB;
  wire.limitIp = client.limitIp;
  wire.tgId = client.tgId;
  wire.subId = client.subId;
  wire.reset = client.reset;
  wire.comment = client.comment;
  if (generation === 'g2') {
    wire.group = client.group;
  }
  if (traits?.hasCycleFields === true) {
    Object.assign(wire, cycleFields(client));
  }
  wire.created_at = client.createdAt;
  wire.updated_at = client.updatedAt;
  return wire;
}

/**
 * A ClientTraffic row; `uuid`/`subId` are filled in at read time (§4.4), and do not exist in v2.8.0
 * (`hasTrafficIdentity`).
 */
export function renderTraffic(
  row: SimTraffic,
  client: SimClient | undefined,
  traits: ProfileTraits,
): Record<string, unknown> {
  return {
    id: row.id,
    inboundId: row.inboundId,
    enable: row.enable,
    email: row.email,
    ...(traits.hasTrafficIdentity ? { uuid: client?.uuid ?? '', subId: client?.subId ?? '' } : {}),
    up: row.up,
    down: row.down,
    allTime: row.up + row.down,
    expiryTime: row.expiryTime,
    total: row.total,
    reset: row.reset,
    lastOnline: row.lastOnline,
  };
}

/**
 * The G2 ClientRecord: numeric `id`, UUID in `uuid`, camelCase timestamps, comma-joined allowedIPs,
 * `reverse` as an object or null (§4.3); main adds `limitHwid` and the cycle fields.
 */
export function renderClientRecord(client: SimClient, traits: ProfileTraits): Record<string, unknown> {
  return {
    id: client.rowId,
    uuid: client.uuid,
    password: client.password,
    auth: client.auth,
    email: client.email,
    enable: client.enable,
    expiryTime: client.expiryTime,
    totalGB: client.totalGB,
    limitIp: client.limitIp,
    ...(traits.hasCycleFields ? { limitHwid: client.limitHwid } : {}),
    tgId: client.tgId,
    subId: client.subId,
    flow: client.flow,
    security: client.security,
    reset: client.reset,
    comment: client.comment,
    group: client.group,
    reverse: null,
    allowedIPs: '',
    secret: '',
    adTag: '',
    ...(traits.hasCycleFields ? cycleFields(client) : {}),
    createdAt: client.createdAt,
    updatedAt: client.updatedAt,
  };
}

/** An inbound with its clients and its clientStats (rows whose first inbound is this one, §4.4). */
export function renderInbound(model: PanelModel, inbound: SimInbound): Record<string, unknown> {
  const clients: Array<Record<string, unknown>> = [];
  for (const key of inbound.clients) {
    const client = model.clients.get(key);
    if (client !== undefined) {
      clients.push(renderSettingsClient(client, inbound.protocol, model.generation, model.traits));
    }
  }
  const clientStats: Array<Record<string, unknown>> = [];
  for (const [key, row] of model.traffic) {
    if (row.inboundId === inbound.id) {
      clientStats.push(renderTraffic(row, model.clients.get(key), model.traits));
    }
  }
  const settings = { clients, ...inbound.settings };
  const isG1 = model.generation === 'g1';
  return {
    id: inbound.id,
    up: inbound.up,
    down: inbound.down,
    total: 0,
    allTime: inbound.up + inbound.down,
    remark: inbound.remark,
    enable: inbound.enable,
    expiryTime: 0,
    trafficReset: 'never',
    lastTrafficResetTime: 0,
    clientStats,
    listen: inbound.listen,
    port: inbound.port,
    protocol: inbound.protocol,
    // G1 stores these as JSON strings, G2 as objects (§4.1). The real panel indents the strings; the
    // simulator does not, which changes nothing for a client and halves the payload.
    settings: isG1 ? JSON.stringify(settings) : settings,
    streamSettings: isG1 ? JSON.stringify(inbound.streamSettings) : inbound.streamSettings,
    tag: inbound.tag,
    sniffing: isG1 ? JSON.stringify(inbound.sniffing) : inbound.sniffing,
    ...(isG1 ? {} : { subSortIndex: 0, trafficResetDay: 0, shareAddrStrategy: '', shareAddr: '' }),
    ...(model.traits.flowGate === 'tls-or-disable-flow' ? { disableFlow: inbound.disableFlow } : {}),
  };
}
