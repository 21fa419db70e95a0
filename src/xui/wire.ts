/**
 * 3x-ui wire shapes and their parsers (reference/xui-api.md §3–§5). Wire names stay in this file;
 * everything leaving it is camelCase. Every parser takes `unknown` and returns a Result naming the
 * offending path. Field rules follow Go's encoding: a missing key is the zero value, a key of the
 * wrong type is an error (except where 3x-ui itself changed types across versions, e.g. `tgId`).
 */
import { err, ok, type ParseError, type Result } from '../domain/result.ts';

/** The `{success, msg, obj}` envelope every handler answers with (§3). */
export interface Envelope {
  readonly success: boolean;
  readonly msg: string;
  readonly obj: unknown;
}

/** A client inside `settings.clients[]` (§4.2), parsed, with the raw object kept for read-modify-write. */
export interface WireClient {
  /** The object exactly as the panel sent it (every key, known or not). */
  readonly raw: Readonly<Record<string, unknown>>;
  readonly email: string;
  readonly uuid: string | undefined;
  readonly password: string | undefined;
  readonly auth: string | undefined;
  readonly enable: boolean;
  readonly expiryTime: number;
  readonly totalGB: number;
  readonly limitIp: number;
  readonly tgId: number;
  readonly subId: string;
  readonly flow: string;
  readonly reset: number;
  /** main / 3.7+: calendar renew day (0 = interval mode, or a panel without the field). */
  readonly resetDay: number;
  /** main / 3.7+: the client's traffic reset cycle; '' on a panel without the field. */
  readonly trafficReset: string;
  readonly comment: string;
}

/** A ClientTraffic row (§4.4). */
export interface WireTraffic {
  readonly email: string;
  readonly inboundId: number;
  readonly enable: boolean;
  readonly up: number;
  readonly down: number;
  readonly expiryTime: number;
  readonly total: number;
}

/** An inbound (§4.1) with settings decoded from a string (G1) or taken as an object (G2). */
export interface WireInbound {
  readonly id: number;
  readonly remark: string;
  readonly protocol: string;
  readonly port: number;
  readonly listen: string;
  readonly enable: boolean;
  /** main: `disableFlow` (false where the field does not exist). */
  readonly disableFlow: boolean;
  /** Protocol settings without `clients`. */
  readonly settings: Readonly<Record<string, unknown>>;
  readonly streamSettings: Readonly<Record<string, unknown>>;
  readonly clients: ReadonlyArray<WireClient>;
  readonly clientStats: ReadonlyArray<WireTraffic>;
}

/** G2 `clients/get/:email` (§5): the ClientRecord mapped to a client, plus its inbounds. */
export interface WireClientDetail {
  /** The ClientRecord as sent (numeric `id`, `uuid`, camelCase timestamps). */
  readonly record: Readonly<Record<string, unknown>>;
  readonly client: WireClient;
  readonly inboundIds: ReadonlyArray<number>;
}

/** G2 bulk answer (§5). */
export interface WireBulkResult {
  readonly changed: number;
  readonly skipped: ReadonlyArray<{ readonly email: string; readonly reason: string }>;
}

class Failure extends Error {
  readonly error: ParseError;
  constructor(path: string, expected: string) {
    super(`${path}: expected ${expected}`);
    this.error = { path, expected };
  }
}

