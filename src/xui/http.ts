/**
 * The HTTP side of one panel: requests through undici with the injected dispatcher, the session
 * (cookie + CSRF, or Bearer token), and the mapping of answers onto envelopes or PanelErrors
 * (reference/xui-api.md §2–§3).
 *
 * Session state machine (password auth): `none` → login (GET csrf-token if the panel has one, then
 * POST login) → `active`. An API answer of 401, 3xx, HTML, or 404 (where 404 cannot mean "no such
 * route") means the session is gone: log in again once and retry once; a second such answer fails
 * with PanelAuthError. A 403 on a cookie POST means a stale CSRF token: fetch a new one once and
 * retry (§2.2). A refused login arms a backoff (§2.1: 5 failures in 5 min lock the account for
 * 15 min), during which calls fail fast with `login-backoff` instead of hitting the panel.
 */
import { createHash } from 'node:crypto';
import { Agent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import type { Logger } from 'pino';
import { backoffDelayMs, type BackoffPolicy } from '../shared/index.ts';
import type { PanelId } from '../domain/ids.ts';
import type { LoginBlock, LoginCredentials, LoginGuard, PanelConnection } from '../reconciler/ports.ts';
import {
  PanelAuthError,
  PanelRefusedError,
  PanelTimeoutError,
  PanelTransportError,
  PanelUnparseableError,
  type PanelErrorContext,
} from './errors.ts';
import { parseEnvelope, type Envelope } from './wire.ts';

/** One HTTP exchange, for the `keywarden_panel_request_duration_seconds{panel,op,outcome}` metric. */
export interface PanelRequestEvent {
  readonly panelId: PanelId;
  /** The panel's name (the metric's `panel` label). */
  readonly panel: string;
  /** Logical operation (`login`, `csrf`, `listInbounds`, `bulkDisable`, ...). */
  readonly op: string;
  /** `ok`, `refused`, `auth`, `not-found`, `http-error`, `unparseable`, `timeout` or `transport`. */
  readonly outcome: string;
  readonly durationMs: number;
}

/** Options of a panel client (the composition root fills them from config). */
export interface PanelClientOptions {
  /** Deadline of one HTTP exchange (connect + headers + body), in ms. */
  readonly timeoutMs: number;
  /** A child logger; the client adds `{ component: 'xui', panel }`. */
  readonly logger: Logger;
  /** Dispatcher to send through (tests inject a MockAgent). Default: a keep-alive Agent per panel. */
  readonly dispatcher?: Dispatcher;
  /** Called after every HTTP exchange. */
  readonly onRequest?: (event: PanelRequestEvent) => void;
  /** Backoff after a refused login; default 60 s doubling to 15 min, which stays under the lockout. */
  readonly loginBackoff?: BackoffPolicy;
  /** Connections per panel of the default Agent; default 4. */
  readonly maxConnections?: number;
  /** Clock for the login backoff, ms since the epoch; default Date.now. */
  readonly now?: () => number;
  /**
   * Failed-login state shared across processes (PostgreSQL in the daemon and the CLI). When set, a
   * login is tried only when the guard allows it, and every refusal is recorded there.
   */
  readonly loginGuard?: LoginGuard;
  /**
   * Called each time a login is not tried because of the login back-off (this process's, or the
   * shared one in `loginGuard`, which also keeps 3x-ui's lockout from tripping) or because the
   * shared state could not be read.
   */
  readonly onLoginWithheld?: (event: { readonly panelId: PanelId; readonly panel: string }) => void;
}

/** Default login backoff: attempts at ≥0, 30, 90, 210, 450 s… — at most 4 in any 5 minutes (§2.1). */
export const DEFAULT_LOGIN_BACKOFF = { baseMs: 60_000, maxMs: 15 * 60_000 } as const satisfies BackoffPolicy;

/** Clock offset samples kept per panel (the estimate is their median). */
const CLOCK_SAMPLES = 9;

/** A request body: JSON, or a form (G1 login). */
export type RequestBody =
  | { readonly kind: 'json'; readonly value: unknown }
  | { readonly kind: 'form'; readonly value: Readonly<Record<string, string>> };

/** One API call. */
export interface ApiCall {
  readonly op: string;
  readonly method: 'GET' | 'POST';
  /** Path under the base URL, e.g. `panel/api/inbounds/list`; segments already encoded. */
  readonly path: string;
  readonly body?: RequestBody;
  /**
   * What a 404 means. `auth` (default): the session is gone (§2.4). `answer`: the route may not exist
   * on this version (generation probe, bulk endpoints); the call returns `not-found` instead.
   */
  readonly notFound?: 'auth' | 'answer';
}

/** A call's result: the parsed envelope, or "no such route" when the caller asked for it. */
export type ApiAnswer =
  { readonly kind: 'envelope'; readonly envelope: Envelope } | { readonly kind: 'not-found' };

interface RawResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  readonly setCookies: ReadonlyArray<string>;
}

