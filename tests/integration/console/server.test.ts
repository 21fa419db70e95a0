import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.ts';
import { startConsole, type ConsoleServer } from '../../../src/console/index.ts';
import { createLoginToken, createPlan, grantPeriod } from '../../../src/db/index.ts';
import { csrfOf as pageCsrf, loginWithLink, sessionCookie } from '../../support/console.ts';
import { insertUser } from '../../support/builders.ts';
import { useTestDatabase } from '../../support/database.ts';
import { testLogger } from '../../support/reconciler-harness.ts';

const database = useTestDatabase();
const ADMIN = 4_001;

function consoleConfig(env: Record<string, string> = {}): ReturnType<typeof loadConfig> {
  return loadConfig({ KEYWARDEN_CONSOLE_PORT: '0', KEYWARDEN_ADMIN_IDS: String(ADMIN), ...env });
}

async function start(env: Record<string, string> = {}): Promise<ConsoleServer> {
  return startConsole({
    pool: database().pool,
    config: consoleConfig(env),
    lockClass: 1,
    logger: testLogger(),
  });
}

const login = (server: ConsoleServer, telegramId = ADMIN): Promise<Response> =>
  loginWithLink(database().pool, server.url, telegramId);
const csrfOf = (server: ConsoleServer, cookie: string, path = '/'): Promise<string> =>
  pageCsrf(server.url, cookie, path);

