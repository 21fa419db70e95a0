/**
 * The checks a panel passes before keywarden saves it (`panels add`, `panels test`, and the console's
 * panels page): the URL answers like a 3x-ui panel, the credentials or token are accepted with the
 * admin scope, the API generation and version are known, and the inbounds can be read. A failure is
 * one line that says what is wrong and what to do, and never carries a secret (no URL path, no
 * password, no token).
 */
import { errors as undiciErrors, request, type Dispatcher } from 'undici';
import type { ApiGeneration, ObservedInbound, PanelId } from '../domain/index.ts';
import { asPanelId } from '../domain/index.ts';
import type { LoginBlock, LoginGuard, PanelVersionInfo } from '../reconciler/index.ts';
import type { Logger } from '../shared/index.ts';
import {
  AUTH_FAILURE_TEXT,
  createPanelAgent,
  createPanelClient,
  PanelAuthError,
  PanelRefusedError,
  PanelTimeoutError,
  PanelTransportError,
  PanelUnparseableError,
} from '../xui/index.ts';

/** What is checked: a panel's address and credentials (saved or about to be). */
export interface PanelCheckTarget {
  readonly name: string;
  /**
   * The saved panel's id, which keys its shared failed-login state; absent for a panel not saved
   * yet (`panels add`), which has no such state and is tried once.
   */
  readonly panelId?: PanelId;
  /** Full URL with the web base path, ending in `/`. */
  readonly baseUrl: string;
  readonly auth:
    | { readonly kind: 'password'; readonly username: string; readonly password: string }
    | { readonly kind: 'token'; readonly token: string };
  readonly tlsSkipVerify: boolean;
  readonly caPem: string | undefined;
}

/** Options of a check. */
export interface PanelCheckOptions {
  /** Deadline of each HTTP exchange, in ms. */
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  /** Dispatcher to send through (tests); default: the panel agent with the target's TLS settings. */
  readonly dispatcher?: Dispatcher;
  /**
   * The failed-login state shared with the daemon and every other process (src/store): with a
   * `panelId` on the target, the check's login goes through it exactly as the reconciler's does —
   * withheld while the back-off says wait, a refusal recorded, a success clearing it.
   */
  readonly loginGuard?: LoginGuard;
}

/** Why a check failed. */
export type PanelProblem =
  | 'no-panel'
  | 'host-refused'
  | 'login-rejected'
  | 'login-backoff'
  | 'token-rejected'
  | 'token-scope'
  | 'forbidden'
  | 'tls-untrusted'
  | 'unreachable'
  | 'timeout'
  | 'not-3x-ui'
  | 'refused';

/** What a check found, or the one-line reason it failed. */
export type PanelCheckResult =
  | {
      readonly ok: true;
      readonly generation: ApiGeneration;
      readonly version: PanelVersionInfo;
      readonly inbounds: ReadonlyArray<ObservedInbound>;
    }
  | { readonly ok: false; readonly problem: PanelProblem; readonly message: string };

/** The one-line messages, as the operator reads them (issue 13). */
export const PANEL_PROBLEM_TEXT = {
  'no-panel': (status: number) =>
    `no 3x-ui panel at this URL (HTTP ${String(status)}) — check the web base path`,
  'host-refused':
    "the panel refused this host name (HTTP 403) — check the URL's host against the panel's domain setting",
  'tls-untrusted': 'TLS certificate not trusted (use --ca-file or --insecure-skip-verify)',
  unreachable: 'host unreachable',
  timeout: (timeoutMs: number) =>
    `host unreachable (no answer within ${String(Math.round(timeoutMs / 1000))} s)`,
  'not-3x-ui': 'the answer is not from a 3x-ui panel — check the URL and the web base path',
  'login-backoff': (name: string, block: LoginBlock | undefined) => {
    if (block === undefined) {
      return `login withheld: the failed-login state of ${name} could not be read, so no login is tried — the panel could lock this address out`;
    }
    const next = `next try after ${block.until.toISOString().slice(11, 19)} UTC`;
    const plural = (count: number): string => `${String(count)} failed login${count === 1 ? '' : 's'}`;
    return block.recentFailures > 0
      ? `login withheld: ${plural(block.recentFailures)} to ${name} in the last 5 min; ${next} — the panel would lock this address out`
      : `login withheld: ${plural(block.failures)} to ${name} in a row; ${next} — backing off so the panel does not lock this address out`;
  },
} as const;

/** Certificate errors of node:tls (a self-signed, expired, unknown-CA or wrong-name certificate). */
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function codesOf(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 6 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') {
      codes.push(code);
    }
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

function isTimeout(error: unknown): boolean {
  return (
    error instanceof undiciErrors.ConnectTimeoutError ||
    error instanceof undiciErrors.HeadersTimeoutError ||
    error instanceof undiciErrors.BodyTimeoutError ||
    (error instanceof Error && error.name === 'TimeoutError')
  );
}