/** Which timeouts undici reports as its own errors. */
function isUndiciTimeout(error: unknown): boolean {
  return (
    error instanceof undiciErrors.ConnectTimeoutError ||
    error instanceof undiciErrors.HeadersTimeoutError ||
    error instanceof undiciErrors.BodyTimeoutError
  );
}

function looksLikeHtml(response: RawResponse): boolean {
  return response.contentType.includes('text/html') || response.body.trimStart().startsWith('<');
}

/** Creates the default dispatcher for a panel: keep-alive, capped connections, per-panel TLS. */
export function createPanelAgent(connection: PanelConnection, timeoutMs: number, maxConnections = 4): Agent {
  return new Agent({
    connections: maxConnections,
    keepAliveTimeout: 30_000,
    connectTimeout: timeoutMs,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: {
      // Panels often serve self-signed certificates; the operator opts in per panel.
      rejectUnauthorized: !connection.tlsSkipVerify,
      ...(connection.caPem === undefined ? {} : { ca: connection.caPem }),
    },
  });
}

/** The HTTP session with one panel. */
export class PanelHttp {
  private readonly connection: PanelConnection;
  private readonly options: PanelClientOptions;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly cookies = new Map<string, string>();
  private csrfToken: string | undefined;
  private hasSession = false;
  /** Bumped on every successful login, so concurrent calls re-login only once. */
  private sessionVersion = 0;
  private loginInFlight: Promise<void> | undefined;
  private loginFailures = 0;
  private loginBlockedUntilMs = 0;
  /** Recent clock offset samples (panel minus ours, ms), newest last. */
  private readonly clockSamples: number[] = [];

  constructor(connection: PanelConnection, options: PanelClientOptions) {
    this.connection = connection;
    this.options = options;
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher =
      options.dispatcher ?? createPanelAgent(connection, options.timeoutMs, options.maxConnections);
    this.log = options.logger.child({ component: 'xui', panel: connection.name, panelId: connection.id });
    this.now = options.now ?? Date.now;
  }

  private context(op: string): PanelErrorContext {
    return { panelId: this.connection.id, panelName: this.connection.name, op };
  }

  /** Sends one API call with authentication, re-login and CSRF refresh as described above. */
  async api(call: ApiCall, signal: AbortSignal): Promise<ApiAnswer> {
    const isToken = this.connection.auth.kind === 'token';
    if (!isToken && !this.hasSession) {
      await this.login(signal);
    }
    let hasRelogged = false;
    let hasRefreshedCsrf = false;
    for (;;) {
      const version = this.sessionVersion;
      const response = await this.send(call.op, call.method, call.path, call.body, signal, true);
      const status = response.status;
      const isRedirect = status >= 300 && status < 400;
      const isNotFound = status === 404;
      if (isNotFound && call.notFound === 'answer') {
        return { kind: 'not-found' };
      }
      if (status === 403 && !isToken && !hasRefreshedCsrf && call.method === 'POST') {
        hasRefreshedCsrf = true; // §2.2: a lost CSRF token; fetch a new one once, like the panel's UI.
        await this.fetchCsrfToken(signal);
        continue;
      }
      if (status === 403 && isToken && isJsonRefusal(response)) {
        // main (§2.5): a route outside the token's scope is 403 with a JSON envelope; CSRF and the
        // webDomain check answer 403 with an empty body.
        throw new PanelAuthError(this.context(call.op), 'token-scope', { status });
      }
      if (status === 403) {
        throw new PanelAuthError(this.context(call.op), 'forbidden', { status });
      }
      const isHtml = status === 200 && looksLikeHtml(response);
      if (status === 401 || isRedirect || isNotFound || isHtml) {
        if (isToken) {
          // A wrong or disabled token falls through to the session check (§2.5): nothing to renew.
          throw new PanelAuthError(this.context(call.op), 'token-rejected', { status });
        }
        if (hasRelogged) {
          throw new PanelAuthError(this.context(call.op), 'session-rejected', { status });
        }
        hasRelogged = true;
        if (this.sessionVersion === version) {
          this.hasSession = false;
          await this.login(signal);
        }
        continue;
      }
      if (status !== 200) {
        throw new PanelRefusedError(this.context(call.op), status, response.body.slice(0, 200));
      }
      return { kind: 'envelope', envelope: this.parse(call.op, response) };
    }
  }

