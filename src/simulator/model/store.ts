/**
 * The simulated panel's database: inbounds, one client record per email (linked to one inbound on G1,
 * to N inbounds on G2) and one ClientTraffic row per email, with the operations both generations share
 * (reference/xui-api.md §4, §7). The generation-specific client operations live in g1.ts and g2.ts, the
 * traffic job in traffic-job.ts; the HTTP routes map onto them. Operations return `{ ok: false, text }`
 * with the panel's error text (without the prefix) when 3x-ui would refuse.
 */
import { randomUUID, randomBytes } from 'node:crypto';
import type { DecodedClient } from '../go-json.ts';
import type { ProfileTraits } from '../profiles.ts';
import { defaultSettings, defaultStreamSettings } from './defaults.ts';
import { runTrafficJob } from './traffic-job.ts';

/** Characters G2 refuses in a client's email and subId (§4.2). */
// eslint-disable-next-line no-control-regex -- the panel refuses exactly these control characters.
const FORBIDDEN_CLIENT_CHAR = /[/\\ \x00-\x1f\x7f]/;

/** Which copies the depletion job disables: v2.x–v2.9.3 only the traffic row, later every copy (§8). */
export type DepletionStyle = 'traffic-only' | 'everywhere';

/** One client of the simulated panel (the G2 `clients` row; on G1 its copy inside the inbound). */
export interface SimClient {
  rowId: number;
  email: string;
  uuid: string;
  password: string;
  auth: string;
  enable: boolean;
  expiryTime: number;
  totalGB: number;
  limitIp: number;
  tgId: number;
  subId: string;
  flow: string;
  security: string;
  reset: number;
  comment: string;
  group: string;
  /** main / 3.7+: max devices (stored on the record), calendar renew day (0 = interval mode), renew cap. */
  limitHwid: number;
  resetDay: number;
  resetMax: number;
  /** Renewals done so far, against `resetMax`. */
  resetCount: number;
  /** main / 3.7+: the client's own traffic reset cycle (`never` by default) and its day of month. */
  trafficReset: string;
  trafficResetDay: number;
  createdAt: number;
  updatedAt: number;
  /** Inbounds the client belongs to, in attach order. */
  inboundIds: number[];
  /** Keys G1 stored as sent (it keeps the body's object as-is, §7.1). */
  extra: Record<string, unknown>;
}

/** One ClientTraffic row (§4.4). */
export interface SimTraffic {
  id: number;
  /** The inbound the client was first created on; goes stale on G2 (§4.4). */
  inboundId: number;
  email: string;
  enable: boolean;
  up: number;
  down: number;
  expiryTime: number;
  total: number;
  reset: number;
  lastOnline: number;
  /** Traffic reported by "Xray" but not yet polled by the job. */
  pendingUp: number;
  pendingDown: number;
}

/** One inbound. */
export interface SimInbound {
  id: number;
  remark: string;
  protocol: string;
  port: number;
  listen: string;
  enable: boolean;
  tag: string;
  up: number;
  down: number;
  /** Protocol settings other than `clients`. */
  settings: Record<string, unknown>;
  streamSettings: Record<string, unknown>;
  sniffing: Record<string, unknown>;
  /** Lower-cased emails of the clients, in order. */
  clients: Set<string>;
  /** main: `disableFlow` drops the flow of every client stored on this inbound. */
  disableFlow: boolean;
}

/** A refusal with 3x-ui's error text (the HTTP layer adds the localised prefix). */
export type Outcome<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly text: string };

/** A success. */
export const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
/** A refusal with 3x-ui's error text. */
export const no = (text: string): Outcome<never> => ({ ok: false, text });

/** The identity field 3x-ui matches a G1 path clientId against, by protocol (§6.1). */
export function identityOf(protocol: string, client: SimClient): string {
  switch (protocol) {
    case 'vmess':
    case 'vless':
      return client.uuid;
    case 'trojan':
      return client.password;
    case 'shadowsocks':
      return client.email;
    case 'hysteria':
      return client.auth;
    default:
      return client.uuid;
  }
}

/** What `addInbound` takes; everything but the protocol has a default. */
export interface InboundSeed {
  readonly protocol: string;
  readonly port?: number;
  readonly remark?: string;
  readonly listen?: string;
  readonly enable?: boolean;
  readonly settings?: Record<string, unknown>;
  readonly streamSettings?: Record<string, unknown>;
  /** main: the inbound drops every client's flow. */
  readonly disableFlow?: boolean;
}