function failed(problem: PanelProblem, message: string): PanelCheckResult {
  return { ok: false, problem, message };
}

/** Maps a transport failure onto "TLS not trusted", "timeout" or "unreachable". */
function transportProblem(error: unknown, timeoutMs: number): PanelCheckResult {
  if (codesOf(error).some((code) => TLS_CODES.has(code))) {
    return failed('tls-untrusted', PANEL_PROBLEM_TEXT['tls-untrusted']);
  }
  if (isTimeout(error)) {
    return failed('timeout', PANEL_PROBLEM_TEXT.timeout(timeoutMs));
  }
  return failed('unreachable', PANEL_PROBLEM_TEXT.unreachable);
}

/** Maps what the panel client threw onto one line. */
function clientProblem(error: unknown, timeoutMs: number, name: string): PanelCheckResult {
  if (error instanceof PanelAuthError && error.reason === 'login-backoff') {
    return failed('login-backoff', PANEL_PROBLEM_TEXT['login-backoff'](name, error.loginBlock));
  }
  if (error instanceof PanelAuthError) {
    if (error.reason === 'login-rejected' && error.status === 404) {
      return failed('no-panel', PANEL_PROBLEM_TEXT['no-panel'](404));
    }
    const problem: PanelProblem = error.reason === 'session-rejected' ? 'login-rejected' : error.reason;
    return failed(problem, AUTH_FAILURE_TEXT[error.reason]);
  }
  if (error instanceof PanelTransportError) {
    return transportProblem(error.cause, timeoutMs);
  }
  if (error instanceof PanelTimeoutError) {
    return failed('timeout', PANEL_PROBLEM_TEXT.timeout(timeoutMs));
  }
  if (error instanceof PanelUnparseableError) {
    return failed('not-3x-ui', PANEL_PROBLEM_TEXT['not-3x-ui']);
  }
  if (error instanceof PanelRefusedError) {
    // The panel's own words (they name no secret of ours), on one line.
    return failed('refused', `the panel refused: ${error.panelMessage.replace(/\s+/g, ' ').trim()}`);
  }
  throw error;
}

/**
 * Checks a panel: (1) `GET {base}` without credentials — a 3x-ui panel answers its login page there,
 * a wrong web base path 404 (§1), and TLS or network trouble shows up before any secret is sent;
 * (2) log in or use the token, and probe the API generation; (3) read the version from server
 * status; (4) read the inbounds. Never throws for a panel problem; rethrows programmer errors.
 */
export async function checkPanel(
  target: PanelCheckTarget,
  options: PanelCheckOptions,
): Promise<PanelCheckResult> {
  const connection = {
    id: target.panelId ?? asPanelId('0'),
    name: target.name,
    baseUrl: target.baseUrl,
    auth: target.auth,
    apiGeneration: undefined,
    tlsSkipVerify: target.tlsSkipVerify,
    caPem: target.caPem,
  };
  const ownsDispatcher = options.dispatcher === undefined;
  const dispatcher = options.dispatcher ?? createPanelAgent(connection, options.timeoutMs);
  const client = createPanelClient(connection, {
    timeoutMs: options.timeoutMs,
    logger: options.logger,
    dispatcher,
    // Only a saved panel has shared state; a new one is tried once (docs/runbook.md, login lockout).
    ...(target.panelId === undefined || options.loginGuard === undefined
      ? {}
      : { loginGuard: options.loginGuard }),
  });
  try {
    try {
      const response = await request(target.baseUrl, {
        method: 'GET',
        headers: { accept: 'text/html' },
        dispatcher,
        signal: AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]),
      });
      await response.body.dump();
      if (response.statusCode === 403) {
        return failed('host-refused', PANEL_PROBLEM_TEXT['host-refused']);
      }
      if (response.statusCode >= 400) {
        return failed('no-panel', PANEL_PROBLEM_TEXT['no-panel'](response.statusCode));
      }
    } catch (error) {
      return transportProblem(error, options.timeoutMs);
    }
    let generation: ApiGeneration;
    try {
      generation = await client.detectGeneration(options.signal);
    } catch (error) {
      return clientProblem(error, options.timeoutMs, target.name);
    }
    let version: PanelVersionInfo;
    try {
      version = await client.readVersion(options.signal);
    } catch (error) {
      return clientProblem(error, options.timeoutMs, target.name);
    }
    try {
      const observation = await client.observe(options.signal);
      return { ok: true, generation, version, inbounds: observation.inbounds };
    } catch (error) {
      return clientProblem(error, options.timeoutMs, target.name);
    }
  } finally {
    await client.close();
    if (ownsDispatcher) {
      await dispatcher.close();
    }
  }
}