// The parsers below throw Failure internally (cheap and readable for 20,000-client lists) and convert
// it into a Result at the exported boundary; nothing else is ever caught.
function capture<T>(parse: () => T): Result<T, ParseError> {
  try {
    return ok(parse());
  } catch (thrown: unknown) {
    if (thrown instanceof Failure) {
      return err(thrown.error);
    }
    throw thrown;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function record(value: unknown, path: string): Record<string, unknown> {
  if (!isRecord(value)) {
    throw new Failure(path, 'an object');
  }
  return value;
}

function array(value: unknown, path: string): ReadonlyArray<unknown> {
  if (!Array.isArray(value)) {
    throw new Failure(path, 'an array');
  }
  return value;
}

function str(obj: Record<string, unknown>, key: string, path: string): string {
  const value = obj[key];
  if (value === undefined || value === null) {
    return '';
  }
  if (typeof value !== 'string') {
    throw new Failure(`${path}.${key}`, 'a string');
  }
  return value;
}

function optionalStr(obj: Record<string, unknown>, key: string, path: string): string | undefined {
  const value = obj[key];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'string') {
    throw new Failure(`${path}.${key}`, 'a string');
  }
  return value;
}

function requiredStr(obj: Record<string, unknown>, key: string, path: string): string {
  const value = obj[key];
  if (typeof value !== 'string') {
    throw new Failure(`${path}.${key}`, 'a string');
  }
  return value;
}

function num(obj: Record<string, unknown>, key: string, path: string): number {
  const value = obj[key];
  if (value === undefined || value === null) {
    return 0;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new Failure(`${path}.${key}`, 'a number');
  }
  return value;
}

function requiredNum(obj: Record<string, unknown>, key: string, path: string): number {
  const value = obj[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new Failure(`${path}.${key}`, 'a number');
  }
  return value;
}

function bool(obj: Record<string, unknown>, key: string, path: string): boolean {
  const value = obj[key];
  if (value === undefined || value === null) {
    return false; // Go's zero value: a client stored without `enable` is off.
  }
  if (typeof value !== 'boolean') {
    throw new Failure(`${path}.${key}`, 'a boolean');
  }
  return value;
}

/** `tgId` was a string up to v2.2.7 and is a number since (§4.2); accept both. */
function telegramId(obj: Record<string, unknown>, path: string): number {
  const value = obj.tgId;
  if (value === undefined || value === null || value === '') {
    return 0;
  }
  if (typeof value === 'number' && Number.isFinite(value)) {
    return value;
  }
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) {
    return Number(value);
  }
  throw new Failure(`${path}.tgId`, 'a number or a numeric string');
}

/** Settings, streamSettings and sniffing are JSON strings on G1 and objects on G2 (§4.1). */
function jsonObject(value: unknown, path: string): Record<string, unknown> {
  if (value === undefined || value === null || value === '') {
    return {};
  }
  if (typeof value === 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      // Not JSON: report the field, not the parser's message (which would quote panel data).
      throw new Failure(path, 'a JSON object (or a string holding one)');
    }
    return record(parsed, path);
  }
  return record(value, path);
}

function parseClientAt(value: unknown, path: string, uuidKey: 'id' | 'uuid'): WireClient {
  const obj = record(value, path);
  return {
    raw: obj,
    email: requiredStr(obj, 'email', path),
    uuid: optionalStr(obj, uuidKey, path),
    password: optionalStr(obj, 'password', path),
    auth: optionalStr(obj, 'auth', path),
    enable: bool(obj, 'enable', path),
    expiryTime: num(obj, 'expiryTime', path),
    totalGB: num(obj, 'totalGB', path),
    limitIp: num(obj, 'limitIp', path),
    tgId: telegramId(obj, path),
    subId: str(obj, 'subId', path),
    flow: str(obj, 'flow', path),
    reset: num(obj, 'reset', path),
    resetDay: num(obj, 'resetDay', path),
    trafficReset: str(obj, 'trafficReset', path),
    comment: str(obj, 'comment', path),
  };
}

function parseTrafficAt(value: unknown, path: string): WireTraffic {
  const obj = record(value, path);
  return {
    email: requiredStr(obj, 'email', path),
    inboundId: num(obj, 'inboundId', path),
    enable: bool(obj, 'enable', path),
    up: num(obj, 'up', path),
    down: num(obj, 'down', path),
    expiryTime: num(obj, 'expiryTime', path),
    total: num(obj, 'total', path),
  };
}

function parseInboundAt(value: unknown, path: string): WireInbound {
  const obj = record(value, path);
  const settings = jsonObject(obj.settings, `${path}.settings`);
  const { clients: rawClients, ...rest } = settings;
  const clients =
    rawClients === undefined || rawClients === null
      ? []
      : array(rawClients, `${path}.settings.clients`).map((client, index) =>
          parseClientAt(client, `${path}.settings.clients[${String(index)}]`, 'id'),
        );
  const stats = obj.clientStats;
  const clientStats =
    stats === undefined || stats === null
      ? []
      : array(stats, `${path}.clientStats`).map((row, index) =>
          parseTrafficAt(row, `${path}.clientStats[${String(index)}]`),
        );
  return {
    id: requiredNum(obj, 'id', path),
    remark: str(obj, 'remark', path),
    protocol: requiredStr(obj, 'protocol', path),
    port: num(obj, 'port', path),
    listen: str(obj, 'listen', path),
    enable: bool(obj, 'enable', path),
    disableFlow: bool(obj, 'disableFlow', path),
    settings: rest,
    streamSettings: jsonObject(obj.streamSettings, `${path}.streamSettings`),
    clients,
    clientStats,
  };
}

