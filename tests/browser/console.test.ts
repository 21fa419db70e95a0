/**
 * The web console in a real browser: Debian's chromium driven by playwright-core (the npm
 * `playwright` browser download cannot work on our machines; `.ci/run` installs chromium).
 * A reconciler daemon runs against a simulated 3x-ui panel, so actions in the console are seen
 * applied on the panel. Screenshots of every page go to tests/browser/.output/; with
 * KEYWARDEN_DOCS_SCREENSHOTS=1 the overview, user and panels pages are also written to docs/console/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { loadConfig } from '../../src/config/index.ts';
import { startConsole, type ConsoleServer } from '../../src/console/index.ts';
import { createLoginToken } from '../../src/db/index.ts';
import { startSimulatedPanel } from '../../src/simulator/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import {
  addSimulatedPanel,
  insertSeededKey,
  startTestDaemon,
  testLogger,
  waitFor,
  type TestPanel,
} from '../support/reconciler-harness.ts';

const CHROMIUM = process.env['KEYWARDEN_CHROMIUM'] ?? '/usr/bin/chromium';
const OUTPUT = new URL('./.output/', import.meta.url);
const DOCS = new URL('../../docs/console/', import.meta.url);
const ADMIN = 5_005;
const HOUR = 3_600_000;
// On CI a missing browser is a failure (.ci/run installs it); elsewhere the file is skipped.
const available = existsSync(CHROMIUM) || process.env['CI'] === 'true';

describe.skipIf(!available)('console in a real browser', () => {
  let db: TestDatabase;
  let panel: TestPanel;
  let daemon: Awaited<ReturnType<typeof startTestDaemon>>;
  let server: ConsoleServer;
  let browser: Browser;
  let lapsed: { userId: string; keyId: string; email: string };
  const crowd: string[] = [];
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    mkdirSync(OUTPUT, { recursive: true });
    db = await createTestDatabase();
    cleanups.push(db.drop);
    panel = await addSimulatedPanel(db.pool, 'g2', { name: 'de-1' });
    cleanups.push(() => panel.sim.close());
    // A customer whose subscription ended an hour ago: the reconciler suspends the key (expired).
    lapsed = await insertSeededKey(db.pool, panel, { startInMs: -2 * HOUR, durationMs: HOUR });
    await db.pool.query(`update users set username = 'lapsed_lena' where id = $1`, [lapsed.userId]);
    // Fifteen paying customers: cancelling them all at once trips the safety valve.
    for (let index = 0; index < 15; index += 1) {
      const key = await insertSeededKey(db.pool, panel, { startInMs: -HOUR, durationMs: 24 * HOUR });
      crowd.push(key.email);
    }
    daemon = await startTestDaemon(db.url);
    cleanups.push(daemon.stop);
    await waitFor('the lapsed key suspended', () => panel.sim.inspectClient(lapsed.email)?.enable === false);
    await waitFor(
      'every key recorded',
      async () => (await db.pool.query('select 1 from key_state where converged')).rows.length === 16,
    );
    await db.pool.query(`update subscription_periods set cancelled_at = now() where user_id <> $1`, [
      lapsed.userId,
    ]);
    await waitFor(
      'a held plan',
      async () =>
        (await db.pool.query('select 1 from held_plans where resolved_at is null')).rows.length === 1,
    );
    server = await startConsole({
      pool: db.pool,
      config: loadConfig({
        KEYWARDEN_CONSOLE_PORT: '0',
        KEYWARDEN_ADMIN_IDS: String(ADMIN),
        KEYWARDEN_PANEL_TIMEOUT: '3s',
      }),
      lockClass: 1,
      logger: testLogger(),
    });
    cleanups.push(() => server.close());
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    cleanups.push(() => browser.close());
  }, 60_000);

  afterAll(async () => {
    // Only what beforeAll got to start, in reverse order.
    for (const cleanup of cleanups.reverse()) {
      await cleanup();
    }
  });

  async function linkFor(telegramId = ADMIN): Promise<string> {
    const { token } = await createLoginToken(db.pool, telegramId, 600_000);
    return `${server.url}login?token=${token}`;
  }

  async function loggedIn(
    options: { locale?: string; width?: number } = {},
  ): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({
      locale: options.locale ?? 'en-US',
      viewport: { width: options.width ?? 1280, height: 900 },
    });
    const page = await context.newPage();
    await page.goto(await linkFor());
    await page.getByRole('button', { name: /log in|войти/i }).click();
    await page.waitForURL(server.url);
    return { context, page };
  }

  async function shot(page: Page, name: string, docs = false): Promise<void> {
    await page.screenshot({ path: new URL(`${name}.png`, OUTPUT).pathname, fullPage: true });
    if (docs && process.env['KEYWARDEN_DOCS_SCREENSHOTS'] === '1') {
      mkdirSync(DOCS, { recursive: true });
      await page.screenshot({ path: new URL(`${name}.png`, DOCS).pathname, fullPage: true });
    }
  }

  it('logs in with a one-time link; a second use and an expired link are refused', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const link = await linkFor();
    await page.goto(link);
    await shot(page, 'login');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.url()).toBe(server.url);
    await expect(page.getByRole('heading', { name: 'Overview' }).isVisible()).resolves.toBe(true);

    const other = await browser.newContext();
    const again = await other.newPage();
    await again.goto(link);
    await again.getByRole('button', { name: 'Log in' }).click();
    await expect(again.getByText('already been used').isVisible()).resolves.toBe(true);

    const late = await linkFor();
    await db.pool.query(
      `update console_login_tokens set created_at = now() - interval '20 minutes', expires_at = now() - interval '10 minutes' where used_at is null`,
    );
    await again.goto(late);
    await again.getByRole('button', { name: 'Log in' }).click();
    await expect(again.getByText('expired').isVisible()).resolves.toBe(true);
    await other.close();
    await context.close();
  });

  it('refuses a link made for someone who is not an admin', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(await linkFor(5_006));
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByText('not an admin').isVisible()).resolves.toBe(true);
    expect(await context.cookies()).toEqual([]);
    await context.close();
  });

  it('finds a user, shows why the key is suspended, gives 30 days and the key is enabled on the panel', async () => {
    const { context, page } = await loggedIn();
    await shot(page, 'overview', true);
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('searchbox').fill('lapsed');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: lapsed.userId, exact: true }).click();
    const card = page.locator(`#key-${lapsed.keyId}`);
    await expect(card.getByText('(expired)').isVisible()).resolves.toBe(true);
    await expect(card.getByText('present, disabled').isVisible()).resolves.toBe(true);
    await shot(page, 'user-suspended');
    await page.getByLabel('Give days').fill('30');
    await page.getByRole('button', { name: 'Give' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toContain('Done');
    await waitFor(
      'the key enabled on the panel',
      () => panel.sim.inspectClient(lapsed.email)?.enable === true,
    );
    await waitFor('the key converged', async () => {
      const { rows } = await db.pool.query<{ kind: string; converged: boolean }>(
        `select desired ->> 'kind' as kind, converged from key_state where key_id = $1`,
        [lapsed.keyId],
      );
      return rows[0]?.kind === 'enabled' && rows[0].converged;
    });
    await page.reload();
    await expect(card.getByText('(entitled)').isVisible()).resolves.toBe(true);
    await shot(page, 'user', true);
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
    await phone.addCookies(await context.cookies());
    const small = await phone.newPage();
    await small.goto(page.url());
    await shot(small, 'user-phone', true);
    const overflow = await small.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await phone.close();
    await context.close();
  });

  it('shows exactly which keys a held plan disables and applies them when confirmed', async () => {
    const { context, page } = await loggedIn();
    await page.getByRole('link', { name: 'Held plans' }).click();
    for (const email of crowd) {
      await expect(page.getByRole('cell', { name: email, exact: true }).isVisible()).resolves.toBe(true);
    }
    expect(crowd.every((email) => panel.sim.inspectClient(email)?.enable === true)).toBe(true);
    await shot(page, 'held');
    await page.getByRole('button', { name: /^Confirm/ }).click();
    await expect(page.getByRole('status').textContent()).resolves.toContain('Done');
    await waitFor(
      'the held disables applied',
      () => crowd.every((email) => panel.sim.inspectClient(email)?.enable === false),
      20_000,
    );
    const { rows } = await db.pool.query<{ resolution: string | null; confirmed_by: string }>(
      'select resolution, confirmed_by from held_plans',
    );
    expect(rows[0]?.confirmed_by).toBe(`console:${String(ADMIN)}`);
    await context.close();
  });

  it('adds a simulated panel through the form, lists its generation, version and inbounds, and suspends it', async () => {
    const added = await startSimulatedPanel({
      profile: 'v3.6',
      webBasePath: '/Hq3mZ8wPx/',
      password: 'form-password-secret',
      jobIntervalMs: 0,
    });
    cleanups.push(() => added.close());
    added.addInbound({
      protocol: 'vless',
      port: 443,
      remark: 'nl-reality',
      streamSettings: { network: 'tcp', security: 'reality' },
    });
    const { context, page } = await loggedIn();
    await page.getByRole('link', { name: 'Panels' }).click();
    await page.getByLabel('Name', { exact: true }).fill('nl-2');
    await page.getByLabel('URL with the web base path').fill(added.url);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('wrong-form-password');
    await page.getByRole('button', { name: 'Check and save' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toContain(
      'login rejected — check the username and password',
    );
    // The form comes back without the password.
    await expect(page.getByLabel('Password').inputValue()).resolves.toBe('');
    await expect(page.getByLabel('Username').inputValue()).resolves.toBe('admin');
    await page.getByLabel('Password').fill('form-password-secret');
    await page.getByRole('button', { name: 'Check and save' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toContain(
      'Panel nl-2 added: g2, 3.6.0, 1 inbound.',
    );
    const { rows } = await db.pool.query<{ id: string }>(`select id::text from panels where name = 'nl-2'`);
    const card = page.locator(`#p${rows[0]!.id}`);
    await expect(card.locator('dd.generation').textContent()).resolves.toBe('g2');
    await expect(card.locator('dd.version').textContent()).resolves.toBe('3.6.0');
    await expect(card.getByText('nl-reality').isVisible()).resolves.toBe(true);
    expect(await page.content()).not.toContain('form-password-secret');
    await card.getByRole('button', { name: 'Suspend' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toContain('Panel nl-2 suspended');
    await expect(card.getByText('observe only').isVisible()).resolves.toBe(true);
    await expect(card.getByRole('button', { name: 'Resume' }).isVisible()).resolves.toBe(true);
    const { rows: audit } = await db.pool.query<{ action: string; outcome: string; admin: string }>(
      `select action, outcome, admin_telegram_id::text as admin from admin_audit where action like 'panel.%' order by id`,
    );
    expect(audit).toEqual([
      { action: 'panel.add', outcome: 'check-failed', admin: String(ADMIN) },
      { action: 'panel.add', outcome: 'ok', admin: String(ADMIN) },
      { action: 'panel.suspend', outcome: 'ok', admin: String(ADMIN) },
    ]);
    await page.goto(`${server.url}panels`);
    await shot(page, 'panels', true);
    await context.close();
  });

  it('refuses a POST without the CSRF token', async () => {
    const { context, page } = await loggedIn();
    const response = await page.request.post(`${server.url}users/${lapsed.userId}/ban`, {
      form: { nothing: '1' },
    });
    expect(response.status()).toBe(403);
    const { rows } = await db.pool.query<{ banned_at: Date | null }>(
      'select banned_at from users where id = $1',
      [lapsed.userId],
    );
    expect(rows[0]?.banned_at).toBeNull();
    await context.close();
  });

  it('renders the Russian UI for a Russian browser, and every page for screenshots', async () => {
    const { context, page } = await loggedIn({ locale: 'ru-RU' });
    await expect(page.getByRole('heading', { name: 'Обзор' }).isVisible()).resolves.toBe(true);
    await shot(page, 'overview-ru');
    await page.getByRole('link', { name: 'English' }).click();
    await expect(page.getByRole('heading', { name: 'Overview' }).isVisible()).resolves.toBe(true);
    for (const path of ['users', 'payments', 'audit', 'plans', 'compensate?days=3&scope=active', 'held']) {
      await page.goto(`${server.url}${path}`);
      await shot(page, path.split('?')[0] ?? path);
    }
    for (const step of ['edit', 'remove']) {
      await page.goto(`${server.url}panels/${panel.panelId}/${step}`);
      await shot(page, `panel-${step}`);
    }
    await expect(page.getByText('16 live keys are on this panel').isVisible()).resolves.toBe(true);
    await context.close();
  });
});