/** What `seedClient` takes: a client put straight into the store, bypassing the API's rules. */
export interface ClientSeed {
  readonly email: string;
  readonly uuid?: string;
  readonly password?: string;
  readonly auth?: string;
  readonly enable?: boolean;
  readonly expiryTime?: number;
  readonly totalGB?: number;
  readonly limitIp?: number;
  readonly tgId?: number;
  readonly subId?: string;
  readonly flow?: string;
  readonly reset?: number;
  readonly comment?: string;
  readonly limitHwid?: number;
  readonly resetDay?: number;
  readonly resetMax?: number;
  readonly trafficReset?: string;
  readonly trafficResetDay?: number;
  readonly up?: number;
  readonly down?: number;
  /** The traffic row's flag (false = depleted); defaults to `enable`. */
  readonly trafficEnable?: boolean;
}

/** The in-memory database of one simulated panel. */
export class PanelModel {
  readonly inbounds = new Map<number, SimInbound>();
  /** By lower-cased email: 3x-ui compares emails case-insensitively for uniqueness (§4.2). */
  readonly clients = new Map<string, SimClient>();
  readonly traffic = new Map<string, SimTraffic>();
  private nextInboundId = 1;
  nextClientRowId = 1;
  private nextTrafficId = 1;
  /** The panel clock, ms since the epoch. */
  readonly now: () => number;
  readonly generation: 'g1' | 'g2';
  depletionStyle: DepletionStyle;
  /** What this panel's version does differently. */
  readonly traits: ProfileTraits;

  constructor(traits: ProfileTraits, now: () => number) {
    this.traits = traits;
    this.generation = traits.generation;
    this.now = now;
    this.depletionStyle = traits.depletionStyle;
  }

  /**
   * Whether a client stored on `inbound` keeps its XTLS flow (`clientWithInboundFlow`, v3.3.0+): vless
   * over `tcp` (not `raw`) with TLS or Reality, or `xhttp` with VLESS encryption; on main not on an
   * inbound with `disableFlow`. G1 stores the flow as sent.
   */
  keepsFlow(inbound: SimInbound): boolean {
    if (this.traits.flowGate === 'none') {
      return true;
    }
    if (this.traits.flowGate === 'tls-or-disable-flow' && inbound.disableFlow) {
      return false;
    }
    if (inbound.protocol !== 'vless') {
      return false;
    }
    const network = inbound.streamSettings.network;
    const security = inbound.streamSettings.security;
    if (network === 'tcp') {
      return security === 'tls' || security === 'reality';
    }
    if (network === 'xhttp') {
      const isSet = (value: unknown): boolean =>
        typeof value === 'string' && value !== '' && value !== 'none';
      return isSet(inbound.settings.encryption) || isSet(inbound.settings.decryption);
    }
    return false;
  }

  /** main: the refusal for out-of-range cycle fields (`client … must be …, got: x`), or undefined. */
  cycleRefusal(body: DecodedClient): string | undefined {
    if (!this.traits.hasCycleFields) {
      return undefined;
    }
    const resetDay = body.resetDay ?? 0;
    if (resetDay < 0 || resetDay > 31) {
      return `client resetDay must be between 0 and 31, got: ${String(resetDay)}`;
    }
    if ((body.resetMax ?? 0) < 0) {
      return `client resetMax must not be negative, got: ${String(body.resetMax)}`;
    }
    const period = body.trafficReset ?? '';
    if (!['', 'never', 'hourly', 'daily', 'weekly', 'monthly'].includes(period)) {
      return `client trafficReset must be never, hourly, daily, weekly or monthly, got: ${period}`;
    }
    const day = body.trafficResetDay ?? 0;
    if (day < 0 || day > 31) {
      return `client trafficResetDay must be between 0 and 31, got: ${String(day)}`;
    }
    return undefined;
  }

  /** Creates an inbound; returns its id. */
  addInbound(seed: InboundSeed): number {
    const id = this.nextInboundId++;
    const port = seed.port ?? 20_000 + id;
    this.inbounds.set(id, {
      id,
      remark: seed.remark ?? `${seed.protocol}-${String(port)}`,
      protocol: seed.protocol,
      port,
      listen: seed.listen ?? '',
      enable: seed.enable ?? true,
      tag: `inbound-${String(port)}`,
      up: 0,
      down: 0,
      settings: seed.settings ?? defaultSettings(seed.protocol),
      streamSettings: seed.streamSettings ?? defaultStreamSettings(seed.protocol, port),
      sniffing: {
        enabled: true,
        destOverride: ['http', 'tls', 'quic'],
        metadataOnly: false,
        routeOnly: false,
      },
      clients: new Set(),
      disableFlow: seed.disableFlow ?? false,
    });
    return id;
  }

