/**
 * Logging an admin into the web console over HTTP in tests: a one-time link from the database,
 * the session cookie it sets, and a page's CSRF token (tests/integration/console,
 * tests/integration/panels).
 */
import type pg from 'pg';
import { createLoginToken } from '../../src/db/index.ts';

/** Posts a fresh one-time login link of `telegramId` (made in `pool`) to the console at `consoleUrl`. */
export async function loginWithLink(
  pool: pg.Pool,
  consoleUrl: string,
  telegramId: number,
): Promise<Response> {
  const { token } = await createLoginToken(pool, telegramId, 600_000);
  return fetch(`${consoleUrl}login`, {
    method: 'POST',
    body: new URLSearchParams({ token }),
    redirect: 'manual',
  });
}

/** The `name=value` of the session cookie a login response set ('' when none). */
export function sessionCookie(response: Response): string {
  return (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

/** The CSRF token of the console page at `path`, read with `cookie`; throws when the page has none. */
export async function csrfOf(consoleUrl: string, cookie: string, path = '/'): Promise<string> {
  const page = await (await fetch(`${consoleUrl}${path.slice(1)}`, { headers: { cookie } })).text();
  const match = /name="_csrf" value="([^"]+)"/.exec(page);
  if (match?.[1] === undefined) {
    throw new Error(`no csrf token on ${path}`);
  }
  return match[1];
}

/** Logs `telegramId` in and returns its session cookie and the CSRF token of the page at `path`. */
export async function adminSession(
  pool: pg.Pool,
  consoleUrl: string,
  telegramId: number,
  path = '/',
): Promise<{ readonly cookie: string; readonly csrf: string }> {
  const cookie = sessionCookie(await loginWithLink(pool, consoleUrl, telegramId));
  return { cookie, csrf: await csrfOf(consoleUrl, cookie, path) };
}