describe('console over HTTP', () => {
  let server: ConsoleServer;
  beforeAll(async () => {
    server = await start();
  });
  afterAll(async () => {
    await server.close();
  });

  it('asks for a login without a session, and shows the login button for a link without using it', async () => {
    const anonymous = await fetch(server.url);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).toContain('one-time link');
    const { token } = await createLoginToken(database().pool, ADMIN, 600_000);
    const landing = await fetch(`${server.url}login?token=${token}`);
    expect(landing.status).toBe(200);
    expect(await landing.text()).toContain(`name="token" value="${token}"`);
    // Looking at the page (a link preview does that) does not use the link up.
    const used = await fetch(`${server.url}login`, {
      method: 'POST',
      body: new URLSearchParams({ token }),
      redirect: 'manual',
    });
    expect(used.status).toBe(303);
  });

  it('logs in once with an HttpOnly SameSite=Strict cookie; a second use, an expired link and a non-admin are refused', async () => {
    const { token } = await createLoginToken(database().pool, ADMIN, 600_000);
    const first = await fetch(`${server.url}login`, {
      method: 'POST',
      body: new URLSearchParams({ token }),
      redirect: 'manual',
    });
    expect(first.status).toBe(303);
    const setCookie = first.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(
      /^kw_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/,
    );
    const again = await fetch(`${server.url}login`, {
      method: 'POST',
      body: new URLSearchParams({ token }),
      redirect: 'manual',
    });
    expect(again.status).toBe(403);
    expect(await again.text()).toContain('already been used');

    const expired = await createLoginToken(database().pool, ADMIN, 600_000);
    await database().pool.query(
      `update console_login_tokens set created_at = now() - interval '20 minutes', expires_at = now() - interval '10 minutes' where used_at is null`,
    );
    const late = await fetch(`${server.url}login`, {
      method: 'POST',
      body: new URLSearchParams({ token: expired.token }),
      redirect: 'manual',
    });
    expect(late.status).toBe(403);
    expect(await late.text()).toContain('expired');

    const stranger = await login(server, 4_002);
    expect(stranger.status).toBe(403);
    expect(await stranger.text()).toContain('not an admin');
    expect(stranger.headers.get('set-cookie')).toBeNull();
  });

  it('refuses a POST without the CSRF token and applies it with the token, audited with the admin id', async () => {
    const cookie = sessionCookie(await login(server));
    const userId = await insertUser(database().pool, { username: 'csrf_target' });
    const refused = await fetch(`${server.url}users/${userId}/ban`, {
      method: 'POST',
      headers: { cookie },
      body: '',
      redirect: 'manual',
    });
    expect(refused.status).toBe(403);
    const { rows: before } = await database().pool.query<{ banned_at: Date | null }>(
      'select banned_at from users where id = $1',
      [userId],
    );
    expect(before[0]?.banned_at).toBeNull();
    const wrong = await fetch(`${server.url}users/${userId}/ban`, {
      method: 'POST',
      headers: { cookie },
      body: new URLSearchParams({ _csrf: 'x'.repeat(43) }),
      redirect: 'manual',
    });
    expect(wrong.status).toBe(403);

    const csrf = await csrfOf(server, cookie, `/users/${userId}`);
    const banned = await fetch(`${server.url}users/${userId}/ban`, {
      method: 'POST',
      headers: { cookie },
      body: new URLSearchParams({ _csrf: csrf }),
      redirect: 'manual',
    });
    expect(banned.status).toBe(303);
    const { rows } = await database().pool.query<{ banned_at: Date | null }>(
      'select banned_at from users where id = $1',
      [userId],
    );
    expect(rows[0]?.banned_at).not.toBeNull();
    const audit = await database().pool.query<{ admin_telegram_id: string; action: string; outcome: string }>(
      `select admin_telegram_id, action, outcome from admin_audit where action in ('user.ban', 'console.csrf') order by id`,
    );
    expect(audit.rows.map((row) => `${row.admin_telegram_id}:${row.action}:${row.outcome}`)).toEqual([
      `${ADMIN}:console.csrf:refused`,
      `${ADMIN}:console.csrf:refused`,
      `${ADMIN}:user.ban:ok`,
    ]);
  });

  it('renders a <script> username as text on every page that shows it', async () => {
    const cookie = sessionCookie(await login(server));
    const userId = await insertUser(database().pool, { username: '<script>alert(1)</script>' });
    await grantPeriod(database().pool, { userId, source: 'admin', durationMs: 86_400_000 });
    for (const path of ['users?q=script', `users/${userId}`]) {
      const body = await (await fetch(`${server.url}${path}`, { headers: { cookie } })).text();
      expect(body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(body).not.toContain('<script>alert(1)');
    }
    const search = await (
      await fetch(`${server.url}users?q=${encodeURIComponent('"><script>x</script>')}`, {
        headers: { cookie },
      })
    ).text();
    expect(search).not.toContain('<script>x');
    expect(search).toContain('value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
  });

  it('gives days from the user page and shows Russian when the browser asks for it', async () => {
    const cookie = sessionCookie(await login(server));
    const userId = await insertUser(database().pool);
    const csrf = await csrfOf(server, cookie, `/users/${userId}`);
    const given = await fetch(`${server.url}users/${userId}/grant`, {
      method: 'POST',
      headers: { cookie },
      body: new URLSearchParams({ _csrf: csrf, days: '30' }),
      redirect: 'manual',
    });
    expect(given.status).toBe(303);
    const { rows } = await database().pool.query<{ days: number; source: string }>(
      `select extract(epoch from ends_at - starts_at)::int / 86400 as days, source from subscription_periods where user_id = $1`,
      [userId],
    );
    expect(rows).toEqual([{ days: 30, source: 'admin' }]);
    const ru = await (
      await fetch(server.url, { headers: { cookie, 'accept-language': 'ru-RU,ru;q=0.9,en;q=0.5' } })
    ).text();
    expect(ru).toContain('<html lang="ru">');
    expect(ru).toContain('Обзор');
    const switched = await fetch(`${server.url}lang?to=en&back=/users`, {
      headers: { cookie },
      redirect: 'manual',
    });
    expect(switched.headers.get('location')).toBe('/users');
    expect(switched.headers.get('set-cookie')).toContain('kw_lang=en');
    const offsite = await fetch(`${server.url}lang?to=en&back=//evil.example`, { redirect: 'manual' });
    expect(offsite.headers.get('location')).toBe('/');
  });

  it('applies compensation only for the previewed number of users', async () => {
    const cookie = sessionCookie(await login(server));
    const csrf = await csrfOf(server, cookie, '/compensate?days=2&scope=active');
    const preview = await (
      await fetch(`${server.url}compensate?days=2&scope=active`, { headers: { cookie } })
    ).text();
    const expected = /name="expected" value="(\d+)"/.exec(preview)?.[1];
    expect(expected).toBeDefined();
    const count = async (): Promise<number> =>
      (await database().pool.query<{ n: number }>('select count(*)::int as n from subscription_periods'))
        .rows[0]!.n;
    const before = await count();
    const stale = await fetch(`${server.url}compensate`, {
      method: 'POST',
      headers: { cookie },
      body: new URLSearchParams({
        _csrf: csrf,
        days: '2',
        scope: 'active',
        expected: String(Number(expected) + 1),
      }),
    });
    expect(await stale.text()).toContain('changed since the preview');
    expect(await count()).toBe(before);
    const applied = await fetch(`${server.url}compensate`, {
      method: 'POST',
      headers: { cookie },
      body: new URLSearchParams({ _csrf: csrf, days: '2', scope: 'active', expected: expected! }),
    });
    expect(await applied.text()).toContain(`Gave 2 days to ${expected!} users.`);
    expect(await count()).toBe(before + Number(expected));
  });

  it('archives a plan and puts it back on sale, audited', async () => {
    const cookie = sessionCookie(await login(server));
    await createPlan(database().pool, {
      code: 'week',
      title: '1 week',
      durationDays: 7,
      price: '99',
      currency: 'RUB',
      trafficLimitBytes: null,
      maxKeys: 1,
      prices: { XTR: '50' },
    });
    const csrf = await csrfOf(server, cookie, '/plans');
    const isActive = async (): Promise<boolean | undefined> =>
      (await database().pool.query<{ is_active: boolean }>(`select is_active from plans where code = 'week'`))
        .rows[0]?.is_active;
    const send = (path: string): Promise<Response> =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { cookie },
        body: new URLSearchParams({ _csrf: csrf }),
        redirect: 'manual',
      });
    expect((await send('plans/week/archive')).status).toBe(303);
    expect(await isActive()).toBe(false);
    const page = await (await fetch(`${server.url}plans`, { headers: { cookie } })).text();
    expect(page).toContain('action="/plans/week/activate"');
    expect((await send('plans/week/activate')).status).toBe(303);
    expect(await isActive()).toBe(true);
    expect((await send('plans/week/nonsense')).status).toBe(404);
    const { rows } = await database().pool.query<{ action: string }>(
      `select action from admin_audit where action like 'plan.%' and detail ->> 'code' = 'week' order by id`,
    );
    expect(rows.map((row) => row.action)).toEqual(['plan.archive', 'plan.activate']);
  });

  it('filters the keys page by state', async () => {
    const cookie = sessionCookie(await login(server));
    const page = await (await fetch(`${server.url}keys?state=problem`, { headers: { cookie } })).text();
    expect(page).toMatch(/<option value="problem" selected>/);
    const bogus = await fetch(`${server.url}keys?state=<x>`, { headers: { cookie } });
    expect(bogus.status).toBe(200);
  });

  it('ends the session at logout', async () => {
    const cookie = sessionCookie(await login(server));
    const csrf = await csrfOf(server, cookie);
    const out = await fetch(`${server.url}logout`, {
      method: 'POST',
      headers: { cookie },
      body: new URLSearchParams({ _csrf: csrf }),
    });
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    expect((await fetch(server.url, { headers: { cookie } })).status).toBe(401);
  });

  it('serves every page with a session, with security headers and a local stylesheet', async () => {
    const cookie = sessionCookie(await login(server));
    for (const path of [
      '',
      'users',
      'payments?mismatched=1',
      'panels',
      'keys',
      'held',
      'audit?source=admin&since=24h',
      'plans',
      'compensate?days=3&scope=active',
    ]) {
      const response = await fetch(`${server.url}${path}`, { headers: { cookie } });
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
      const body = await response.text();
      expect(body).toContain('href="/assets/console.css"');
      expect(body).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)[a-z]/);
    }
    const css = await fetch(`${server.url}assets/console.css`);
    expect(css.headers.get('content-type')).toContain('text/css');
  });
});

