/**
 * The simulated panel's front door (reference/xui-api.md §2): the public routes (`csrf-token`, `login`,
 * `logout`, the login page), cookie sessions with a login epoch, the login lockout (5 failures in 5 min
 * block the username for 15 min, still HTTP 200), CSRF on unsafe cookie requests, Bearer tokens, and
 * the unauthenticated answer by version (§2.4).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  empty,
  envelope,
  isRecord,
  json,
  loginPage,
  parseBody,
  parseCookies,
  type Answer,
} from './answers.ts';
import type { SimulatedToken, UnauthorizedStyle } from './options.ts';
import { scopeRefusal } from './token-scopes.ts';

const LOGIN_FAILED = 'Invalid username or password or two-factor code.';
const COOKIE = '3x-ui';

interface Session {
  readonly csrf: string;
  loggedIn: boolean;
  epoch: number;
}

/** What the session gate is built from. */
export interface SessionGateOptions {
  readonly base: string;
  readonly isCsrfOn: boolean;
  readonly unauthorized: UnauthorizedStyle;
  readonly username: string;
  readonly password: string;
  readonly tokens: ReadonlyArray<SimulatedToken>;
  /** Whether the panel has API tokens at all (v3.0.0+); a v2 panel ignores `Authorization`. */
  readonly hasApiTokens: boolean;
  /** Whether tokens carry scopes (main); elsewhere every token is admin. */
  readonly hasTokenScopes: boolean;
  /** Path of the session cookie: `/` in v2, the base path in v3 (§2.3). */
  readonly cookiePath: 'root' | 'base';
  readonly now: () => number;
}

/** One request as the gate sees it. */
export interface GateRequest {
  readonly req: IncomingMessage;
  readonly method: string;
  /** Path after the base path. */
  readonly path: string;
  readonly rawBody: string;
  readonly setCookie: (value: string) => void;
}

/** Sessions, login and authentication of one simulated panel. */
export interface SessionGate {
  /** Answers a public route (csrf-token, login, logout, the login page); undefined for any other path. */
  handlePublic(request: GateRequest): Answer | undefined;
  /** Checks auth and CSRF for a `panel/api/` request: undefined when it may go on, else the refusal. */
  authorize(request: GateRequest): Answer | undefined;
  /** Changes the admin password: every existing session becomes invalid (§2.3). */
  setCredentials(username: string, password: string): void;
  /** Forgets every session, as a panel restart with a new secret would. */
  dropSessions(): void;
}

/** Creates the session gate of a simulated panel. */
export function createSessionGate(options: SessionGateOptions): SessionGate {
  const { base, isCsrfOn, unauthorized, now } = options;
  let username = options.username;
  let password = options.password;
  let epoch = 1;
  const sessions = new Map<string, Session>();
  const failures = new Map<string, number[]>();
  const blockedUntil = new Map<string, number>();

  function newSession(): [string, Session] {
    const id = randomBytes(18).toString('base64url');
    const session: Session = { csrf: randomBytes(16).toString('hex'), loggedIn: false, epoch };
    sessions.set(id, session);
    return [id, session];
  }

  function cookieHeader(id: string): string {
    // sessionMaxAge defaults to 360 minutes (§2.3).
    const path = options.cookiePath === 'base' ? base : '/';
    return `${COOKIE}=${id}; Path=${path}; Max-Age=21600; HttpOnly; SameSite=Lax`;
  }

  function sessionOf(req: IncomingMessage): [string, Session] | undefined {
    const sessionId = parseCookies(req.headers.cookie).get(COOKIE);
    const found = sessionId === undefined ? undefined : sessions.get(sessionId);
    return sessionId !== undefined && found !== undefined ? [sessionId, found] : undefined;
  }

  function hasCsrf(req: IncomingMessage, current: [string, Session] | undefined): boolean {
    return !isCsrfOn || (current !== undefined && req.headers['x-csrf-token'] === current[1].csrf);
  }

  function login(
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

  return {
    handlePublic: ({ req, method, path, rawBody, setCookie }) => {
      const session = sessionOf(req);
      if (path === 'csrf-token' && method === 'GET' && isCsrfOn) {
        const current = session ?? newSession();
        setCookie(cookieHeader(current[0]));
        return json(envelope(true, '', current[1].csrf));
      }
      if (path === 'login' && method === 'POST') {
        if (!hasCsrf(req, session)) {
          return empty(403);
        }
        const parsed = parseBody(req, rawBody);
        return login(parsed.ok ? parsed.value : {}, setCookie, session);
      }
      // §2.3: v3 (the CSRF releases) logs out with a CSRF-checked POST answering `{"success":true}`;
      // v2 with a GET that redirects to the login page. The other method is no route.
      if (path === 'logout' && method === (isCsrfOn ? 'POST' : 'GET')) {
        if (!hasCsrf(req, session)) {
          return empty(403);
        }
        if (session !== undefined) {
          sessions.delete(session[0]);
        }
        return isCsrfOn
          ? {
              status: 200,
              body: JSON.stringify({ success: true }),
              headers: { 'content-type': 'application/json; charset=utf-8' },
            }
          : { status: 307, body: '', headers: { location: base } };
      }
      if (path === '' && method === 'GET') {
        return loginPage();
      }
      return undefined;
    },
    authorize: ({ req, method, path }) => {
      const bearer = req.headers.authorization ?? '';
      const token =
        options.hasApiTokens && bearer.startsWith('Bearer ')
          ? options.tokens.find((candidate) => `Bearer ${candidate.token}` === bearer)
          : undefined;
      // An expired token counts as no token: the request falls through to the session check (§2.5).
      const isLive =
        token !== undefined && ((token.expiresAtMs ?? 0) <= 0 || (token.expiresAtMs ?? 0) > now());
      if (token !== undefined && isLive) {
        // Bearer requests skip the session and CSRF checks (§2.5); main checks the token's scope.
        return options.hasTokenScopes
          ? scopeRefusal(token.scope ?? 'admin', method, path.slice('panel/api/'.length))
          : undefined;
      }
      const session = sessionOf(req);
      const isValid = session !== undefined && session[1].loggedIn && session[1].epoch === epoch;
      if (!isValid) {
        return unauthenticated(req);
      }
      const isUnsafe = method !== 'GET' && method !== 'HEAD';
      if (isUnsafe && !hasCsrf(req, session)) {
        return empty(403);
      }
      return undefined;
    },
    setCredentials: (nextUsername, nextPassword) => {
      username = nextUsername;
      password = nextPassword;
      epoch++; // §2.3: the login epoch moves, so every existing session fails auth.
    },
    dropSessions: () => {
      sessions.clear();
    },
  };
}