  /** Finds a client by email, case-insensitively as 3x-ui's uniqueness checks do. */
  findClient(email: string): SimClient | undefined {
    return this.clients.get(email.toLowerCase());
  }

  /** Finds a client by exact email, as G2's `WHERE email = ?` lookups do. */
  findClientExact(email: string): SimClient | undefined {
    const client = this.findClient(email);
    return client?.email === email ? client : undefined;
  }

  findTraffic(email: string): SimTraffic | undefined {
    return this.traffic.get(email.toLowerCase());
  }

  /** Puts a client straight into the store (test seeding; no uniqueness or enable rules). */
  seedClient(inboundId: number, seed: ClientSeed): SimClient {
    const inbound = this.inbounds.get(inboundId);
    if (inbound === undefined) {
      throw new Error(`simulator: no inbound ${String(inboundId)}`);
    }
    const now = this.now();
    const enable = seed.enable ?? true;
    const client: SimClient = {
      rowId: this.nextClientRowId++,
      email: seed.email,
      uuid: seed.uuid ?? randomUUID(),
      password: seed.password ?? randomBytes(12).toString('base64url'),
      auth: seed.auth ?? randomBytes(12).toString('base64url'),
      enable,
      expiryTime: seed.expiryTime ?? 0,
      totalGB: seed.totalGB ?? 0,
      limitIp: seed.limitIp ?? 0,
      tgId: seed.tgId ?? 0,
      subId: seed.subId ?? randomBytes(8).toString('hex'),
      flow: seed.flow ?? (inbound.protocol === 'vless' && this.keepsFlow(inbound) ? 'xtls-rprx-vision' : ''),
      security: inbound.protocol === 'vmess' ? 'auto' : '',
      reset: seed.reset ?? 0,
      comment: seed.comment ?? '',
      group: '',
      limitHwid: seed.limitHwid ?? 0,
      resetDay: seed.resetDay ?? 0,
      resetMax: seed.resetMax ?? 0,
      resetCount: 0,
      trafficReset: seed.trafficReset ?? 'never',
      trafficResetDay: seed.trafficResetDay ?? 1,
      createdAt: now,
      updatedAt: now,
      inboundIds: [inboundId],
      extra: {},
    };
    this.insert(inbound, client);
    const row = this.findTraffic(client.email);
    if (row !== undefined) {
      row.up = seed.up ?? 0;
      row.down = seed.down ?? 0;
      row.enable = seed.trafficEnable ?? enable;
    }
    return client;
  }

  /**
   * Stores a new client in an inbound with a fresh traffic row mirroring it. A row left behind by a
   * client that vanished from its inbound's settings (a stale G1 save, g1.ts) stays as it is: 3x-ui's
   * `AddClientStat` fails on the unique email and the add goes on without it.
   */
  insert(inbound: SimInbound, client: SimClient): void {
    const key = client.email.toLowerCase();
    this.clients.set(key, client);
    inbound.clients.add(key);
    if (this.traffic.has(key)) {
      return;
    }
    this.traffic.set(key, {
      id: this.nextTrafficId++,
      inboundId: inbound.id,
      email: client.email,
      enable: client.enable,
      up: 0,
      down: 0,
      expiryTime: client.expiryTime,
      total: client.totalGB,
      reset: client.reset,
      lastOnline: 0,
      pendingUp: 0,
      pendingDown: 0,
    });
  }

  /** Copies the fields 3x-ui mirrors into the traffic row on add/update (§4.4, §7.1). */
  mirrorToTraffic(client: SimClient): void {
    const row = this.findTraffic(client.email);
    if (row !== undefined) {
      row.enable = client.enable;
      row.total = client.totalGB;
      row.expiryTime = client.expiryTime;
      row.reset = client.reset;
    }
  }

  /** The refusal text for an email 3x-ui would not take, or undefined. */
  emailRefusal(email: string): string | undefined {
    if (email === '') {
      return 'client email is required';
    }
    if (this.generation === 'g2' && email.trim() === '') {
      return 'client email is required';
    }
    // G2 validates email and subId characters (§4.2): `/`, `\`, the ASCII space, C0 controls and DEL
    // (v3.6.0 client_crud.go hasForbiddenClientChar; other whitespace passes).
    if (this.generation === 'g2' && FORBIDDEN_CLIENT_CHAR.test(email)) {
      return `client email contains an invalid character: ${email}`;
    }
    return undefined;
  }

  /** G2: the refusal text for a subId with a forbidden character, or undefined (§4.2). */
  subIdRefusal(subId: string | undefined): string | undefined {
    if (this.generation === 'g2' && subId !== undefined && FORBIDDEN_CLIENT_CHAR.test(subId)) {
      return `client subId contains an invalid character: ${subId}`;
    }
    return undefined;
  }