  private parse(op: string, response: RawResponse): Envelope {
    let json: unknown;
    try {
      json = JSON.parse(response.body);
    } catch (thrown: unknown) {
      throw new PanelUnparseableError(this.context(op), response.status, response.body, { cause: thrown });
    }
    const envelope = parseEnvelope(json);
    if (!envelope.ok) {
      throw new PanelUnparseableError(this.context(op), response.status, response.body, envelope.error);
    }
    return envelope.value;
  }

  /** Logs in (sharing one attempt among concurrent callers). */
  private async login(signal: AbortSignal): Promise<void> {
    this.loginInFlight ??= this.doLogin(signal).finally(() => {
      this.loginInFlight = undefined;
    });
    await this.loginInFlight;
  }

  private noteLoginWithheld(): void {
    this.options.onLoginWithheld?.({ panelId: this.connection.id, panel: this.connection.name });
  }

  private async doLogin(signal: AbortSignal): Promise<void> {
    const auth = this.connection.auth;
    if (auth.kind !== 'password') {
      return;
    }
    const waitMs = this.loginBlockedUntilMs - this.now();
    if (waitMs > 0) {
      this.noteLoginWithheld();
      throw new PanelAuthError(this.context('login'), 'login-backoff', { retryAfterMs: waitMs });
    }
    const guard = this.options.loginGuard;
    const credentials = loginCredentialsOf(auth.username, auth.password);
    if (guard !== undefined) {
      let block: LoginBlock | null;
      try {
        block = await guard.beforeLogin(this.connection.id, credentials);
      } catch (thrown: unknown) {
        // Without the shared state another process may be failing right now: do not risk the lockout.
        this.noteLoginWithheld();
        throw new PanelAuthError(this.context('login'), 'login-backoff', {
          cause: thrown,
          detail: 'the shared login state could not be read, so no login is tried',
        });
      }
      if (block !== null) {
        this.noteLoginWithheld();
        throw new PanelAuthError(this.context('login'), 'login-backoff', {
          retryAfterMs: Math.max(0, block.until.getTime() - this.now()),
          detail: describeLoginBlock(block),
          loginBlock: block,
        });
      }
    }
    this.cookies.clear();
    this.csrfToken = undefined;
    this.hasSession = false;
    await this.fetchCsrfToken(signal);
    const form = { username: auth.username, password: auth.password };
    let response = await this.send('login', 'POST', 'login', { kind: 'form', value: form }, signal, false);
    if (response.status === 403) {
      await this.fetchCsrfToken(signal);
      response = await this.send('login', 'POST', 'login', { kind: 'form', value: form }, signal, false);
    }
    if (response.status !== 200 || looksLikeHtml(response)) {
      // A wrong base path answers 404 here (§1): the configuration is wrong, not the network.
      throw new PanelAuthError(this.context('login'), 'login-rejected', { status: response.status });
    }
    const envelope = this.parse('login', response);
    if (!envelope.success) {
      this.loginFailures++;
      const delayMs = backoffDelayMs(this.loginFailures, this.options.loginBackoff ?? DEFAULT_LOGIN_BACKOFF);
      this.loginBlockedUntilMs = this.now() + delayMs;
      this.log.warn({ failures: this.loginFailures, retryInMs: delayMs }, 'panel login refused, backing off');
      let detail: string | undefined;
      if (guard !== undefined) {
        try {
          const block = await guard.loginRefused(this.connection.id, credentials);
          this.loginBlockedUntilMs = Math.max(this.loginBlockedUntilMs, block.until.getTime());
          detail = `next login not before ${block.until.toISOString()}; check the panel's username and password`;
        } catch (thrown: unknown) {
          this.log.error({ err: thrown }, 'recording a refused panel login failed');
        }
      }
      throw new PanelAuthError(this.context('login'), 'login-rejected', {
        status: 200,
        ...(detail === undefined ? {} : { detail }),
      });
    }
    this.loginFailures = 0;
    this.loginBlockedUntilMs = 0;
    if (guard !== undefined) {
      await guard.loginSucceeded(this.connection.id).catch((thrown: unknown) => {
        this.log.warn({ err: thrown }, 'clearing the shared failed-login state failed');
      });
    }
    this.hasSession = true;
    this.sessionVersion++;
    this.log.debug({ hasCsrf: this.hasCsrfToken() }, 'panel login succeeded');
  }

