/**
 * Issue 11, item 9, the part left after the reconciler's clients: the panel administration checks
 * (`keywarden panels test`, the re-check of `panels update`, the console's Test and Edit) go through
 * the same shared login back-off as the daemon. Before, every check logged in afresh: an operator
 * pressing "Test" a few times with a wrong saved password, while the daemon was failing too, made the
 * fifth refused login within 5 minutes and 3x-ui locked the account out for 15 minutes
 * (internal/web/controller/login_limiter.go: 5 failures per (IP, username) in 5 min → 15 min).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.ts';
import { startConsole, type ConsoleServer } from '../../../src/console/index.ts';
import { startSimulatedPanel, type SimulatedPanel } from '../../../src/simulator/index.ts';
import { runCliAgainst } from '../../support/cli.ts';
import { adminSession } from '../../support/console.ts';
import { useTestDatabase } from '../../support/database.ts';
import { testLogger } from '../../support/reconciler-harness.ts';

const database = useTestDatabase();
const ADMIN = 4_202;
const BASE = '/Hq3LmV8xTz2RwK6p/';
const PASSWORD = 'guard-panel-password-secret';
const ROTATED = 'rotated-guard-password-secret';
const WRONG = 'another-wrong-guard-secret';
const SECRETS = [PASSWORD, ROTATED, WRONG, 'Hq3LmV8xTz2RwK6p'];
const WITHHELD =
  /^login withheld: \d failed logins? to edge-1 in the last 5 min; next try after \d\d:\d\d:\d\d UTC — the panel would lock this address out$/;

async function cli(args: string[]): ReturnType<typeof runCliAgainst> {
  const result = await runCliAgainst(database().url, args, {
    KEYWARDEN_LOG_LEVEL: 'error',
    KEYWARDEN_PANEL_TIMEOUT: '3s',
  });
  for (const secret of SECRETS) {
    expect(result.out + result.err).not.toContain(secret);
  }
  return result;
}

/** The one line a failed `panels` command printed, without the program prefix. */
function failureLine(result: { code: number; err: string }): string {
  expect(result.code).toBe(1);
  expect(result.err.endsWith('\n')).toBe(true);
  expect(result.err.split('\n')).toHaveLength(2);
  return result.err.replace(/^keywarden panels: /, '').trimEnd();
}