  /** The identity field of a bound body for a protocol (§6.1). */
  identityFromBody(protocol: string, body: DecodedClient): string {
    switch (protocol) {
      case 'vmess':
      case 'vless':
        return body.id ?? '';
      case 'trojan':
        return body.password ?? '';
      case 'shadowsocks':
        return body.email ?? '';
      case 'hysteria':
        return body.auth ?? '';
      default:
        return body.id ?? '';
    }
  }

  /** Builds a record from a bound body: omitted fields take Go's zero values (§7.1). */
  fromBody(
    body: DecodedClient,
    extra: Record<string, unknown>,
    inboundId: number,
    previous: SimClient | undefined,
  ): SimClient {
    const now = this.now();
    return {
      rowId: previous?.rowId ?? this.nextClientRowId++,
      email: body.email ?? '',
      uuid: body.id ?? '',
      password: body.password ?? '',
      auth: body.auth ?? '',
      enable: body.enable ?? false,
      expiryTime: body.expiryTime ?? 0,
      totalGB: body.totalGB ?? 0,
      limitIp: body.limitIp ?? 0,
      tgId: body.tgId ?? 0,
      subId: body.subId ?? '',
      flow: body.flow ?? '',
      security: body.security ?? '',
      reset: body.reset ?? 0,
      comment: body.comment ?? '',
      group: body.group ?? '',
      // main rebuilds these from the body too: omitted means 0 / `never` / day 1 (§7.1).
      limitHwid: this.traits.hasCycleFields ? (body.limitHwid ?? 0) : 0,
      resetDay: this.traits.hasCycleFields ? (body.resetDay ?? 0) : 0,
      resetMax: this.traits.hasCycleFields ? (body.resetMax ?? 0) : 0,
      resetCount: previous?.resetCount ?? 0,
      trafficReset:
        this.traits.hasCycleFields && (body.trafficReset ?? '') !== ''
          ? (body.trafficReset ?? 'never')
          : 'never',
      trafficResetDay:
        this.traits.hasCycleFields && (body.trafficResetDay ?? 0) > 0 ? (body.trafficResetDay ?? 1) : 1,
      createdAt: previous?.createdAt ?? body.created_at ?? now,
      updatedAt: now,
      inboundIds: previous?.inboundIds ?? [inboundId],
      extra,
    };
  }

  /** Swaps a record for its replacement (rename included); traffic counters survive (§7.1). */
  replace(current: SimClient, next: SimClient): Outcome<null> {
    const oldKey = current.email.toLowerCase();
    const newKey = next.email.toLowerCase();
    if (oldKey !== newKey) {
      if (this.clients.has(newKey)) {
        return no(`Duplicate email: ${next.email}`);
      }
      this.clients.delete(oldKey);
      for (const inboundId of current.inboundIds) {
        const inbound = this.inbounds.get(inboundId);
        if (inbound !== undefined) {
          inbound.clients = new Set([...inbound.clients].map((key) => (key === oldKey ? newKey : key)));
        }
      }
      const row = this.traffic.get(oldKey);
      if (row !== undefined) {
        this.traffic.delete(oldKey);
        row.email = next.email;
        this.traffic.set(newKey, row);
      }
    }
    this.clients.set(newKey, next);
    this.mirrorToTraffic(next);
    return ok(null);
  }

  /** Takes a client off an inbound; the last inbound gone removes the record and its traffic row. */
  detach(client: SimClient, inbound: SimInbound): void {
    const key = client.email.toLowerCase();
    inbound.clients.delete(key);
    client.inboundIds = client.inboundIds.filter((id) => id !== inbound.id);
    if (client.inboundIds.length === 0) {
      this.clients.delete(key);
      this.traffic.delete(key);
    }
  }

  /**
   * Resets a client's counters. G2 (v3.3.1+) also re-enables the client; G1 re-enables only the
   * traffic row (§7.3).
   */
  resetTraffic(email: string): Outcome<null> {
    const row = this.findTraffic(email);
    const client = this.findClient(email);
    if (row === undefined || client === undefined) {
      return this.generation === 'g2' ? no('record not found') : ok(null);
    }
    row.up = 0;
    row.down = 0;
    row.enable = true;
    if (this.generation === 'g2') {
      client.enable = true;
      client.updatedAt = this.now();
    }
    return ok(null);
  }

  /** One run of the traffic job (§8); see traffic-job.ts. */
  runTrafficJob(): void {
    runTrafficJob(this);
  }
}
