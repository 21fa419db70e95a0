/**
 * A simulated 3x-ui panel: a real HTTP server on 127.0.0.1 that speaks G1 (v1.5–v3.0.2) or G2 (v3.1+)
 * with the quirks of reference/xui-api.md §11, plus fault switches, configurable latency, a request
 * log and direct state access for tests and the demo. It is not test code: `keywarden demo` runs two.
 *
 * Request pipeline: log → latency/fault → base path (404 empty) → public routes (csrf-token, login,
 * logout) → auth (Bearer or cookie session; 404/401/307 by `unauthorized` style) → CSRF on unsafe
 * cookie requests (403 empty) → route → HTTP 200 envelope.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { bindClient, type DecodedClient } from './go-json.ts';
import { PanelModel, type ClientSeed, type DepletionStyle, type InboundSeed, type Outcome } from './model.ts';
import { renderClientRecord, renderInbound, renderTraffic } from './render.ts';

/** How an unauthenticated `/panel/api/*` request is answered (§2.4). */
export type UnauthorizedStyle =
  /** v3.0.2+: 404 empty, or 401 empty with `X-Requested-With: XMLHttpRequest`. */
  | 'v3'
  /** v2.8.4–v3.0.1: 404 empty, always. */
  | 'hidden'
  /** v2.0–v2.8.3: 307 to the login page, or 401 JSON with the XHR header. */
  | 'redirect';

/** A fault the panel injects instead of (or before) its normal answer. */
export type SimulatedFault =
  /** `refuse`: the listener is closed (connection refused); `destroy`: sockets are destroyed on request. */
  | { readonly kind: 'down'; readonly mode: 'refuse' | 'destroy' }
  | { readonly kind: 'slow'; readonly delayMs: number }
  /** Never answers (until the client gives up). */
  | { readonly kind: 'hang' }
  | { readonly kind: 'status'; readonly status: number }
  /** HTTP 200 with the HTML login page, as a panel behind a misrouted proxy or an expired session does. */
  | { readonly kind: 'html' }
  | { readonly kind: 'malformed-json' }
  /** HTTP 200 `success:false` with this error text. */
  | { readonly kind: 'refused'; readonly text: string }
  /** Every session cookie is treated as expired (login still works, but sessions never stick). */
  | { readonly kind: 'sessions-dropped' };

/** When a fault applies. */
export interface FaultScope {
  /** Only requests whose path (after the base path) contains this text. */
  readonly pathIncludes?: string;
  /** Only this many requests, then the fault clears itself. */
  readonly times?: number;
}

/** One logged request. */
export interface LoggedRequest {
  readonly method: string;
  /** Path after the base path, without the query (`panel/api/clients/list`). */
  readonly path: string;
  readonly query: string;
  readonly atMs: number;
}

/** Options of a simulated panel. */
export interface SimulatedPanelOptions {
  readonly generation: 'g1' | 'g2';
  /** Normalised to begin and end with `/`; default `/`. */
  readonly webBasePath?: string;
  readonly username?: string;
  readonly password?: string;
  /** A Bearer API token the panel accepts (v3 panels). */
  readonly token?: string;
  /** Require the CSRF token on unsafe cookie requests (v3.0.0+). Default: true on G2, false on G1. */
  readonly csrf?: boolean;
  /** Default 'v3'. */
  readonly unauthorized?: UnauthorizedStyle;
  /** Traffic job period in ms; default 5000 (v3). 0 turns the timer off (call `runJob()`). */
  readonly jobIntervalMs?: number;
  /** Default: 'traffic-only' on G1 (≤ v2.9.3 behaviour), 'everywhere' on G2. */
  readonly depletionStyle?: DepletionStyle;
  /** G2 only: whether `bulkEnable`/`bulkDisable` exist (v3.4.1+). Default true. */
  readonly bulkEndpoints?: boolean;
  /** Delay before every answer, in ms (the reconciler benchmark uses 20). Default 0. */
  readonly latencyMs?: number;
  /** Clock in ms since the epoch; default Date.now. */
  readonly now?: () => number;
  /** How far the panel's clock is ahead of `now` (negative: behind), ms. Default 0. */
  readonly clockOffsetMs?: number;
}

