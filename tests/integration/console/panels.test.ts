/**
 * The console's panels page over HTTP against simulated panels and a real database: add, test, edit,
 * suspend, resume and remove go through the same src/panels checks as `keywarden panels`, show the
 * same one-line errors, write nothing when the input or the check fails (unless "save without check"),
 * are audited with the admin's Telegram id, and never put a password or token into a page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.ts';
import { startConsole, type ConsoleServer } from '../../../src/console/index.ts';
import { startSimulatedPanel, type SimulatedPanel } from '../../../src/simulator/index.ts';
import { insertUser } from '../../support/builders.ts';
import { adminSession } from '../../support/console.ts';
import { useTestDatabase } from '../../support/database.ts';
import { testLogger } from '../../support/reconciler-harness.ts';

const database = useTestDatabase();
const ADMIN = 4_101;
const BASE = '/Qm7RtX2pLw9ZkV4n/';
const PASSWORD = 'console-panel-password-secret';
const TOKEN = 'console-panel-token-secret';
const WRONG = 'wrong-console-password-secret';
const SECRETS = [PASSWORD, TOKEN, WRONG, 'rotated-console-password-secret'];

describe('console panels page', () => {
  let server: ConsoleServer;
  let v36: SimulatedPanel;
  let main: SimulatedPanel;
  let cookie: string;
  let csrf: string;

  beforeAll(async () => {
    v36 = await startSimulatedPanel({
      profile: 'v3.6',
      webBasePath: BASE,
      password: PASSWORD,
      jobIntervalMs: 0,
    });
    v36.addInbound({
      protocol: 'vless',
      port: 443,
      remark: 'reality-443',
      streamSettings: { network: 'tcp', security: 'reality' },
    });
    main = await startSimulatedPanel({
      profile: 'main',
      webBasePath: BASE,
      password: PASSWORD,
      jobIntervalMs: 0,
      tokens: [{ token: TOKEN, scope: 'admin' }],
    });
    main.addInbound({ protocol: 'trojan', port: 8443, remark: 'trojan-8443' });
    server = await startConsole({
      pool: database().pool,
      config: loadConfig({
        KEYWARDEN_CONSOLE_PORT: '0',
        KEYWARDEN_ADMIN_IDS: String(ADMIN),
        KEYWARDEN_PANEL_TIMEOUT: '3s',
        KEYWARDEN_SECRET_KEY: 'c4'.repeat(32),
      }),
      lockClass: 1,
      logger: testLogger(),
    });
    ({ cookie, csrf } = await adminSession(database().pool, server.url, ADMIN, '/panels'));
  });

  afterAll(async () => {
    await server.close();
    await v36.close();
    await main.close();
  });

  /** Every body the console sends is checked: no password or token, ever. */
  function clean(body: string): string {
    for (const secret of SECRETS) {
      expect(body).not.toContain(secret);
    }
    return body;
  }

  async function get(path: string): Promise<{ status: number; body: string }> {
    const response = await fetch(`${server.url}${path}`, { headers: { cookie } });
    return { status: response.status, body: clean(await response.text()) };
  }

  async function post(
    path: string,
    fields: Record<string, string>,
    options: { withCsrf?: boolean; withCookie?: boolean } = {},
  ): Promise<{ status: number; body: string }> {
    const response = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: options.withCookie === false ? {} : { cookie },
      body: new URLSearchParams({ ...(options.withCsrf === false ? {} : { _csrf: csrf }), ...fields }),
      redirect: 'manual',
    });
    return { status: response.status, body: clean(await response.text()) };
  }

  async function panelRows(): Promise<Array<{ name: string; auth: string; suspended: boolean }>> {
    const { rows } = await database().pool.query<{ name: string; auth: string; suspended: boolean }>(
      'select name, auth::text as auth, suspended from panels where removed_at is null order by id',
    );
    return rows;
  }

  async function auditRows(action: string): Promise<Array<{ who: string; outcome: string; detail: string }>> {
    const { rows } = await database().pool.query<{ who: string; outcome: string; detail: string }>(
      `select actor || ':' || coalesce(admin_telegram_id::text, '-') as who, outcome, detail::text as detail
       from admin_audit where action = $1 order by id`,
      [action],
    );
    for (const row of rows) {
      clean(row.detail);
    }
    return rows;
  }

  const html = (text: string): string =>
    text.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

  it('needs a session and the CSRF token for every panel action', async () => {
    expect((await post('panels', { name: 'x' }, { withCookie: false })).status).toBe(401);
    const refused = await post(
      'panels',
      { name: 'edge-1', url: v36.url, username: 'admin', password: PASSWORD },
      { withCsrf: false },
    );
    expect(refused.status).toBe(403);
    expect(await panelRows()).toEqual([]);
    expect(await auditRows('console.csrf')).toEqual([
      { who: `console:${String(ADMIN)}`, outcome: 'refused', detail: '{"path": "/panels"}' },
    ]);
  });

  it('refuses a bad name or URL with the CLI’s one-line message, and writes nothing', async () => {
    const badName = await post('panels', {
      name: 'edge 1!',
      url: v36.url,
      username: 'admin',
      password: PASSWORD,
    });
    expect(badName.status).toBe(400);
    expect(badName.body).toContain(
      html('the panel name "edge 1!" may only hold letters, digits, "-", "_" and "."'),
    );
    // The form comes back with what was typed, except the password.
    expect(badName.body).toContain('value="edge 1!"');
    const badUrl = await post('panels', { name: 'edge-1', url: 'ftp://x.example/', token: TOKEN });
    expect(badUrl.status).toBe(400);
    expect(badUrl.body).toContain('the URL scheme must be http or https, not ftp');
    const both = await post('panels', {
      name: 'edge-1',
      url: v36.url,
      username: 'admin',
      password: PASSWORD,
      token: TOKEN,
    });
    expect(both.body).toContain('give a username and password, or a token, not both');
    const badCa = await post('panels', { name: 'edge-1', url: v36.url, token: TOKEN, ca_pem: 'not a cert' });
    expect(badCa.status).toBe(400);
    expect(badCa.body).toContain('the CA certificate is not in PEM form');
    expect(await panelRows()).toEqual([]);
    expect(await auditRows('panel.add')).toEqual([]);
  });

  it('shows a failed check as the CLI’s one line and saves nothing, unless "save without check"', async () => {
    const wrongPath = await post('panels', {
      name: 'edge-1',
      url: v36.url.replace(BASE, '/wrong/'),
      username: 'admin',
      password: PASSWORD,
    });
    expect(wrongPath.status).toBe(422);
    expect(wrongPath.body).toContain(
      'no 3x-ui panel at this URL (HTTP 404) — check the web base path (nothing saved; tick “Save without check” to save anyway)',
    );
    const wrongPassword = await post('panels', {
      name: 'edge-1',
      url: v36.url,
      username: 'admin',
      password: WRONG,
    });
    expect(wrongPassword.status).toBe(422);
    expect(wrongPassword.body).toContain('login rejected — check the username and password');
    expect(wrongPassword.body).toContain('value="admin"');
    expect(await panelRows()).toEqual([]);

    const unchecked = await post('panels', {
      name: 'later-1',
      url: v36.url,
      username: 'admin',
      password: WRONG,
      no_check: 'on',
    });
    expect(unchecked.status).toBe(200);
    expect(unchecked.body).toContain('Panel later-1 added, not checked.');
    const { rows } = await database().pool.query<{ api_generation: string | null }>(
      `select api_generation from panels where name = 'later-1'`,
    );
    expect(rows).toEqual([{ api_generation: null }]);
    expect(
      (await auditRows('panel.add')).map((row) => [row.who, row.outcome, JSON.parse(row.detail) as unknown]),
    ).toEqual([
      [
        `console:${String(ADMIN)}`,
        'check-failed',
        expect.objectContaining({
          name: 'edge-1',
          problem: 'no-panel',
          url: `${new URL(v36.url).origin}/…/`,
        }),
      ],
      [`console:${String(ADMIN)}`, 'check-failed', expect.objectContaining({ problem: 'login-rejected' })],
      [`console:${String(ADMIN)}`, 'ok', expect.objectContaining({ name: 'later-1', isChecked: false })],
    ]);
    expect((await auditRows('panel.add')).every((row) => !row.detail.includes(BASE.slice(1, -1)))).toBe(true);
  });

  it('adds a checked panel with sealed credentials and lists its generation, version and inbounds', async () => {
    const added = await post('panels', {
      name: 'edge-1',
      url: v36.url,
      username: 'admin',
      password: PASSWORD,
    });
    expect(added.status).toBe(200);
    expect(added.body).toContain('Panel edge-1 added: g2, 3.6.0, 1 inbound.');
    // The audit row says what the check found.
    const addedRow = (await auditRows('panel.add')).find(
      (row) => row.outcome === 'ok' && row.detail.includes('edge-1'),
    );
    expect(JSON.parse(addedRow?.detail ?? '{}')).toMatchObject({
      generation: 'g2',
      version: '3.6.0',
      inbounds: 1,
    });
    const viaToken = await post('panels', { name: 'tok-1', url: main.url, token: TOKEN });
    expect(viaToken.body).toContain('Panel tok-1 added: g2');
    const stored = (await panelRows()).find((row) => row.name === 'edge-1');
    expect(stored?.auth).toContain('"sealed"');
    expect(stored?.auth).not.toContain(PASSWORD);

    const listed = await get('panels');
    expect(listed.body).toContain('reality-443');
    expect(listed.body).toContain('trojan-8443');
    expect(listed.body).toContain('<dd class="version">3.6.0</dd>');
    // The web base path is not shown on the list.
    expect(listed.body).not.toContain(BASE.slice(1, -1));
    expect(listed.body).toContain('/…/');
    const taken = await post('panels', {
      name: 'edge-1',
      url: v36.url,
      username: 'admin',
      password: PASSWORD,
    });
    expect(taken.status).toBe(409);
    expect(taken.body).toContain(html('a panel named "edge-1" already exists'));
  });

  it('tests a saved panel and reports a changed password as one line, audited', async () => {
    const id = await panelId('edge-1');
    const ok = await post(`panels/${id}/test`, {});
    expect(ok.body).toContain('Panel edge-1 ok: g2, 3.6.0, 1 inbound.');
    v36.setCredentials('admin', 'rotated-console-password-secret');
    const failed = await post(`panels/${id}/test`, {});
    expect(failed.status).toBe(422);
    expect(failed.body).toContain('edge-1: login rejected — check the username and password');
    v36.setCredentials('admin', PASSWORD);
    expect((await auditRows('panel.test')).map((row) => row.outcome)).toEqual(['ok', 'check-failed']);
  });

  it('edits a panel: a new URL or password is checked first, blank fields keep what is saved', async () => {
    const id = await panelId('edge-1');
    const form = await get(`panels/${id}/edit`);
    expect(form.status).toBe(200);
    expect(form.body).not.toContain(BASE.slice(1, -1));
    expect(form.body).not.toMatch(/name="password"[^>]*value=/);
    const before = (await panelRows()).find((row) => row.name === 'edge-1')?.auth;
    const wrong = await post(`panels/${id}/edit`, { username: 'admin', password: WRONG, tls: 'keep' });
    expect(wrong.status).toBe(422);
    expect(wrong.body).toContain(
      'login rejected — check the username and password (nothing changed; tick “Save without check” to save anyway)',
    );
    expect((await panelRows()).find((row) => row.name === 'edge-1')?.auth).toBe(before);
    const wrongPath = await post(`panels/${id}/edit`, {
      url: v36.url.replace(BASE, '/elsewhere/'),
      tls: 'keep',
    });
    expect(wrongPath.body).toContain('no 3x-ui panel at this URL (HTTP 404)');
    const saved = await post(`panels/${id}/edit`, { username: 'admin', password: PASSWORD, tls: 'keep' });
    expect(saved.status).toBe(200);
    expect(saved.body).toContain('Panel edge-1 updated (credentials).');
    expect((await panelRows()).find((row) => row.name === 'edge-1')?.auth).not.toBe(before);
    const nothing = await post(`panels/${id}/edit`, { tls: 'keep' });
    expect(nothing.status).toBe(400);
    expect(nothing.body).toContain('nothing to change');
    expect((await auditRows('panel.update')).map((row) => row.outcome)).toEqual([
      'check-failed',
      'check-failed',
      'ok',
    ]);
  });

  it('suspends and resumes a panel, audited', async () => {
    const id = await panelId('edge-1');
    const suspended = await post(`panels/${id}/suspend`, {});
    expect(suspended.body).toContain('Panel edge-1 suspended');
    expect((await panelRows()).find((row) => row.name === 'edge-1')?.suspended).toBe(true);
    expect(suspended.body).toContain(`action="/panels/${id}/resume"`);
    await post(`panels/${id}/resume`, {});
    expect((await panelRows()).find((row) => row.name === 'edge-1')?.suspended).toBe(false);
    expect((await auditRows('panel.suspend')).map((row) => row.who)).toEqual([`console:${String(ADMIN)}`]);
    expect((await auditRows('panel.resume')).map((row) => row.outcome)).toEqual(['ok']);
  });

  it('confirms a removal with the number of live keys it revokes, and asks again if it changed', async () => {
    const id = await panelId('edge-1');
    const userId = await insertUser(database().pool);
    const inbound = await database().pool.query<{ inbound_id: number }>(
      'select inbound_id from inbounds where panel_id = $1 limit 1',
      [id],
    );
    const addKey = async (email: string): Promise<void> => {
      await database().pool.query(
        `insert into vpn_keys (user_id, panel_id, inbound_id, email, client_uuid) values ($1, $2, $3, $4, gen_random_uuid())`,
        [userId, id, inbound.rows[0]!.inbound_id, email],
      );
    };
    await addKey('console-remove-1');
    const confirm = await get(`panels/${id}/remove`);
    expect(confirm.body).toContain('1 live keys are on this panel: removing it revokes them.');
    expect(confirm.body).toContain('name="expected" value="1"');
    await addKey('console-remove-2');
    const stale = await post(`panels/${id}/remove`, { expected: '1' });
    expect(stale.status).toBe(409);
    expect(stale.body).toContain('The number of live keys changed');
    expect(stale.body).toContain('name="expected" value="2"');
    expect((await panelRows()).map((row) => row.name)).toContain('edge-1');
    const removed = await post(`panels/${id}/remove`, { expected: '2' });
    expect(removed.body).toContain('Panel edge-1 removed, 2 keys revoked.');
    expect((await panelRows()).map((row) => row.name)).not.toContain('edge-1');
    const { rows } = await database().pool.query<{ live: number }>(
      'select count(*)::int as live from vpn_keys where panel_id = $1 and revoked_at is null',
      [id],
    );
    expect(rows[0]!.live).toBe(0);
    expect((await get(`panels/${id}/edit`)).status).toBe(404);
    expect((await auditRows('panel.remove')).map((row) => JSON.parse(row.detail) as unknown)).toEqual([
      { name: 'edge-1', revokedKeys: 2 },
    ]);
  });

  async function panelId(name: string): Promise<string> {
    const { rows } = await database().pool.query<{ id: string }>(
      'select id::text from panels where name = $1 and removed_at is null',
      [name],
    );
    return rows[0]!.id;
  }
});