/** Parses the envelope; `msg` may be missing on some old handlers and then reads as empty. */
export function parseEnvelope(value: unknown): Result<Envelope, ParseError> {
  return capture(() => {
    const obj = record(value, '$');
    const success = obj.success;
    if (typeof success !== 'boolean') {
      throw new Failure('$.success', 'a boolean');
    }
    return { success, msg: str(obj, 'msg', '$'), obj: obj.obj };
  });
}

/** Parses `obj` of `inbounds/list` (both generations). */
export function parseInboundList(obj: unknown): Result<ReadonlyArray<WireInbound>, ParseError> {
  return capture(() =>
    (obj === null ? [] : array(obj, 'obj')).map((inbound, index) =>
      parseInboundAt(inbound, `obj[${String(index)}]`),
    ),
  );
}

/** Parses `obj` of `inbounds/get/:id`. */
export function parseInbound(obj: unknown): Result<WireInbound, ParseError> {
  return capture(() => parseInboundAt(obj, 'obj'));
}

/** Parses one client in `settings.clients[]` form (e.g. the object just written by a G1 update). */
export function parseSettingsClient(value: unknown): Result<WireClient, ParseError> {
  return capture(() => parseClientAt(value, 'client', 'id'));
}

/** Parses a ClientTraffic answer; `null` means the panel has no row for that email (§5). */
export function parseTrafficOrNull(obj: unknown): Result<WireTraffic | null, ParseError> {
  return capture(() => (obj === null || obj === undefined ? null : parseTrafficAt(obj, 'obj')));
}

/** Parses G2 `clients/get/:email` (§5): `{client: ClientRecord, inboundIds}`. */
export function parseClientDetail(obj: unknown): Result<WireClientDetail, ParseError> {
  return capture(() => {
    const detail = record(obj, 'obj');
    const recordValue = record(detail.client, 'obj.client');
    const inboundIds = array(detail.inboundIds ?? [], 'obj.inboundIds').map((id, index) => {
      if (typeof id !== 'number') {
        throw new Failure(`obj.inboundIds[${String(index)}]`, 'a number');
      }
      return id;
    });
    return { record: recordValue, client: parseClientAt(recordValue, 'obj.client', 'uuid'), inboundIds };
  });
}

/** Parses a G2 bulk answer `{changed, skipped?}` (§5). */
export function parseBulkResult(obj: unknown): Result<WireBulkResult, ParseError> {
  return capture(() => {
    const value = record(obj, 'obj');
    const skippedRaw = value.skipped;
    const skipped =
      skippedRaw === undefined || skippedRaw === null
        ? []
        : array(skippedRaw, 'obj.skipped').map((item, index) => {
            const entry = record(item, `obj.skipped[${String(index)}]`);
            return {
              email: requiredStr(entry, 'email', `obj.skipped[${String(index)}]`),
              reason: str(entry, 'reason', `obj.skipped[${String(index)}]`),
            };
          });
    return { changed: num(value, 'changed', 'obj'), skipped };
  });
}

/**
 * Turns a G2 ClientRecord into a Client wire object fit for `clients/update` (§4.3): the UUID moves
 * from `uuid` to `id`, the numeric row id and the camelCase timestamps go, and `allowedIPs` goes from a
 * comma-joined string back to a list. Every other key is kept, so nothing is zeroed (§7.1).
 */
export function clientRecordToWire(recordValue: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const {
    id: _rowId,
    uuid,
    createdAt: _createdAt,
    updatedAt: _updatedAt,
    allowedIPs,
    inboundIds: _inboundIds,
    traffic: _traffic,
    ...rest
  } = recordValue;
  const wire: Record<string, unknown> = { ...rest };
  if (typeof uuid === 'string' && uuid !== '') {
    wire.id = uuid;
  }
  if (typeof allowedIPs === 'string') {
    const list = allowedIPs
      .split(',')
      .map((ip) => ip.trim())
      .filter((ip) => ip !== '');
    if (list.length > 0) {
      wire.allowedIPs = list;
    }
  } else if (Array.isArray(allowedIPs)) {
    wire.allowedIPs = allowedIPs;
  }
  return wire;
}