  private hasCsrfToken(): boolean {
    return this.csrfToken !== undefined;
  }

  /** GET csrf-token (v3.0.0+, §2.2). Older panels have no such route; then no token is sent. */
  private async fetchCsrfToken(signal: AbortSignal): Promise<void> {
    const response = await this.send('csrf', 'GET', 'csrf-token', undefined, signal, false);
    if (response.status !== 200 || looksLikeHtml(response)) {
      this.csrfToken = undefined;
      return;
    }
    const envelope = this.parse('csrf', response);
    this.csrfToken = envelope.success && typeof envelope.obj === 'string' ? envelope.obj : undefined;
  }

  private storeCookies(setCookies: ReadonlyArray<string>): void {
    for (const line of setCookies) {
      const pair = line.split(';', 1)[0] ?? '';
      const index = pair.indexOf('=');
      if (index <= 0) {
        continue;
      }
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      if (value === '' || /max-age=0\b/i.test(line)) {
        this.cookies.delete(name);
      } else {
        this.cookies.set(name, value);
      }
    }
  }

  /** One HTTP exchange: never follows redirects, always bounded by the timeout and the caller's signal. */
  private async send(
    op: string,
    method: 'GET' | 'POST',
    path: string,
    body: RequestBody | undefined,
    signal: AbortSignal,
    isApi: boolean,
  ): Promise<RawResponse> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'accept-language': 'en-US',
      // §2.4: with this header v3.0.2+ answers 401 instead of a 404 or a redirect to the login page.
      'x-requested-with': 'XMLHttpRequest',
    };
    const auth = this.connection.auth;
    if (isApi && auth.kind === 'token') {
      headers.authorization = `Bearer ${auth.token}`;
    } else if (this.cookies.size > 0) {
      headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    }
    if (method === 'POST' && this.csrfToken !== undefined && !(isApi && auth.kind === 'token')) {
      headers['x-csrf-token'] = this.csrfToken;
    }
    let payload: string | null = null;
    if (body?.kind === 'json') {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body.value);
    } else if (body?.kind === 'form') {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      payload = new URLSearchParams(body.value).toString();
    }
    if (isAborted(signal)) {
      // Checked before every request, not only by undici: the caller's signal carries panel ownership,
      // and a write must never leave once it is aborted (issue 11).
      throw new PanelTransportError(this.context(op), signal.reason);
    }
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const combined = AbortSignal.any([signal, timeout]);
    const started = performance.now();
    const sentAtMs = this.now();
    let outcome = 'transport';
    try {
      const response = await request(new URL(path, this.connection.baseUrl), {
        method,
        headers,
        body: payload,
        signal: combined,
        dispatcher: this.dispatcher,
      });
      const text = await response.body.text();
      const rawSetCookie = response.headers['set-cookie'];
      const setCookies =
        rawSetCookie === undefined ? [] : Array.isArray(rawSetCookie) ? rawSetCookie : [rawSetCookie];
      this.storeCookies(setCookies);
      this.sampleClock(response.headers['date'], sentAtMs, this.now());
      const rawType = response.headers['content-type'];
      const contentType = typeof rawType === 'string' ? rawType : '';
      const raw: RawResponse = { status: response.statusCode, contentType, body: text, setCookies };
      outcome = classifyOutcome(raw);
      return raw;
    } catch (thrown: unknown) {
      if (timeout.aborted || isUndiciTimeout(thrown)) {
        outcome = 'timeout';
        throw new PanelTimeoutError(this.context(op), this.options.timeoutMs, thrown);
      }
      throw new PanelTransportError(this.context(op), signal.aborted ? signal.reason : thrown);
    } finally {
      const durationMs = performance.now() - started;
      this.log.debug(
        { op, method, route: path.split('?', 1)[0], outcome, durationMs: Math.round(durationMs) },
        'panel request',
      );
      this.options.onRequest?.({
        panelId: this.connection.id,
        panel: this.connection.name,
        op,
        outcome,
        durationMs,
      });
    }
  }

  /**
   * Records one clock sample from a `Date` header: the panel stamped it somewhere between sending
   * and receiving, truncated to the second, so the estimate is the header + 0.5 s minus the midpoint.
   */
  private sampleClock(header: string | string[] | undefined, sentAtMs: number, receivedAtMs: number): void {
    const panelMs = typeof header === 'string' ? Date.parse(header) : Number.NaN;
    if (Number.isNaN(panelMs)) {
      return;
    }
    this.clockSamples.push(panelMs + 500 - (sentAtMs + receivedAtMs) / 2);
    if (this.clockSamples.length > CLOCK_SAMPLES) {
      this.clockSamples.shift();
    }
  }

  /**
   * The panel's clock minus ours in ms (positive: the panel is ahead): the median of the last
   * samples, rounded to the second; undefined before any answer carried a `Date` header.
   */
  clockOffsetMs(): number | undefined {
    if (this.clockSamples.length === 0) {
      return undefined;
    }
    const sorted = [...this.clockSamples].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
    return Math.round(median / 1000) * 1000;
  }

  /** Logs a notable, non-error event about this panel at info level. */
  logNotice(fields: Record<string, unknown>, message: string): void {
    this.log.info(fields, message);
  }

  /** Releases the default Agent (an injected dispatcher belongs to the caller). */
  async close(): Promise<void> {
    if (this.ownsDispatcher) {
      await this.dispatcher.close();
    }
  }
}