describe('console behind HTTPS', () => {
  it('marks the session cookie Secure when its public URL is https', async () => {
    const server = await start({ KEYWARDEN_CONSOLE_PUBLIC_URL: 'https://admin.example.test/' });
    try {
      const response = await login(server);
      expect(response.headers.get('set-cookie')).toContain('; Secure');
    } finally {
      await server.close();
    }
  });

  it('trusts X-Forwarded-Proto only from a listed reverse proxy', async () => {
    const direct = await start({ KEYWARDEN_TRUSTED_PROXIES: '10.9.9.9' });
    const proxied = await start({ KEYWARDEN_TRUSTED_PROXIES: '127.0.0.1' });
    try {
      const { token } = await createLoginToken(database().pool, ADMIN, 600_000);
      const spoofed = await fetch(`${direct.url}login`, {
        method: 'POST',
        headers: { 'x-forwarded-proto': 'https' },
        body: new URLSearchParams({ token }),
        redirect: 'manual',
      });
      expect(spoofed.headers.get('set-cookie')).not.toContain('Secure');
      const second = await createLoginToken(database().pool, ADMIN, 600_000);
      const viaProxy = await fetch(`${proxied.url}login`, {
        method: 'POST',
        headers: { 'x-forwarded-proto': 'https' },
        body: new URLSearchParams({ token: second.token }),
        redirect: 'manual',
      });
      expect(viaProxy.headers.get('set-cookie')).toContain('; Secure');
    } finally {
      await direct.close();
      await proxied.close();
    }
  });
});