/** A running simulated panel. */
export interface SimulatedPanel {
  /** Full URL including the base path, ending in `/`. */
  readonly url: string;
  readonly generation: 'g1' | 'g2';
  /** The panel's database, for direct inspection and edits. */
  readonly model: PanelModel;
  /** Creates an inbound; returns its id. */
  addInbound(seed: InboundSeed): number;
  /** Puts a client into an inbound directly, bypassing API rules (e.g. a disabled client on G2). */
  seedClient(inboundId: number, seed: ClientSeed): void;
  /** Seeds `count` clients named `${prefix}${i}` quickly (benchmarks). */
  seedClients(inboundId: number, count: number, prefix: string, overrides?: Omit<ClientSeed, 'email'>): void;
  /** A client's state, merged with its traffic row; undefined when absent. */
  inspectClient(email: string): InspectedClient | undefined;
  /** Hand-edits a client as an admin in the panel UI would (no API rules, traffic row mirrored). */
  editClient(email: string, patch: Partial<Omit<ClientSeed, 'email' | 'up' | 'down'>>): void;
  /** Reports traffic that the next job run picks up (as Xray's stats would). */
  addTraffic(email: string, upBytes: number, downBytes: number): void;
  /** Runs the traffic job now. */
  runJob(): void;
  setInboundEnabled(inboundId: number, enable: boolean): void;
  /** Attaches an existing client to one more inbound (G2 identity; on G1 this makes a duplicate). */
  attachClient(email: string, inboundId: number): void;
  /** Changes the admin password: every existing session becomes invalid (§2.3). */
  setCredentials(username: string, password: string): void;
  /** Forgets every session, as a panel restart with a new secret would. */
  dropSessions(): void;
  setFault(fault: SimulatedFault, scope?: FaultScope): Promise<void>;
  clearFault(): Promise<void>;
  setLatency(ms: number): void;
  /**
   * Sets the panel's clock offset (ms ahead of the real clock): its traffic job, its timestamps and
   * the HTTP `Date` header all follow the skewed clock, as on a panel host with a wrong clock.
   */
  setClockOffset(ms: number): void;
  /** Requests so far (copy). */
  requests(): ReadonlyArray<LoggedRequest>;
  clearRequests(): void;
  close(): Promise<void>;
}

/** A client as the panel holds it, with its traffic row. */
export interface InspectedClient {
  readonly email: string;
  readonly uuid: string;
  readonly password: string;
  readonly auth: string;
  readonly enable: boolean;
  readonly trafficEnable: boolean;
  readonly expiryTime: number;
  readonly totalGB: number;
  readonly up: number;
  readonly down: number;
  readonly reset: number;
  readonly flow: string;
  readonly subId: string;
  readonly tgId: number;
  readonly limitIp: number;
  readonly comment: string;
  readonly inboundIds: ReadonlyArray<number>;
}

interface Session {
  readonly csrf: string;
  loggedIn: boolean;
  epoch: number;
}

const MAX_BODY_BYTES = 10 * 1024 * 1024;
const LOGIN_FAILED = 'Invalid username or password or two-factor code.';
const WENT_WRONG = 'Something went wrong';
const COOKIE = '3x-ui';

