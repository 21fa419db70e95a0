/**
 * `keywarden panels add|test|update|remove|list` against simulated panels and a real database: every
 * error line of issue 13, checks before saving, and no secret (password, token, web base path) in any
 * output.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedPanel, type SimulatedPanel } from '../../../src/simulator/index.ts';
import { runCliAgainst } from '../../support/cli.ts';
import { useTestDatabase } from '../../support/database.ts';

const database = useTestDatabase();

const BASE = '/Zr8TqW2mXp4LcN7vBk/';
const PASSWORD = 'hunter2-very-secret';
const TOKEN = 'tok-admin-very-secret';
const SECRETS = [PASSWORD, TOKEN, 'tok-monitor-very-secret', 'Zr8TqW2mXp4LcN7vBk', 'wrong-password-secret'];

/** Runs the CLI and checks that no secret appears in anything it printed. */
async function cli(args: string[], env: Record<string, string> = {}): ReturnType<typeof runCliAgainst> {
  const result = await runCliAgainst(database().url, args, {
    KEYWARDEN_LOG_LEVEL: 'error',
    KEYWARDEN_PANEL_TIMEOUT: '3s',
    ...env,
  });
  for (const secret of SECRETS) {
    expect(result.out + result.err).not.toContain(secret);
  }
  return result;
}

/** A failure printed as exactly one line. */
function expectOneLine(result: { code: number; out: string; err: string }, code: number, text: string): void {
  expect(result.code).toBe(code);
  expect(result.err).toBe(`keywarden panels: ${text}\n`);
}

async function panelCount(): Promise<number> {
  const { rows } = await database().pool.query<{ n: number }>(
    'select count(*)::int as n from panels where removed_at is null',
  );
  return rows[0]!.n;
}

