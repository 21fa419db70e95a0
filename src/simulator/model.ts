/**
 * The simulated panel's database: inbounds, one client record per email (linked to one inbound on G1,
 * to N inbounds on G2) and one ClientTraffic row per email, plus the operations 3x-ui performs on them
 * (reference/xui-api.md §4, §7, §8). The HTTP layer (server.ts) maps routes onto these operations.
 * Operations return `{ ok: false, text }` with the panel's error text (without the prefix) when
 * 3x-ui would refuse.
 */
import { randomUUID, randomBytes } from 'node:crypto';
import type { DecodedClient } from './go-json.ts';

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
}

/** A refusal with 3x-ui's error text (the HTTP layer adds the localised prefix). */
export type Outcome<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly text: string };

const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
const no = (text: string): Outcome<never> => ({ ok: false, text });

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

/** Default stream settings per protocol, so seeded inbounds can render real connection links. */
function defaultStreamSettings(protocol: string, port: number): Record<string, unknown> {
  switch (protocol) {
    case 'vless':
      return {
        network: 'tcp',
        security: 'reality',
        externalProxy: [],
        realitySettings: {
          show: false,
          xver: 0,
          target: 'www.example.com:443',
          serverNames: ['www.example.com'],
          privateKey: 'kFQyRz2-6yNsJ0b0b7Gk8uA0m3kq0dXy9xWfQm0vE1E',
          shortIds: ['6ba85179e30d4fc2'],
          settings: {
            publicKey: 'Jx3bD2m4sT1ZK6cF8mQ0Rr9YV5nWb7LhUo2Ea1pXgC0',
            fingerprint: 'chrome',
            serverName: '',
            spiderX: '/',
          },
        },
        tcpSettings: { acceptProxyProtocol: false, header: { type: 'none' } },
      };
    case 'vmess':
      return {
        network: 'ws',
        security: 'none',
        wsSettings: { acceptProxyProtocol: false, path: `/ws${String(port)}`, host: '', headers: {} },
      };
    case 'trojan':
      return {
        network: 'tcp',
        security: 'tls',
        tlsSettings: {
          serverName: 'vpn.example.com',
          alpn: ['h2', 'http/1.1'],
          certificates: [{ certificateFile: '/root/cert.crt', keyFile: '/root/private.key' }],
          settings: { fingerprint: 'chrome', allowInsecure: false },
        },
        tcpSettings: { acceptProxyProtocol: false, header: { type: 'none' } },
      };
    default:
      return { network: 'tcp', security: 'none', tcpSettings: { header: { type: 'none' } } };
  }
}

