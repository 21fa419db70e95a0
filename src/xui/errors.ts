/**
 * Panel errors, split by cause as STYLE.md §4 asks. Every PanelClient method throws one of these and
 * nothing else. `retryable` tells the reconciler whether a later attempt can succeed without a human.
 * Messages name the panel (by name, never its URL: the webBasePath is a secret of sorts) and the
 * operation; they never carry credentials.
 */
import type { PanelId } from '../domain/ids.ts';
import type { LoginBlock } from '../reconciler/ports.ts';

/** Where an error happened. */
export interface PanelErrorContext {
  readonly panelId: PanelId;
  readonly panelName: string;
  /** Logical operation, e.g. `observe`, `updateClient`, `login`. */
  readonly op: string;
}

/** The causes a panel call can fail by. */
export type PanelErrorKind = 'transport' | 'timeout' | 'auth' | 'refused' | 'unparseable' | 'unconfirmed';

/** Base of every panel error. */
export abstract class PanelError extends Error {
  abstract readonly kind: PanelErrorKind;
  abstract readonly retryable: boolean;
  readonly panelId: PanelId;
  readonly panelName: string;
  readonly op: string;

  protected constructor(message: string, context: PanelErrorContext, cause: unknown) {
    super(`panel ${context.panelName}: ${context.op}: ${message}`, { cause });
    this.panelId = context.panelId;
    this.panelName = context.panelName;
    this.op = context.op;
  }
}

/** The connection failed (refused, reset, DNS, TLS). Retryable. */
export class PanelTransportError extends PanelError {
  override readonly name = 'PanelTransportError';
  readonly kind = 'transport';
  readonly retryable = true;

  constructor(context: PanelErrorContext, cause: unknown) {
    super(
      `transport failure (${cause instanceof Error ? cause.message : 'unknown'}); will retry`,
      context,
      cause,
    );
  }
}

/**
 * The panel accepted a write, but reading it back failed: the change is probably in place, and is
 * recorded as `unconfirmed`, not `failed` (issue 11). Retryable: the next read shows the truth.
 */
export class PanelUnconfirmedError extends PanelError {
  override readonly name = 'PanelUnconfirmedError';
  readonly kind = 'unconfirmed';
  readonly retryable = true;

  constructor(context: PanelErrorContext, cause: unknown) {
    super(
      `write accepted, read-back failed (${cause instanceof Error ? cause.message : 'unknown'}); will re-read`,
      context,
      cause,
    );
  }
}

/** No complete answer within the configured timeout. Retryable. */
export class PanelTimeoutError extends PanelError {
  override readonly name = 'PanelTimeoutError';
  readonly kind = 'timeout';
  readonly retryable = true;
  readonly timeoutMs: number;

  constructor(context: PanelErrorContext, timeoutMs: number, cause: unknown) {
    super(`no answer within ${String(timeoutMs)} ms; will retry`, context, cause);
    this.timeoutMs = timeoutMs;
  }
}

/** Why authentication failed. */
export type AuthFailureReason =
  /** The panel refused the credentials (or is locking us out: it answers the same way, §2.1). */
  | 'login-rejected'
  /** A previous login failed recently; we back off instead of feeding the lockout (§2.1). */
  | 'login-backoff'
  /** Still unauthenticated after logging in again once (401/404/3xx/HTML, §2.4). */
  | 'session-rejected'
  /** The Bearer token was not accepted: wrong, disabled, expired or deleted (the panel cannot tell us which, §2.5). */
  | 'token-rejected'
  /** main: the token's scope (`monitor`, `node-sync`) does not cover this route: 403 with a JSON envelope (§2.5). */
  | 'token-scope'
  /** 403 even with a fresh CSRF token (§2.2), or the panel's webDomain check (§1). */
  | 'forbidden';

/** What an operator reads for each auth failure: what is wrong and what to do. */
export const AUTH_FAILURE_TEXT = {
  'login-rejected': 'login rejected — check the username and password',
  'login-backoff': 'login backing off after a rejected login (the panel locks out repeated failures)',
  'session-rejected': 'session rejected right after logging in again',
  'token-rejected': 'token expired or revoked',
  'token-scope': 'token lacks the admin scope',
  forbidden: "forbidden (CSRF or the panel's webDomain setting)",
} as const satisfies Record<AuthFailureReason, string>;