const LOGIN_PAGE = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="csrf-token" content="">
<title>Login</title></head><body><div id="app"></div></body></html>`;

function normaliseBase(path: string | undefined): string {
  let base = path ?? '/';
  if (!base.startsWith('/')) {
    base = `/${base}`;
  }
  if (!base.endsWith('/')) {
    base = `${base}/`;
  }
  return base;
}

function envelope(success: boolean, msg: string, obj: unknown): string {
  return JSON.stringify({ success, msg, obj });
}

/** A failure as 3x-ui words it: prefix + ` (` + text + newline + `)` (§3). */
function failure(prefix: string, text: string): string {
  return envelope(false, `${prefix} (${text}\n)`, null);
}

function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index > 0) {
      cookies.set(part.slice(0, index).trim(), part.slice(index + 1).trim());
    }
  }
  return cookies;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses a request body the way gin's binder picks by Content-Type (form or JSON). */
function parseBody(
  req: IncomingMessage,
  raw: string,
): { ok: true; value: unknown } | { ok: false; error: string } {
  if (raw.length === 0) {
    return { ok: true, value: {} };
  }
  const type = req.headers['content-type'] ?? '';
  if (type.includes('application/x-www-form-urlencoded')) {
    const form: Record<string, unknown> = {};
    for (const [key, value] of new URLSearchParams(raw)) {
      form[key] = value;
    }
    return { ok: true, value: form };
  }
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch {
    // gin reports the decoder's complaint inside a success:false envelope (§3).
    return { ok: false, error: 'invalid character in JSON input' };
  }
}

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly headers?: Record<string, string>;
}

const json = (body: string): Answer => ({
  status: 200,
  body,
  headers: { 'content-type': 'application/json; charset=utf-8' },
});
const empty = (status: number): Answer => ({ status, body: '' });

/** Starts a simulated panel on 127.0.0.1 with a free port. */
export async function startSimulatedPanel(options: SimulatedPanelOptions): Promise<SimulatedPanel> {
  const generation = options.generation;
  const base = normaliseBase(options.webBasePath);
  const baseNow = options.now ?? Date.now;
  let clockOffsetMs = options.clockOffsetMs ?? 0;
  const now = (): number => baseNow() + clockOffsetMs;
  const model = new PanelModel(
    generation,
    now,
    options.depletionStyle ?? (generation === 'g1' ? 'traffic-only' : 'everywhere'),
  );
  const isCsrfOn = options.csrf ?? generation === 'g2';
  const unauthorized = options.unauthorized ?? 'v3';
  const hasBulk = options.bulkEndpoints ?? true;
  let username = options.username ?? 'admin';
  let password = options.password ?? 'admin';
  let epoch = 1;
  let latencyMs = options.latencyMs ?? 0;
  const sessions = new Map<string, Session>();
  const failures = new Map<string, number[]>();
  const blockedUntil = new Map<string, number>();
  const log: LoggedRequest[] = [];
  let fault: { fault: SimulatedFault; scope: FaultScope; remaining: number } | undefined;
  const openSockets = new Set<Socket>();

  function takeFault(path: string): SimulatedFault | undefined {
    if (fault === undefined) {
      return undefined;
    }
    if (fault.scope.pathIncludes !== undefined && !path.includes(fault.scope.pathIncludes)) {
      return undefined;
    }
    const current = fault.fault;
    fault.remaining--;
    if (fault.remaining <= 0) {
      fault = undefined;
    }
    return current;
  }

  function newSession(): [string, Session] {
    const id = randomBytes(18).toString('base64url');
    const session: Session = { csrf: randomBytes(16).toString('hex'), loggedIn: false, epoch };
    sessions.set(id, session);
    return [id, session];
  }

  function cookieHeader(id: string): string {
    return `${COOKIE}=${id}; Path=${base}; Max-Age=21600; HttpOnly; SameSite=Lax`;
  }

  function handleLogin(
    body: unknown,
    setCookie: (value: string) => void,
    session: [string, Session] | undefined,
  ): Answer {
    const fields = isRecord(body) ? body : {};
    const user = typeof fields.username === 'string' ? fields.username : '';
    const pass = typeof fields.password === 'string' ? fields.password : '';
    const at = now();
    const blocked = blockedUntil.get(user) ?? 0;
    // §2.1: while blocked even the right password gets the same failure, still HTTP 200.
    if (blocked > at) {
      return json(envelope(false, LOGIN_FAILED, null));
    }
    if (user !== username || pass !== password) {
      const recent = (failures.get(user) ?? []).filter((time) => time > at - 5 * 60_000);
      recent.push(at);
      failures.set(user, recent);
      if (recent.length >= 5) {
        blockedUntil.set(user, at + 15 * 60_000);
        failures.delete(user);
      }
      return json(envelope(false, LOGIN_FAILED, null));
    }
    failures.delete(user);
    const [id, current] = session ?? newSession();
    current.loggedIn = true;
    current.epoch = epoch;
    setCookie(cookieHeader(id));
    return json(envelope(true, 'You have successfully logged into your account.', null));
  }

  function unauthenticated(req: IncomingMessage): Answer {
    const isXhr = req.headers['x-requested-with'] === 'XMLHttpRequest';
    switch (unauthorized) {
      case 'v3':
        return empty(isXhr ? 401 : 404);
      case 'hidden':
        return empty(404);
      case 'redirect':
        return isXhr
          ? {
              status: 401,
              body: envelope(false, 'Your session has expired, please log in again', null),
              headers: { 'content-type': 'application/json; charset=utf-8' },
            }
          : { status: 307, body: '', headers: { location: base } };
    }
  }

  function outcome(result: Outcome<unknown>, successMsg: string): Answer {
    return result.ok
      ? json(envelope(true, successMsg, result.value))
      : json(failure(WENT_WRONG, result.text));
  }

  function decodeSettingsClients(
    settings: unknown,
  ):
    | { ok: true; clients: Array<{ client: DecodedClient; extra: Record<string, unknown> }> }
    | { ok: false; text: string } {
    // G1 binds the body into the Inbound model, whose `settings` is a Go string (§6).
    if (typeof settings !== 'string') {
      return {
        ok: false,
        text: `json: cannot unmarshal ${Array.isArray(settings) ? 'array' : typeof settings === 'object' ? 'object' : typeof settings} into Go struct field Inbound.settings of type string`,
      };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(settings);
    } catch {
      return { ok: false, text: 'invalid character in settings JSON' };
    }
    const list = isRecord(parsed) ? parsed.clients : undefined;
    if (!Array.isArray(list)) {
      return { ok: false, text: 'empty client ID' };
    }
    const clients: Array<{ client: DecodedClient; extra: Record<string, unknown> }> = [];
    for (const item of list) {
      const bound = bindClient(item);
      if (!bound.ok) {
        return { ok: false, text: bound.error };
      }
      clients.push({ client: bound.client, extra: bound.extra });
    }
    return { ok: true, clients };
  }

  function inboundIdOf(body: Record<string, unknown>): number | undefined {
    const raw = body.id;
    const id = typeof raw === 'string' ? Number(raw) : raw;
    return typeof id === 'number' && Number.isInteger(id) ? id : undefined;
  }

  /** Routes under `panel/api/`, already authenticated. `route` excludes the `panel/api/` prefix. */
  function routeApi(method: string, route: string, query: URLSearchParams, body: unknown): Answer {
    const parts = route.split('/').map((part) => decodeURIComponent(part));
    const [area, action, param] = parts;
    const bodyRecord = isRecord(body) ? body : {};
    if (area === 'inbounds') {
      if (method === 'GET' && action === 'list' && parts.length === 2) {
        const list = [...model.inbounds.values()].map((inbound) => renderInbound(model, inbound));
        return json(envelope(true, '', list));
      }
      if (method === 'GET' && action === 'get' && param !== undefined) {
        const inbound = model.inbounds.get(Number(param));
        return inbound === undefined
          ? json(envelope(false, 'Obtain (record not found)', null))
          : json(envelope(true, '', renderInbound(model, inbound)));
      }
      if (method === 'POST' && action === 'setEnable' && param !== undefined) {
        const inbound = model.inbounds.get(Number(param));
        if (inbound === undefined) {
          return json(failure(WENT_WRONG, 'record not found'));
        }
        inbound.enable = bodyRecord.enable === true || bodyRecord.enable === 'true';
        return json(envelope(true, 'Inbound has been updated.', null));
      }
      if (generation === 'g1') {
        return routeG1(method, parts, bodyRecord);
      }
      return empty(404);
    }
    if (area === 'clients' && generation === 'g2') {
      return routeG2(method, parts, query, body, bodyRecord);
    }
    return empty(404);
  }

  function routeG1(method: string, parts: string[], body: Record<string, unknown>): Answer {
    const [, action, param, extra] = parts;
    if (method === 'GET' && action === 'getClientTraffics' && param !== undefined) {
      const row = model.findTraffic(param);
      return json(envelope(true, '', row === undefined ? null : renderTraffic(row, model.findClient(param))));
    }
    if (method !== 'POST') {
      return empty(404);
    }
    if (action === 'addClient' || action === 'updateClient') {
      const inboundId = inboundIdOf(body);
      const decoded = decodeSettingsClients(body.settings);
      if (!decoded.ok) {
        return json(failure(WENT_WRONG, decoded.text));
      }
      if (inboundId === undefined) {
        return json(failure(WENT_WRONG, 'record not found'));
      }
      if (action === 'addClient') {
        return outcome(model.addClientG1(inboundId, decoded.clients), 'Inbound client(s) have been added.');
      }
      if (param === undefined) {
        return empty(404);
      }
      return outcome(
        model.updateClientG1(inboundId, param, decoded.clients),
        'Inbound client has been updated.',
      );
    }
    // `:id/delClient/:clientId`, `:id/delClientByEmail/:email`, `:id/resetClientTraffic/:email`
    const inboundId = Number(action);
    if (Number.isInteger(inboundId) && extra !== undefined) {
      if (param === 'delClient') {
        return outcome(model.deleteClientG1(inboundId, extra), 'Inbound client has been deleted.');
      }
      if (param === 'delClientByEmail') {
        return outcome(model.deleteClientByEmailG1(inboundId, extra), 'Inbound client has been deleted.');
      }
      if (param === 'resetClientTraffic') {
        return outcome(model.resetTraffic(extra), 'Traffic has been reset.');
      }
    }
    return empty(404);
  }

  function routeG2(
    method: string,
    parts: string[],
    query: URLSearchParams,
    body: unknown,
    record: Record<string, unknown>,
  ): Answer {
    const [, action, param] = parts;
    if (method === 'GET') {
      switch (action ?? '') {
        case 'list': {
          if (param === 'paged') {
            const page = Math.max(1, Number(query.get('page') ?? '1'));
            const pageSize = Math.max(1, Number(query.get('pageSize') ?? '25'));
            const all = [...model.clients.values()];
            const items = all.slice((page - 1) * pageSize, page * pageSize).map((client) => ({
              email: client.email,
              enable: client.enable,
              inboundIds: client.inboundIds,
              comment: client.comment,
            }));
            return json(
              envelope(true, '', {
                items,
                total: all.length,
                filtered: all.length,
                page,
                pageSize,
                summary: {},
                groups: [],
              }),
            );
          }
          const list = [...model.clients.values()].map((client) => {
            const row = model.findTraffic(client.email);
            return {
              ...renderClientRecord(client),
              inboundIds: client.inboundIds,
              ...(row === undefined ? {} : { traffic: renderTraffic(row, client) }),
            };
          });
          return json(envelope(true, '', list));
        }
        case 'get': {
          const client = param === undefined ? undefined : model.findClientExact(param);
          if (client === undefined) {
            // gorm's not-found text carries no trailing newline (§3, §5).
            return json(envelope(false, 'Obtain (record not found)', null));
          }
          const row = model.findTraffic(client.email);
          return json(
            envelope(true, '', {
              client: renderClientRecord(client),
              inboundIds: client.inboundIds,
              externalLinks: [],
              usedTraffic: row === undefined ? 0 : row.up + row.down,
            }),
          );
        }
        case 'traffic': {
          const row = param === undefined ? undefined : model.findTraffic(param);
          // §5: an unknown email is success:true with obj:null.
          return json(
            envelope(true, '', row === undefined ? null : renderTraffic(row, model.findClient(row.email))),
          );
        }
        default:
          return empty(404);
      }
    }
    if (method !== 'POST') {
      return empty(404);
    }
    switch (action ?? '') {
      case 'add': {
        const bound = bindClient(record.client);
        if (!bound.ok) {
          return json(failure(WENT_WRONG, bound.error));
        }
        const ids = Array.isArray(record.inboundIds)
          ? record.inboundIds.filter((id): id is number => typeof id === 'number')
          : [];
        return outcome(model.addClientG2(bound.client, ids), 'Inbound client(s) have been added.');
      }
      case 'update': {
        if (param === undefined) {
          return empty(404);
        }
        const bound = bindClient(body);
        if (!bound.ok) {
          return json(failure(WENT_WRONG, bound.error));
        }
        const ids = query.get('inboundIds');
        const inboundIds = ids === null ? undefined : ids.split(',').map(Number).filter(Number.isInteger);
        return outcome(
          model.updateClientG2(param, bound.client, inboundIds),
          'Inbound client has been updated.',
        );
      }
      case 'del':
        if (param === undefined) {
          return empty(404);
        }
        return outcome(model.deleteClientG2(param, false), 'Inbound client has been deleted.');
      case 'bulkEnable':
      case 'bulkDisable': {
        if (!hasBulk) {
          return empty(404);
        }
        const emails = Array.isArray(record.emails)
          ? record.emails.filter((email): email is string => typeof email === 'string')
          : undefined;
        if (emails === undefined) {
          return json(failure(WENT_WRONG, 'emails is required'));
        }
        const result = model.bulkSetEnable(emails, action === 'bulkEnable');
        return json(envelope(true, '', result.skipped.length > 0 ? result : { changed: result.changed }));
      }
      case 'resetTraffic':
        if (param === undefined) {
          return empty(404);
        }
        return outcome(model.resetTraffic(param), 'Traffic has been reset.');
      default:
        return empty(404);
    }
  }

  function handle(
    req: IncomingMessage,
    rawBody: string,
    isTooLarge: boolean,
    setCookie: (value: string) => void,
  ): Answer {
    const url = new URL(req.url ?? '/', 'http://panel');
    if (!url.pathname.startsWith(base)) {
      return empty(404);
    }
    const path = url.pathname.slice(base.length);
    const method = req.method ?? 'GET';
    const cookies = parseCookies(req.headers.cookie);
    const sessionId = cookies.get(COOKIE);
    const found = sessionId === undefined ? undefined : sessions.get(sessionId);
    const session: [string, Session] | undefined =
      sessionId !== undefined && found !== undefined ? [sessionId, found] : undefined;
    const isUnsafe = method !== 'GET' && method !== 'HEAD';
    const hasCsrf = (current: [string, Session] | undefined): boolean =>
      !isCsrfOn || (current !== undefined && req.headers['x-csrf-token'] === current[1].csrf);

    if (path === 'csrf-token' && method === 'GET' && isCsrfOn) {
      const current = session ?? newSession();
      setCookie(cookieHeader(current[0]));
      return json(envelope(true, '', current[1].csrf));
    }
    if (path === 'login' && method === 'POST') {
      if (!hasCsrf(session)) {
        return empty(403);
      }
      const parsed = parseBody(req, rawBody);
      return handleLogin(parsed.ok ? parsed.value : {}, setCookie, session);
    }
    if (path === 'logout') {
      if (session !== undefined) {
        sessions.delete(session[0]);
      }
      return { status: 307, body: '', headers: { location: base } };
    }
    if (path === '' && method === 'GET') {
      return { status: 200, body: LOGIN_PAGE, headers: { 'content-type': 'text/html; charset=utf-8' } };
    }
    if (!path.startsWith('panel/api/')) {
      return empty(404);
    }
    const bearer = req.headers.authorization;
    const isBearer = options.token !== undefined && bearer === `Bearer ${options.token}`;
    if (!isBearer) {
      const isValid = session !== undefined && session[1].loggedIn && session[1].epoch === epoch;
      if (!isValid) {
        return unauthenticated(req);
      }
      if (isUnsafe && !hasCsrf(session)) {
        return empty(403);
      }
    }
    if (isTooLarge) {
      return json(failure(WENT_WRONG, 'http: request body too large'));
    }
    const parsed = parseBody(req, rawBody);
    if (!parsed.ok) {
      return json(failure(WENT_WRONG, parsed.error));
    }
    return routeApi(method, path.slice('panel/api/'.length), url.searchParams, parsed.value);
  }

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) {
        chunks.push(chunk);
      }
    });
    req.on('end', () => {
      void respond(req, res, Buffer.concat(chunks).toString('utf8'), size > MAX_BODY_BYTES);
    });
  });
  server.on('connection', (socket) => {
    openSockets.add(socket);
    socket.on('close', () => openSockets.delete(socket));
  });

  async function respond(
    req: IncomingMessage,
    res: ServerResponse,
    rawBody: string,
    isTooLarge: boolean,
  ): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://panel');
    const path = url.pathname.startsWith(base) ? url.pathname.slice(base.length) : url.pathname;
    log.push({ method: req.method ?? 'GET', path, query: url.search, atMs: now() });
    const current = takeFault(path);
    if (latencyMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, latencyMs));
    }
    if (current?.kind === 'slow') {
      await new Promise((resolve) => setTimeout(resolve, current.delayMs));
    }
    if (current?.kind === 'hang') {
      return; // Never answer; the socket stays open until the client aborts or the panel closes.
    }
    if (current?.kind === 'down') {
      req.socket.destroy();
      return;
    }
    const isApi = path.startsWith('panel/api/');
    let answer: Answer;
    if (current?.kind === 'status') {
      answer = {
        status: current.status,
        body: 'Internal Server Error',
        headers: { 'content-type': 'text/plain' },
      };
    } else if (current?.kind === 'html' && isApi) {
      answer = { status: 200, body: LOGIN_PAGE, headers: { 'content-type': 'text/html; charset=utf-8' } };
    } else if (current?.kind === 'malformed-json' && isApi) {
      answer = json('{"success":true,"msg":"","obj":[{"id":1,"remark":"trunc');
    } else if (current?.kind === 'refused' && isApi) {
      answer = json(failure(WENT_WRONG, current.text));
    } else {
      if (current?.kind === 'sessions-dropped') {
        sessions.clear();
      }
      const cookies: string[] = [];
      answer = handle(req, rawBody, isTooLarge, (value) => cookies.push(value));
      if (cookies.length > 0) {
        res.setHeader('set-cookie', cookies);
      }
    }
    res.statusCode = answer.status;
    // Go's net/http writes the Date header from the host clock; a skewed panel host shows it here.
    res.setHeader('date', new Date(now()).toUTCString());
    for (const [name, value] of Object.entries(answer.headers ?? {})) {
      res.setHeader(name, value);
    }
    res.end(answer.body);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${String(port)}${base}`;
  const jobIntervalMs = options.jobIntervalMs ?? 5_000;
  const job =
    jobIntervalMs > 0
      ? setInterval(() => {
          model.runTrafficJob();
        }, jobIntervalMs)
      : undefined;
  job?.unref();
  let isListening = true;
  let isClosed = false;

  async function stopListening(): Promise<void> {
    if (!isListening) {
      return;
    }
    isListening = false;
    const closed = new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
    for (const socket of openSockets) {
      socket.destroy();
    }
    await closed;
  }

  async function startListening(): Promise<void> {
    if (isListening || isClosed) {
      return;
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    isListening = true;
  }

  function inspect(email: string): InspectedClient | undefined {
    const client = model.findClient(email);
    if (client === undefined) {
      return undefined;
    }
    const row = model.findTraffic(email);
    return {
      email: client.email,
      uuid: client.uuid,
      password: client.password,
      auth: client.auth,
      enable: client.enable,
      trafficEnable: row?.enable ?? true,
      expiryTime: client.expiryTime,
      totalGB: client.totalGB,
      up: row?.up ?? 0,
      down: row?.down ?? 0,
      reset: client.reset,
      flow: client.flow,
      subId: client.subId,
      tgId: client.tgId,
      limitIp: client.limitIp,
      comment: client.comment,
      inboundIds: [...client.inboundIds],
    };
  }

  function requireClient(email: string): NonNullable<ReturnType<PanelModel['findClient']>> {
    const client = model.findClient(email);
    if (client === undefined) {
      throw new Error(`simulator: no client ${email}`);
    }
    return client;
  }

  return {
    url,
    generation,
    model,
    addInbound: (seed) => model.addInbound(seed),
    seedClient: (inboundId, seed) => {
      model.seedClient(inboundId, seed);
    },
    seedClients: (inboundId, count, prefix, overrides = {}) => {
      for (let i = 0; i < count; i++) {
        model.seedClient(inboundId, { ...overrides, email: `${prefix}${String(i)}` });
      }
    },
    inspectClient: inspect,
    editClient: (email, patch) => {
      const client = requireClient(email);
      if (patch.uuid !== undefined) {
        client.uuid = patch.uuid;
      }
      if (patch.password !== undefined) {
        client.password = patch.password;
      }
      if (patch.auth !== undefined) {
        client.auth = patch.auth;
      }
      if (patch.enable !== undefined) {
        client.enable = patch.enable;
      }
      if (patch.expiryTime !== undefined) {
        client.expiryTime = patch.expiryTime;
      }
      if (patch.totalGB !== undefined) {
        client.totalGB = patch.totalGB;
      }
      if (patch.limitIp !== undefined) {
        client.limitIp = patch.limitIp;
      }
      if (patch.tgId !== undefined) {
        client.tgId = patch.tgId;
      }
      if (patch.subId !== undefined) {
        client.subId = patch.subId;
      }
      if (patch.flow !== undefined) {
        client.flow = patch.flow;
      }
      if (patch.reset !== undefined) {
        client.reset = patch.reset;
      }
      if (patch.comment !== undefined) {
        client.comment = patch.comment;
      }
      client.updatedAt = now();
      const row = model.findTraffic(email);
      if (row !== undefined) {
        row.enable = patch.trafficEnable ?? (patch.enable === undefined ? row.enable : patch.enable);
        row.total = client.totalGB;
        row.expiryTime = client.expiryTime;
        row.reset = client.reset;
      }
    },
    addTraffic: (email, upBytes, downBytes) => {
      const row = model.findTraffic(email);
      if (row === undefined) {
        throw new Error(`simulator: no traffic row for ${email}`);
      }
      row.pendingUp += upBytes;
      row.pendingDown += downBytes;
    },
    runJob: () => {
      model.runTrafficJob();
    },
    setInboundEnabled: (inboundId, enable) => {
      const inbound = model.inbounds.get(inboundId);
      if (inbound === undefined) {
        throw new Error(`simulator: no inbound ${String(inboundId)}`);
      }
      inbound.enable = enable;
    },
    attachClient: (email, inboundId) => {
      const client = requireClient(email);
      const inbound = model.inbounds.get(inboundId);
      if (inbound === undefined) {
        throw new Error(`simulator: no inbound ${String(inboundId)}`);
      }
      if (!client.inboundIds.includes(inboundId)) {
        client.inboundIds.push(inboundId);
        inbound.clients.add(client.email.toLowerCase());
      }
    },
    setCredentials: (nextUsername, nextPassword) => {
      username = nextUsername;
      password = nextPassword;
      epoch++; // §2.3: the login epoch moves, so every existing session fails auth.
    },
    dropSessions: () => {
      sessions.clear();
    },
    setFault: async (next, scope = {}) => {
      fault = { fault: next, scope, remaining: scope.times ?? Number.POSITIVE_INFINITY };
      if (next.kind === 'down' && next.mode === 'refuse') {
        fault = undefined;
        await stopListening();
      }
    },
    clearFault: async () => {
      fault = undefined;
      await startListening();
    },
    setLatency: (ms) => {
      latencyMs = ms;
    },
    setClockOffset: (ms) => {
      clockOffsetMs = ms;
    },
    requests: () => [...log],
    clearRequests: () => {
      log.length = 0;
    },
    close: async () => {
      if (isClosed) {
        return;
      }
      if (job !== undefined) {
        clearInterval(job);
      }
      await stopListening();
      isClosed = true;
    },
  };
}