/** Whether an answer is a JSON `success:false` body (the token-scope 403 of main, §2.5). */
function isJsonRefusal(response: RawResponse): boolean {
  try {
    const body: unknown = JSON.parse(response.body);
    return typeof body === 'object' && body !== null && (body as { success?: unknown }).success === false;
  } catch {
    return false; // An empty or HTML 403 body: CSRF or webDomain, not a token scope.
  }
}

/**
 * The hashes a login guard keys its state by: username and password together (a changed password
 * starts a new back-off), and the username alone as 3x-ui counts failures (trimmed, lower case:
 * internal/web/controller/login_limiter.go, loginLimitKey).
 */
export function loginCredentialsOf(username: string, password: string): LoginCredentials {
  const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
  return {
    credentialsHash: sha256(`${username}\0${password}`),
    usernameHash: sha256(username.trim().toLowerCase()),
  };
}

/** The one-line reason a login is held back, for `plan`, `reconcile --once` and the logs. */
function describeLoginBlock(block: LoginBlock): string {
  const failures = `${String(block.failures)} refused login${block.failures === 1 ? '' : 's'} in a row`;
  return (
    `not trying: ${failures} with these credentials (${String(block.recentFailures)} in the last 5 min), next try after ` +
    `${block.until.toISOString()} (3x-ui locks the account for 15 min after 5 failures in 5 min); ` +
    `check the panel's username and password`
  );
}

/** A call, not a property read, so that TypeScript does not narrow later checks of the same signal. */
const isAborted = (signal: AbortSignal): boolean => signal.aborted;

function classifyOutcome(response: RawResponse): string {
  const status = response.status;
  if (status === 200) {
    if (looksLikeHtml(response)) {
      return 'auth';
    }
    // Cheap check without parsing twice: every failure envelope starts with success:false.
    return /^\s*\{\s*"success"\s*:\s*false/.test(response.body) ? 'refused' : 'ok';
  }
  if (status === 404) {
    return 'not-found';
  }
  if (status === 401 || status === 403 || (status >= 300 && status < 400)) {
    return 'auth';
  }
  return 'http-error';
}