/** Authentication failed; the operator must fix credentials, or the lockout must pass. */
export class PanelAuthError extends PanelError {
  override readonly name = 'PanelAuthError';
  readonly kind = 'auth';
  readonly reason: AuthFailureReason;
  /** HTTP status of the last answer (200 for a refused login). */
  readonly status: number | undefined;
  /** ms until the next login attempt is allowed, for `login-backoff`. */
  readonly retryAfterMs: number | undefined;
  /**
   * For `login-backoff`: the shared failed-login state that held the login back (absent when this
   * process's own back-off did, or the shared state could not be read).
   */
  readonly loginBlock: LoginBlock | undefined;
  /** Retryable only while backing off: the credentials may be fine once the lockout passes. */
  readonly retryable: boolean;

  constructor(
    context: PanelErrorContext,
    reason: AuthFailureReason,
    details: {
      readonly status?: number;
      readonly retryAfterMs?: number;
      readonly cause?: unknown;
      /** One more sentence for the operator (what is held back and until when). */
      readonly detail?: string;
      readonly loginBlock?: LoginBlock;
    } = {},
  ) {
    super(
      `authentication failed: ${AUTH_FAILURE_TEXT[reason]} (${reason}${details.status === undefined ? '' : `, HTTP ${String(details.status)}`})${details.detail === undefined ? '' : `: ${details.detail}`}`,
      context,
      details.cause,
    );
    this.reason = reason;
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
    this.loginBlock = details.loginBlock;
    this.retryable = reason === 'login-backoff';
  }
}

/**
 * The panel answered but said no: `success:false` (status 200) or a non-2xx status outside the auth
 * flow. 3x-ui words failures as `prefix (text\n)` (§3), so callers match substrings with `includes`.
 */
export class PanelRefusedError extends PanelError {
  override readonly name = 'PanelRefusedError';
  readonly kind = 'refused';
  readonly status: number;
  /** The panel's `msg`, verbatim (may end in `\n)`). */
  readonly panelMessage: string;
  /** 5xx answers are worth retrying; a `success:false` is not (the same request gets the same answer). */
  readonly retryable: boolean;

  constructor(context: PanelErrorContext, status: number, panelMessage: string) {
    super(`panel refused (HTTP ${String(status)}): ${panelMessage.trim()}`, context, undefined);
    this.status = status;
    this.panelMessage = panelMessage;
    this.retryable = status >= 500;
  }

  /** Whether the panel's message contains `text` (the only safe way to match 3x-ui messages, §3). */
  includes(text: string): boolean {
    return this.panelMessage.toLowerCase().includes(text.toLowerCase());
  }
}

/** The answer could not be understood: HTML, invalid JSON, or JSON of the wrong shape. */
export class PanelUnparseableError extends PanelError {
  override readonly name = 'PanelUnparseableError';
  readonly kind = 'unparseable';
  readonly retryable = false;
  readonly status: number;
  /** The first characters of the body (never contains secrets: it is the panel's answer). */
  readonly excerpt: string;
  /** Path of the offending field and what was expected, when the JSON parsed but had the wrong shape. */
  readonly path: string | undefined;
  readonly expected: string | undefined;

  constructor(
    context: PanelErrorContext,
    status: number,
    body: string,
    details: { readonly path?: string; readonly expected?: string; readonly cause?: unknown } = {},
  ) {
    const where =
      details.path === undefined
        ? 'unparseable answer'
        : `unexpected answer at ${details.path} (expected ${details.expected ?? '?'})`;
    super(where, context, details.cause);
    this.status = status;
    this.excerpt = truncate(body, 200);
    this.path = details.path;
    this.expected = details.expected;
  }
}

/** Cuts text to `max` characters, marking the cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${String(text.length)} chars)`;
}

/** Whether something thrown is a PanelError. */
export function isPanelError(error: unknown): error is PanelError {
  return error instanceof PanelError;
}

/**
 * The panel's message when `thrown` is a non-retryable refusal (it concerns one client only, so a
 * batch skips that client); rethrows anything else (transport/auth failures abort the batch).
 */
export function clientRefusalReason(thrown: unknown): string {
  if (thrown instanceof PanelRefusedError && !thrown.retryable) {
    return thrown.panelMessage;
  }
  throw thrown;
}

/** Substrings of 3x-ui refusals that mean "this email is taken" (§4.2). */
const DUPLICATE_EMAIL = ['duplicate email', 'email already in use'];

/** Whether an error is the panel refusing a create because the email exists (in any generation). */
export function isDuplicateEmailError(error: unknown): boolean {
  return error instanceof PanelRefusedError && DUPLICATE_EMAIL.some((text) => error.includes(text));
}