describe('panels add checks the panel before saving', () => {
  let v36: SimulatedPanel;
  let main: SimulatedPanel;
  let g1: SimulatedPanel;
  beforeAll(async () => {
    v36 = await startSimulatedPanel({
      profile: 'v3.6',
      webBasePath: BASE,
      password: PASSWORD,
      jobIntervalMs: 0,
    });
    v36.addInbound({ protocol: 'vless', port: 443, streamSettings: { network: 'tcp', security: 'reality' } });
    // main's behaviour reporting 3.8.0: a release after the tested range (the mirror holds no 3.7/3.8).
    main = await startSimulatedPanel({
      profile: 'main',
      panelVersion: '3.8.0',
      webBasePath: BASE,
      password: PASSWORD,
      jobIntervalMs: 0,
      tokens: [
        { token: TOKEN, scope: 'admin' },
        { token: 'tok-monitor-very-secret', scope: 'monitor' },
      ],
    });
    main.addInbound({
      protocol: 'vless',
      port: 443,
      streamSettings: { network: 'tcp', security: 'reality' },
    });
    main.addInbound({ protocol: 'trojan', port: 8443 });
    g1 = await startSimulatedPanel({
      profile: 'v2.9',
      webBasePath: BASE,
      password: PASSWORD,
      jobIntervalMs: 0,
    });
    g1.addInbound({ protocol: 'vless', port: 443, streamSettings: { network: 'tcp', security: 'reality' } });
  });
  afterAll(async () => {
    await Promise.all([v36.close(), main.close(), g1.close()]);
  });

  it('adds a reachable panel with its generation, version and inbounds, and a key can be issued at once', async () => {
    const added = await cli([
      'panels',
      'add',
      '--name',
      'edge-1',
      '--url',
      v36.url,
      '--username',
      'admin',
      '--password',
      PASSWORD,
    ]);
    expect(added).toMatchObject({ code: 0, err: '' });
    expect(added.out).toBe('panel edge-1 added (id 1): g2, 3.6.0, 1 inbound\n');

    const listed = await cli(['panels', 'list']);
    const row = listed.out.split('\n')[1] ?? '';
    expect(row).toMatch(/^edge-1\s+http:\/\/127\.0\.0\.1:\d+\/…\/\s+g2\s+3\.6\.0\s+1\s+0\s+\?\s+-$/);

    expect((await cli(['grant', '--telegram-id', '5151', '--for', '30d'])).code).toBe(0);
    // The inbounds were recorded by the check: no pass has run, yet the key has an inbound.
    expect((await cli(['keys', 'issue', '--telegram-id', '5151', '--panel', 'edge-1'])).code).toBe(0);
  });

  it('adds a G1 panel (version not reported) and a main panel with a token (untested version flagged)', async () => {
    const old = await cli([
      'panels',
      'add',
      '--name',
      'old-1',
      '--url',
      g1.url,
      '--username',
      'admin',
      '--password',
      PASSWORD,
    ]);
    expect(old.out).toBe('panel old-1 added (id 2): g1, version not reported, 1 inbound\n');
    const fresh = await cli(['panels', 'add', '--name', 'fresh-1', '--url', main.url, '--token', TOKEN]);
    expect(fresh.out).toBe(
      'panel fresh-1 added (id 3): g2, 3.8.0 (outside the tested range v2.8.0–v3.6.0 and main at 02002dc1), 2 inbounds\n',
    );
    const table = (await cli(['panels', 'list'])).out.split('\n');
    expect(table.find((line) => line.startsWith('fresh-1'))).toMatch(/\sg2\s+3\.8\.0 \(untested\)\s+2\s/);
    expect(table.find((line) => line.startsWith('old-1'))).toMatch(/\sg1\s+-\s+1\s/);
    const json = JSON.parse((await cli(['panels', 'list', '--json'])).out) as Array<Record<string, unknown>>;
    expect(json.find((panel) => panel['name'] === 'old-1')).toMatchObject({
      version: null,
      version_tested: null,
    });
    expect(json.find((panel) => panel['name'] === 'fresh-1')).toMatchObject({
      auth_kind: 'token',
      generation: 'g2',
      version: '3.8.0',
      version_tested: false,
      inbounds: 2,
      url: expect.stringMatching(/\/…\/$/) as unknown,
    });
  });

  it('says "no 3x-ui panel at this URL (HTTP 404)" for a wrong web base path, and saves nothing', async () => {
    const before = await panelCount();
    const wrong = v36.url.replace(BASE, '/not-the-path/');
    const result = await cli([
      'panels',
      'add',
      '--name',
      'wrong-path',
      '--url',
      wrong,
      '--username',
      'admin',
      '--password',
      PASSWORD,
    ]);
    expectOneLine(
      result,
      1,
      'no 3x-ui panel at this URL (HTTP 404) — check the web base path (nothing saved; --no-check saves anyway)',
    );
    expect(await panelCount()).toBe(before);
  });

  it('says "login rejected — check the username and password"', async () => {
    const result = await cli([
      'panels',
      'add',
      '--name',
      'bad-login',
      '--url',
      v36.url,
      '--username',
      'admin',
      '--password',
      'wrong-password-secret',
    ]);
    expectOneLine(
      result,
      1,
      'login rejected — check the username and password (nothing saved; --no-check saves anyway)',
    );
  });

  it('says "token lacks the admin scope" for a monitor token', async () => {
    const result = await cli([
      'panels',
      'add',
      '--name',
      'monitor',
      '--url',
      main.url,
      '--token',
      'tok-monitor-very-secret',
    ]);
    expectOneLine(result, 1, 'token lacks the admin scope (nothing saved; --no-check saves anyway)');
  });

  it('says "token expired or revoked" for a token the panel does not accept', async () => {
    const result = await cli(['panels', 'add', '--name', 'old-token', '--url', main.url], {
      KEYWARDEN_PANEL_TOKEN: 'tok-monitor-very-secret-gone',
    });
    expectOneLine(result, 1, 'token expired or revoked (nothing saved; --no-check saves anyway)');
  });

  it('says "host unreachable" when nothing listens, and saves it with --no-check', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) =>
      closed.close(() => {
        resolve();
      }),
    );
    const url = `http://127.0.0.1:${String(port)}${BASE}`;
    const result = await cli(['panels', 'add', '--name', 'gone', '--url', url, '--token', TOKEN]);
    expectOneLine(result, 1, 'host unreachable (nothing saved; --no-check saves anyway)');
    const saved = await cli([
      'panels',
      'add',
      '--name',
      'gone',
      '--url',
      url,
      '--token',
      TOKEN,
      '--no-check',
    ]);
    expect(saved.out).toMatch(/^panel gone added \(id \d+\), not checked\n$/);
    // A duplicate name is one line too.
    expectOneLine(
      await cli(['panels', 'add', '--name', 'gone', '--url', url, '--token', TOKEN, '--no-check']),
      1,
      'a panel named "gone" already exists',
    );
  });

  it('validates names (any script) and URL schemes before any write: exit 2, one line', async () => {
    const before = await panelCount();
    const url = v36.url;
    expectOneLine(
      await cli(['panels', 'add', '--name', 'bad name', '--url', url, '--token', TOKEN]),
      2,
      'the panel name "bad name" may only hold letters, digits, "-", "_" and "."',
    );
    expectOneLine(
      await cli(['panels', 'add', '--name', 'x'.repeat(65), '--url', url, '--token', TOKEN]),
      2,
      'the panel name is longer than 64 characters',
    );
    expectOneLine(
      await cli(['panels', 'add', '--name', 'edge-9', '--url', `ftp://127.0.0.1${BASE}`, '--token', TOKEN]),
      2,
      'the URL scheme must be http or https, not ftp',
    );
    expectOneLine(
      await cli([
        'panels',
        'add',
        '--name',
        'edge-9',
        '--url',
        `http://admin:${PASSWORD}@127.0.0.1${BASE}`,
        '--token',
        TOKEN,
      ]),
      2,
      'the URL must not carry credentials: use --username/--password or --token',
    );
    expect(await panelCount()).toBe(before);
    const unicode = await cli([
      'panels',
      'add',
      '--name',
      'панель_2.de',
      '--url',
      url,
      '--token',
      TOKEN,
      '--no-check',
    ]);
    expect(unicode.code).toBe(0);
  });

  it('says "TLS certificate not trusted (use --ca-file or --insecure-skip-verify)" for a self-signed panel', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kw-tls-'));
    let server: HttpsServer | undefined;
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      const httpsServer = createHttpsServer(
        { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
        (_req, res) => {
          res.statusCode = 404;
          res.end();
        },
      );
      server = httpsServer;
      await new Promise<void>((resolve) => httpsServer.listen(0, '127.0.0.1', resolve));
      const url = `https://127.0.0.1:${String((httpsServer.address() as AddressInfo).port)}${BASE}`;
      expectOneLine(
        await cli(['panels', 'add', '--name', 'tls', '--url', url, '--token', TOKEN]),
        1,
        'TLS certificate not trusted (use --ca-file or --insecure-skip-verify) (nothing saved; --no-check saves anyway)',
      );
      // With the certificate trusted, the check gets past TLS (this server is no panel: 404).
      expectOneLine(
        await cli([
          'panels',
          'add',
          '--name',
          'tls',
          '--url',
          url,
          '--token',
          TOKEN,
          '--ca-file',
          join(dir, 'cert.pem'),
        ]),
        1,
        'no 3x-ui panel at this URL (HTTP 404) — check the web base path (nothing saved; --no-check saves anyway)',
      );
      expectOneLine(
        await cli([
          'panels',
          'add',
          '--name',
          'tls',
          '--url',
          url,
          '--token',
          TOKEN,
          '--insecure-skip-verify',
        ]),
        1,
        'no 3x-ui panel at this URL (HTTP 404) — check the web base path (nothing saved; --no-check saves anyway)',
      );
    } finally {
      if (server !== undefined) {
        const running = server;
        await new Promise<void>((resolve) =>
          running.close(() => {
            resolve();
          }),
        );
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tests a saved panel, and reports a changed password as one line', async () => {
    expect((await cli(['panels', 'test', 'edge-1'])).out).toBe('panel edge-1 ok: g2, 3.6.0, 1 inbound\n');
    v36.setCredentials('admin', 'rotated-by-the-admin');
    expectOneLine(
      await cli(['panels', 'test', 'edge-1']),
      1,
      'panel edge-1: login rejected — check the username and password',
    );
    expectOneLine(await cli(['panels', 'test', 'nope']), 1, 'no panel named "nope"');
    v36.setCredentials('admin', PASSWORD);
  });

  it('updates a panel: checks new credentials before saving, suspends and resumes', async () => {
    expectOneLine(
      await cli(['panels', 'update', 'edge-1', '--username', 'admin', '--password', 'wrong-password-secret']),
      1,
      'login rejected — check the username and password (nothing changed; --no-check saves anyway)',
    );
    expect((await cli(['panels', 'test', 'edge-1'])).code).toBe(0);
    expect((await cli(['panels', 'update', 'edge-1', '--suspend'])).out).toBe(
      'panel edge-1 updated (suspended)\n',
    );
    let json = JSON.parse((await cli(['panels', 'list', '--json'])).out) as Array<Record<string, unknown>>;
    expect(json.find((panel) => panel['name'] === 'edge-1')?.['mode']).toBe('observe');
    expect((await cli(['panels', 'update', 'edge-1', '--resume'])).code).toBe(0);
    json = JSON.parse((await cli(['panels', 'list', '--json'])).out) as Array<Record<string, unknown>>;
    expect(json.find((panel) => panel['name'] === 'edge-1')?.['mode']).toBe('enforce');
    expectOneLine(
      await cli(['panels', 'update', 'edge-1', '--suspend', '--resume']),
      2,
      'give --suspend or --resume, not both',
    );
  });

  it('with KEYWARDEN_SECRET_KEY, add, test and update keep the credentials sealed and can open them', async () => {
    const sealed = { KEYWARDEN_SECRET_KEY: 'a1'.repeat(32) };
    const added = await cli(
      ['panels', 'add', '--name', 'sealed-1', '--url', main.url, '--token', TOKEN],
      sealed,
    );
    expect(added).toMatchObject({ code: 0, err: '' });
    const stored = async (): Promise<string> => {
      const { rows } = await database().pool.query<{ auth: string }>(
        `select auth::text as auth from panels where name = 'sealed-1'`,
      );
      return rows[0]!.auth;
    };
    expect(await stored()).toContain('"sealed"');
    expect(await stored()).not.toContain(TOKEN);
    expect((await cli(['panels', 'test', 'sealed-1'], sealed)).code).toBe(0);
    // Without the key the sealed credentials cannot be opened: one line, nothing printed in clear.
    expect((await cli(['panels', 'test', 'sealed-1'])).code).not.toBe(0);

    expect(
      (await cli(['panels', 'update', 'sealed-1', '--username', 'admin', '--password', PASSWORD], sealed))
        .code,
    ).toBe(0);
    expect(await stored()).toContain('"sealed"');
    expect(await stored()).not.toContain(PASSWORD);
    expect((await cli(['panels', 'test', 'sealed-1'], sealed)).code).toBe(0);
    expect((await cli(['panels', 'remove', 'sealed-1'])).code).toBe(0);
  });

  it('refuses to remove a panel with live keys; --force revokes them and frees the name', async () => {
    expectOneLine(
      await cli(['panels', 'remove', 'edge-1']),
      1,
      'panel edge-1 has 1 live key: revoke them first, or use --force to revoke them',
    );
    const removed = await cli(['panels', 'remove', 'edge-1', '--force']);
    expect(removed.out).toBe(
      'panel edge-1 removed, 1 keys revoked (nothing was deleted from the panel itself)\n',
    );
    const { rows } = await database().pool.query<{ live: number }>(
      'select count(*)::int as live from vpn_keys where revoked_at is null',
    );
    expect(rows[0]!.live).toBe(0);
    expect((await cli(['panels', 'list'])).out).not.toContain('edge-1');
    expect(
      (
        await cli([
          'panels',
          'add',
          '--name',
          'edge-1',
          '--url',
          v36.url,
          '--username',
          'admin',
          '--password',
          PASSWORD,
        ])
      ).code,
    ).toBe(0);
  });

  it('answers every other panels error with one line that carries no secret', async () => {
    const wrongBase = `${new URL(v36.url).origin}/nope/`;
    const cases: Array<[string[], number, string]> = [
      [
        ['panels', 'update', 'edge-1', '--url', `ftp://127.0.0.1${BASE}`],
        2,
        'the URL scheme must be http or https, not ftp',
      ],
      [
        ['panels', 'update', 'edge-1', '--url', `http://admin:${PASSWORD}@127.0.0.1${BASE}`],
        2,
        'the URL must not carry credentials: use --username/--password or --token',
      ],
      [
        ['panels', 'update', 'bad name', '--suspend'],
        2,
        'the panel name "bad name" may only hold letters, digits, "-", "_" and "."',
      ],
      [
        ['panels', 'remove', 'bad name'],
        2,
        'the panel name "bad name" may only hold letters, digits, "-", "_" and "."',
      ],
      [['panels', 'update', 'nope', '--suspend'], 1, 'no panel named "nope"'],
      [['panels', 'remove', 'nope'], 1, 'no panel named "nope"'],
      [
        ['panels', 'update', 'edge-1', '--url', wrongBase],
        1,
        'no 3x-ui panel at this URL (HTTP 404) — check the web base path (nothing changed; --no-check saves anyway)',
      ],
      [
        [
          'panels',
          'add',
          '--name',
          'both',
          '--url',
          v36.url,
          '--token',
          TOKEN,
          '--username',
          'admin',
          '--password',
          PASSWORD,
        ],
        2,
        'give --username/--password or --token, not both',
      ],
      [
        ['panels', 'add', '--name', 'half', '--url', v36.url, '--password', PASSWORD],
        2,
        '--password needs --username',
      ],
      [
        ['panels', 'update', 'edge-1', '--ca-file', '/nonexistent/ca.pem'],
        2,
        'cannot read --ca-file "/nonexistent/ca.pem"',
      ],
    ];
    for (const [args, code, line] of cases) {
      expectOneLine(await cli(args), code, line);
    }

    // A panel whose webDomain is another host name.
    const domain = await startSimulatedPanel({
      profile: 'v3.6',
      webBasePath: BASE,
      password: PASSWORD,
      jobIntervalMs: 0,
      webDomain: 'panel.example.com',
    });
    try {
      expectOneLine(
        await cli([
          'panels',
          'add',
          '--name',
          'domain-1',
          '--url',
          domain.url,
          '--username',
          'admin',
          '--password',
          PASSWORD,
        ]),
        1,
        "the panel refused this host name (HTTP 403) — check the URL's host against the panel's domain setting (nothing saved; --no-check saves anyway)",
      );
    } finally {
      await domain.close();
    }

    // A saved panel that went away, and one whose token lost the admin scope.
    await v36.setFault({ kind: 'down', mode: 'refuse' });
    try {
      expectOneLine(await cli(['panels', 'test', 'edge-1']), 1, 'panel edge-1: host unreachable');
    } finally {
      await v36.clearFault();
    }
    expect(
      (
        await cli([
          'panels',
          'add',
          '--name',
          'mon-1',
          '--url',
          main.url,
          '--token',
          'tok-monitor-very-secret',
          '--no-check',
        ])
      ).code,
    ).toBe(0);
    expectOneLine(await cli(['panels', 'test', 'mon-1']), 1, 'panel mon-1: token lacks the admin scope');
    expect((await cli(['panels', 'remove', 'mon-1'])).code).toBe(0);
  });
});