function defaultSettings(protocol: string): Record<string, unknown> {
  switch (protocol) {
    case 'vless':
      return { decryption: 'none', fallbacks: [] };
    case 'trojan':
      return { fallbacks: [] };
    case 'shadowsocks':
      return {
        method: '2022-blake3-aes-128-gcm',
        password: randomBytes(16).toString('base64'),
        network: 'tcp,udp',
      };
    default:
      return {};
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
  private nextClientRowId = 1;
  private nextTrafficId = 1;
  private readonly now: () => number;
  readonly generation: 'g1' | 'g2';
  depletionStyle: DepletionStyle;

  constructor(generation: 'g1' | 'g2', now: () => number, depletionStyle: DepletionStyle) {
    this.generation = generation;
    this.now = now;
    this.depletionStyle = depletionStyle;
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
      flow: seed.flow ?? (inbound.protocol === 'vless' ? 'xtls-rprx-vision' : ''),
      security: inbound.protocol === 'vmess' ? 'auto' : '',
      reset: seed.reset ?? 0,
      comment: seed.comment ?? '',
      group: '',
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

  private insert(inbound: SimInbound, client: SimClient): void {
    const key = client.email.toLowerCase();
    this.clients.set(key, client);
    inbound.clients.add(key);
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
  private mirrorToTraffic(client: SimClient): void {
    const row = this.findTraffic(client.email);
    if (row !== undefined) {
      row.enable = client.enable;
      row.total = client.totalGB;
      row.expiryTime = client.expiryTime;
      row.reset = client.reset;
    }
  }

  private emailRefusal(email: string): string | undefined {
    if (email === '') {
      return 'client email is required';
    }
    // G2 validates email and subId characters (§4.2).
    if (this.generation === 'g2' && /[/\\\s\p{Cc}]/u.test(email)) {
      return `invalid email: ${email}`;
    }
    return undefined;
  }

  /** G1 `addClient`: appends clients to an inbound; the email is unique across all inbounds (§4.2, §6). */
  addClientG1(
    inboundId: number,
    bodies: ReadonlyArray<{ client: DecodedClient; extra: Record<string, unknown> }>,
  ): Outcome<null> {
    const inbound = this.inbounds.get(inboundId);
    if (inbound === undefined) {
      return no('record not found');
    }
    for (const { client } of bodies) {
      const email = client.email ?? '';
      const refusal = this.emailRefusal(email);
      if (refusal !== undefined) {
        return no(refusal);
      }
      if (this.findClient(email) !== undefined) {
        return no(`Duplicate email: ${email}`);
      }
      if (this.identityFromBody(inbound.protocol, client) === '') {
        return no('empty client ID');
      }
    }
    for (const { client, extra } of bodies) {
      this.insert(inbound, this.fromBody(client, extra, inboundId, undefined));
    }
    return ok(null);
  }

  private identityFromBody(protocol: string, body: DecodedClient): string {
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
  private fromBody(
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
      createdAt: previous?.createdAt ?? body.created_at ?? now,
      updatedAt: now,
      inboundIds: previous?.inboundIds ?? [inboundId],
      extra,
    };
  }

  /** G1 `updateClient/:clientId`: replaces the entry as sent, keeping only `created_at` (§6.1, §7.1). */
  updateClientG1(
    inboundId: number,
    clientId: string,
    bodies: ReadonlyArray<{ client: DecodedClient; extra: Record<string, unknown> }>,
  ): Outcome<null> {
    const inbound = this.inbounds.get(inboundId);
    if (inbound === undefined) {
      return no('record not found');
    }
    const first = bodies[0];
    if (first === undefined || bodies.length !== 1) {
      return no('empty client ID');
    }
    let current: SimClient | undefined;
    for (const key of inbound.clients) {
      const candidate = this.clients.get(key);
      if (candidate !== undefined && identityOf(inbound.protocol, candidate) === clientId) {
        current = candidate;
        break;
      }
    }
    if (current === undefined || this.identityFromBody(inbound.protocol, first.client) === '') {
      return no('empty client ID');
    }
    const next = this.fromBody(first.client, first.extra, inboundId, current);
    const refusal = this.emailRefusal(next.email);
    if (refusal !== undefined) {
      return no(refusal);
    }
    return this.replace(current, next);
  }

  /** Swaps a record for its replacement (rename included); traffic counters survive (§7.1). */
  private replace(current: SimClient, next: SimClient): Outcome<null> {
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

  /** G1 `:id/delClient/:clientId`: refuses to remove the last client of an inbound (§6.1). */
  deleteClientG1(inboundId: number, clientId: string): Outcome<null> {
    const inbound = this.inbounds.get(inboundId);
    if (inbound === undefined) {
      return no('record not found');
    }
    for (const key of inbound.clients) {
      const candidate = this.clients.get(key);
      if (candidate !== undefined && identityOf(inbound.protocol, candidate) === clientId) {
        if (inbound.clients.size === 1) {
          return no('no client remained in Inbound');
        }
        this.detach(candidate, inbound);
        return ok(null);
      }
    }
    return no('empty client ID');
  }

  /** G1 `:id/delClientByEmail/:email` (v2.8.0+). */
  deleteClientByEmailG1(inboundId: number, email: string): Outcome<null> {
    const inbound = this.inbounds.get(inboundId);
    const client = this.findClient(email);
    if (inbound === undefined || client === undefined || !inbound.clients.has(email.toLowerCase())) {
      return no(`client with email ${email} not found`);
    }
    if (inbound.clients.size === 1) {
      return no('no client remained in Inbound');
    }
    this.detach(client, inbound);
    return ok(null);
  }

  private detach(client: SimClient, inbound: SimInbound): void {
    const key = client.email.toLowerCase();
    inbound.clients.delete(key);
    client.inboundIds = client.inboundIds.filter((id) => id !== inbound.id);
    if (client.inboundIds.length === 0) {
      this.clients.delete(key);
      this.traffic.delete(key);
    }
  }

  /**
   * G2 `clients/add`: forces `enable:true`, generates omitted secrets and subId, and attaches an existing
   * email only when its subId matches (§4.2, §7.1).
   */
  addClientG2(body: DecodedClient, inboundIds: ReadonlyArray<number>): Outcome<null> {
    const email = body.email ?? '';
    const refusal = this.emailRefusal(email);
    if (refusal !== undefined) {
      return no(refusal);
    }
    if (inboundIds.length === 0) {
      return no('at least one inbound is required');
    }
    const inbounds: SimInbound[] = [];
    for (const id of inboundIds) {
      const inbound = this.inbounds.get(id);
      if (inbound === undefined) {
        return no('record not found');
      }
      inbounds.push(inbound);
    }
    const existing = this.findClient(email);
    if (existing !== undefined) {
      if (body.subId === undefined || body.subId === '' || body.subId !== existing.subId) {
        return no(`email already in use: ${email}`);
      }
      for (const inbound of inbounds) {
        if (!existing.inboundIds.includes(inbound.id)) {
          existing.inboundIds.push(inbound.id);
          inbound.clients.add(existing.email.toLowerCase());
        }
      }
      return ok(null);
    }
    const subId = body.subId === undefined || body.subId === '' ? randomUUID() : body.subId;
    for (const other of this.clients.values()) {
      if (other.subId === subId) {
        return no(`subId already in use: ${subId}`);
      }
    }
    const first = inbounds[0];
    if (first === undefined) {
      return no('at least one inbound is required');
    }
    const client = this.fromBody(body, {}, first.id, undefined);
    client.enable = true; // §7.1: G2 add ignores enable:false.
    client.subId = subId;
    if (client.uuid === '') {
      client.uuid = randomUUID();
    }
    if (client.password === '') {
      client.password = randomBytes(12).toString('base64url');
    }
    if (client.auth === '') {
      client.auth = randomBytes(12).toString('base64url');
    }
    client.inboundIds = inbounds.map((inbound) => inbound.id);
    this.insert(first, client);
    for (const inbound of inbounds.slice(1)) {
      inbound.clients.add(client.email.toLowerCase());
    }
    return ok(null);
  }

  /**
   * G2 `clients/update/:email`: rebuilds the entry from the body. Omitted numbers become 0, strings
   * empty; subId, created_at and (v3.4.0+) the protocol secrets survive when omitted (§7.1).
   */
  updateClientG2(
    email: string,
    body: DecodedClient,
    inboundIds: ReadonlyArray<number> | undefined,
  ): Outcome<null> {
    const current = this.findClientExact(email);
    if (current === undefined) {
      return no('record not found');
    }
    if (body.email === undefined || body.email === '') {
      return no('client email is required');
    }
    const refusal = this.emailRefusal(body.email);
    if (refusal !== undefined) {
      return no(refusal);
    }
    const next = this.fromBody(body, {}, current.inboundIds[0] ?? 0, current);
    if (body.subId === undefined || body.subId === '') {
      next.subId = current.subId;
    }
    if (next.uuid === '') {
      next.uuid = current.uuid;
    }
    if (next.password === '') {
      next.password = current.password;
    }
    if (next.auth === '') {
      next.auth = current.auth;
    }
    const outcome = this.replace(current, next);
    if (outcome.ok && inboundIds !== undefined) {
      for (const id of inboundIds) {
        const inbound = this.inbounds.get(id);
        if (inbound !== undefined && !next.inboundIds.includes(id)) {
          next.inboundIds.push(id);
          inbound.clients.add(next.email.toLowerCase());
        }
      }
    }
    return outcome;
  }

  /** G2 `clients/del/:email` (G2 may remove the last client of an inbound, §6.1). */
  deleteClientG2(email: string, keepTraffic: boolean): Outcome<null> {
    const client = this.findClientExact(email);
    if (client === undefined) {
      return no('record not found');
    }
    const key = email.toLowerCase();
    for (const id of client.inboundIds) {
      this.inbounds.get(id)?.clients.delete(key);
    }
    this.clients.delete(key);
    if (!keepTraffic) {
      this.traffic.delete(key);
    }
    return ok(null);
  }

  /** G2 `bulkEnable`/`bulkDisable`: unknown emails are skipped, not errors; already-set ones count (§5). */
  bulkSetEnable(
    emails: ReadonlyArray<string>,
    enable: boolean,
  ): { changed: number; skipped: Array<{ email: string; reason: string }> } {
    let changed = 0;
    const skipped: Array<{ email: string; reason: string }> = [];
    // The panel trims, drops empty and de-duplicates the list first (client_bulk.go BulkSetEnable).
    const unique = new Set(emails.map((email) => email.trim()).filter((email) => email !== ''));
    for (const email of unique) {
      const client = this.findClientExact(email);
      if (client === undefined) {
        skipped.push({ email, reason: 'client not found' });
        continue;
      }
      client.enable = enable;
      client.updatedAt = this.now();
      this.mirrorToTraffic(client);
      changed++;
    }
    return { changed, skipped };
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

  /**
   * One run of the traffic job (§8): add polled traffic (converting a negative expiry on first use),
   * auto-renew clients with `reset > 0`, then disable depleted or expired ones.
   */
  runTrafficJob(): void {
    const now = this.now();
    for (const [key, row] of this.traffic) {
      const client = this.clients.get(key);
      if (row.pendingUp > 0 || row.pendingDown > 0) {
        row.up += row.pendingUp;
        row.down += row.pendingDown;
        row.pendingUp = 0;
        row.pendingDown = 0;
        row.lastOnline = now;
        if (row.expiryTime < 0) {
          row.expiryTime = now - row.expiryTime;
          if (client !== undefined) {
            client.expiryTime = row.expiryTime;
          }
        }
      }
      if (row.reset > 0 && row.expiryTime > 0 && row.expiryTime <= now) {
        const periodMs = row.reset * 86_400_000;
        while (row.expiryTime <= now) {
          row.expiryTime += periodMs;
        }
        row.up = 0;
        row.down = 0;
        row.enable = true;
        if (client !== undefined) {
          client.expiryTime = row.expiryTime;
          client.enable = true; // Auto-renew revives clients even when an admin disabled them (§7.3).
          client.updatedAt = now;
        }
      }
      const isDepleted = row.total > 0 && row.up + row.down >= row.total;
      const isExpired = row.expiryTime > 0 && row.expiryTime <= now;
      if (row.enable && (isDepleted || isExpired)) {
        row.enable = false;
        if (client !== undefined && this.depletionStyle === 'everywhere') {
          client.enable = false;
          client.updatedAt = now;
        }
      }
    }
  }
}