describe('panel checks share the login back-off (issue 11, item 9)', () => {
  let sim: SimulatedPanel;
  let server: ConsoleServer;
  let cookie = '';
  let csrf = '';
  const logins = (): number =>
    sim.requests().filter((request) => request.method === 'POST' && request.path === 'login').length;

  beforeAll(async () => {
    sim = await startSimulatedPanel({
      profile: 'v3.6',
      webBasePath: BASE,
      password: PASSWORD,
      jobIntervalMs: 0,
    });
    sim.addInbound({ protocol: 'vless', port: 443, streamSettings: { network: 'tcp', security: 'reality' } });
    server = await startConsole({
      pool: database().pool,
      config: loadConfig({
        KEYWARDEN_CONSOLE_PORT: '0',
        KEYWARDEN_ADMIN_IDS: String(ADMIN),
        KEYWARDEN_PANEL_TIMEOUT: '3s',
      }),
      lockClass: 1,
      logger: testLogger(),
    });
    ({ cookie, csrf } = await adminSession(database().pool, server.url, ADMIN, '/panels'));
  });

  afterAll(async () => {
    await server.close();
    await sim.close();
  });

  async function post(
    path: string,
    fields: Record<string, string>,
  ): Promise<{ status: number; body: string }> {
    const response = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { cookie },
      body: new URLSearchParams({ _csrf: csrf, ...fields }),
      redirect: 'manual',
    });
    const body = await response.text();
    for (const secret of SECRETS) {
      expect(body).not.toContain(secret);
    }
    return { status: response.status, body };
  }

  async function panelId(): Promise<string> {
    const { rows } = await database().pool.query<{ id: string }>(
      `select id::text from panels where name = 'edge-1' and removed_at is null`,
    );
    return rows[0]?.id ?? '';
  }

  const html = (text: string): string =>
    text.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

  it('six `panels test` runs and a console Test with a wrong saved password send one login, and say why in one line', async () => {
    const added = await cli([
      'panels',
      'add',
      '--name',
      'edge-1',
      '--url',
      sim.url,
      '--username',
      'admin',
      '--password',
      PASSWORD,
    ]);
    expect(added.code).toBe(0);
    const before = logins();
    // The panel's admin rotates the password; keywarden still has the old one.
    sim.setCredentials('admin', ROTATED);

    const runs = [];
    for (let run = 0; run < 6; run++) {
      runs.push(await cli(['panels', 'test', 'edge-1']));
    }
    const [first, ...held] = runs.map(failureLine);
    expect(first).toBe('panel edge-1: login rejected — check the username and password');
    for (const line of held) {
      expect(line.replace(/^panel edge-1: /, '')).toMatch(WITHHELD);
    }
    expect(logins() - before).toBe(1);

    // The console's Test button reads the same state and shows the same line.
    const id = await panelId();
    const tested = await post(`panels/${id}/test`, {});
    expect(tested.status).toBe(422);
    const shown = /login withheld: [^<]*/.exec(tested.body)?.[0] ?? '';
    expect(shown.trim()).toMatch(WITHHELD);
    expect(logins() - before).toBe(1);

    // Once the back-off has passed (moved into the past here rather than waited for: 60 s), the
    // next test tries again and its refusal is recorded: the next wait doubles.
    await database().pool.query(
      `update panel_login_state set blocked_until = now() - interval '1 s',
         failed_at = array[now() - interval '2 min']`,
    );
    expect(failureLine(await cli(['panels', 'test', 'edge-1']))).toBe(
      'panel edge-1: login rejected — check the username and password',
    );
    expect(logins() - before).toBe(2);
    const { rows } = await database().pool.query<{ failures: number; waitS: number }>(
      `select failures, extract(epoch from blocked_until - now())::float8 as "waitS" from panel_login_state`,
    );
    expect(rows[0]?.failures).toBe(2);
    expect(rows[0]?.waitS).toBeGreaterThan(100);
    expect(failureLine(await cli(['panels', 'test', 'edge-1']))).toMatch(
      /^panel edge-1: login withheld: 2 failed logins to edge-1 in the last 5 min;/,
    );
    expect(logins() - before).toBe(2);

    // Updating the credentials is the operator's fix: the new ones are tried at once (the back-off
    // belongs to the old ones), and a success clears the shared state.
    const updated = await cli(['panels', 'update', 'edge-1', '--username', 'admin', '--password', ROTATED]);
    expect(updated).toMatchObject({ code: 0, err: '' });
    expect(logins() - before).toBe(3);
    expect((await database().pool.query('select 1 from panel_login_state')).rows).toHaveLength(0);
    expect((await cli(['panels', 'test', 'edge-1'])).code).toBe(0);
  });

  it('never makes the fifth failure within 5 minutes for one username, even with new credentials', async () => {
    // Four refused logins of `admin` in the last two minutes, recorded by other keywarden processes
    // (say two daemon replicas and a `plan`) with a password since replaced.
    const id = await panelId();
    await database().pool.query(
      `insert into panel_login_state (panel_id, credentials_hash, failures, failed_at, blocked_until)
       values ($1, 'old-credentials', 4,
         array[now() - interval '110 s', now() - interval '80 s', now() - interval '50 s', now() - interval '20 s'],
         now() - interval '1 s')`,
      [id],
    );
    const before = logins();
    // 3x-ui counts failures per (address, username), whatever the password: a fifth wrong one locks.
    const update = failureLine(
      await cli(['panels', 'update', 'edge-1', '--username', 'admin', '--password', WRONG]),
    );
    expect(update.replace(/ \(nothing changed; --no-check saves anyway\)$/, '')).toMatch(
      /^login withheld: 4 failed logins to edge-1 in the last 5 min; next try after \d\d:\d\d:\d\d UTC — the panel would lock this address out$/,
    );
    const edited = await post(`panels/${id}/edit`, { username: 'admin', password: WRONG, tls: 'keep' });
    expect(edited.status).toBe(422);
    expect(edited.body).toContain(html('login withheld: 4 failed logins to edge-1 in the last 5 min'));
    expect(logins() - before).toBe(0);
    await database().pool.query('delete from panel_login_state');
  });
});
