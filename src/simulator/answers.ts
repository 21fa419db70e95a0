/**
 * How the simulated panel answers: the `{success,msg,obj}` envelope on HTTP 200, empty-bodied
 * middleware statuses, the HTML login page, and the request parsing gin does (reference/xui-api.md §3).
 */
import type { IncomingMessage } from 'node:http';
import type { Outcome } from './model/store.ts';

/** One HTTP answer. */
export interface Answer {
  readonly status: number;
  readonly body: string;
  readonly headers?: Record<string, string>;
}

/** The panel's request body limit (§3). */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** The localised prefix of most failures (§3). */
export const WENT_WRONG = 'Something went wrong';

/** The SPA's login page, as the panel serves it for `{base}` and for HTML requests. */
export const LOGIN_PAGE = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="csrf-token" content="">
<title>Login</title></head><body><div id="app"></div></body></html>`;

/** The envelope every handler answers with (§3). */
export function envelope(success: boolean, msg: string, obj: unknown): string {
  return JSON.stringify({ success, msg, obj });
}

/** A failure as 3x-ui words it: prefix + ` (` + text + newline + `)` (§3). */
export function failure(prefix: string, text: string): string {
  return envelope(false, `${prefix} (${text}\n)`, null);
}

/** HTTP 200 with a JSON body. */
export const json = (body: string): Answer => ({
  status: 200,
  body,
  headers: { 'content-type': 'application/json; charset=utf-8' },
});

/** A status with an empty body (404 for unknown routes and missing auth, 403 for CSRF). */
export const empty = (status: number): Answer => ({ status, body: '' });

/** The login page with HTTP 200. */
export const loginPage = (): Answer => ({
  status: 200,
  body: LOGIN_PAGE,
  headers: { 'content-type': 'text/html; charset=utf-8' },
});

/** Normalises a web base path to begin and end with `/` (§1). */
export function normaliseBase(path: string | undefined): string {
  let base = path ?? '/';
  if (!base.startsWith('/')) {
    base = `/${base}`;
  }
  if (!base.endsWith('/')) {
    base = `${base}/`;
  }
  return base;
}

/** Cookies of a request by name. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index > 0) {
      cookies.set(part.slice(0, index).trim(), part.slice(index + 1).trim());
    }
  }
  return cookies;
}

/** A plain JSON object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses a request body the way gin's binder picks by Content-Type (form or JSON). */
export function parseBody(
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

/** A model outcome as the panel answers it: the success message, or the prefixed failure. */
export function outcome(result: Outcome<unknown>, successMsg: string): Answer {
  return result.ok ? json(envelope(true, successMsg, result.value)) : json(failure(WENT_WRONG, result.text));
}
