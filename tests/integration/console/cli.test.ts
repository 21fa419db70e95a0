import { describe, expect, it } from 'vitest';
import { issueKey, recordPayment, createPlan, findUser } from '../../../src/db/index.ts';
import { insertInbound, insertPanel } from '../../support/builders.ts';
import { runCliAgainst } from '../../support/cli.ts';
import { useTestDatabase } from '../../support/database.ts';

const database = useTestDatabase();

const cli = (args: string[], env: Record<string, string> = {}): ReturnType<typeof runCliAgainst> =>
  runCliAgainst(database().url, args, {
    KEYWARDEN_LOG_LEVEL: 'error',
    KEYWARDEN_ADMIN_IDS: '900',
    KEYWARDEN_CONSOLE_PUBLIC_URL: 'https://admin.example.test/',
    ...env,
  });

async function auditActions(): Promise<string[]> {
  const { rows } = await database().pool.query<{ action: string; outcome: string }>(
    'select action, outcome from admin_audit order by id',
  );
  return rows.map((row) => `${row.action}:${row.outcome}`);
}

describe('operator CLI: everything without SQL', () => {
  it('adds, lists, updates and archives plans with prices, audited', async () => {
    const added = await cli([
      'plans',
      'add',
      '--code',
      'month',
      '--title',
      '1 month',
      '--days',
      '30',
      '--price',
      '299',
      '--currency',
      'RUB',
      '--price-in',
      'XTR=150',
    ]);
    expect(added.code).toBe(0);
    expect(added.out).toContain('150 XTR');
    expect(
      (
        await cli([
          'plans',
          'add',
          '--code',
          'month',
          '--title',
          'x',
          '--days',
          '1',
          '--price',
          '1',
          '--currency',
          'RUB',
        ])
      ).code,
    ).toBe(1);
    expect((await cli(['plans', 'update', 'month', '--price', '349', '--price-in', 'XTR='])).code).toBe(0);
    expect((await cli(['plans', 'archive', 'month'])).code).toBe(0);
    const listed = JSON.parse((await cli(['plans', 'list', '--json'])).out) as Array<Record<string, unknown>>;
    expect(listed).toMatchObject([
      { code: 'month', price: '349.00000000', isActive: false, prices: { RUB: '349.00000000' } },
    ]);
    const bad = await cli([
      'plans',
      'add',
      '--code',
      'Bad Code',
      '--title',
      'x',
      '--days',
      '1',
      '--price',
      '1',
      '--currency',
      'RUB',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--code must be');
    expect(await auditActions()).toEqual([
      'plan.create:ok',
      'plan.create:exists',
      'plan.update:ok',
      'plan.archive:ok',
    ]);
  });

  it('shows a user with payments (mismatched too), keys with reason and link, lists keys by state and payments', async () => {
    const { pool } = database();
    const panel = await insertPanel(pool, { name: 'cli-panel', baseUrl: 'https://vpn.example.test:2053/p/' });
    await insertInbound(pool, panel, 5);
    expect((await cli(['grant', '--telegram-id', '5151', '--for', '30d'])).code).toBe(0);
    const user = await findUser(pool, { telegramId: 5151 });
    const plan = await createPlan(pool, {
      code: 'week',
      title: 'Week',
      durationDays: 7,
      price: '99',
      currency: 'RUB',
    });
    if (user === null || plan.kind !== 'created') {
      throw new Error('setup failed');
    }
    await recordPayment(pool, {
      provider: 'generic',
      externalId: 'short-1',
      userId: user.id,
      planId: plan.plan.id,
      amount: '9',
      currency: 'RUB',
      payload: {},
    });
    const key = await issueKey(pool, { userId: user.id, panelId: panel, enforceLimit: false });
    if (key.kind !== 'issued') {
      throw new Error('no key');
    }
    await pool.query(
      `insert into key_state (key_id, desired, observed, converged, last_action) values ($1, $2, $3, true, 'disable:applied')`,
      [
        key.key.id,
        JSON.stringify({ kind: 'disabled', reason: 'expired' }),
        JSON.stringify({ kind: 'present', enable: false }),
      ],
    );

    const shown = await cli(['users', 'show', '--telegram-id', '5151']);
    expect(shown.code).toBe(0);
    expect(shown.out).toContain('mismatch');
    expect(shown.out).toContain('disabled (expired) / present, disabled');
    expect(shown.out).toContain('vless://');
    const json = JSON.parse((await cli(['users', 'show', '--telegram-id', '5151', '--json'])).out) as {
      user: { status: string };
      keys: Array<{ connectionLink: string | null; settings?: unknown }>;
    };
    expect(json.user.status).toBe('active');
    expect(json.keys[0]?.connectionLink).toMatch(/^vless:\/\/.+@vpn\.example\.test:40005/);

    const suspended = JSON.parse(
      (await cli(['keys', 'list', '--state', 'suspended', '--panel', 'cli-panel', '--json'])).out,
    ) as Array<{
      id: string;
    }>;
    expect(suspended.map((entry) => entry.id)).toEqual([key.key.id]);
    expect(JSON.parse((await cli(['keys', 'list', '--state', 'active', '--json'])).out)).toEqual([]);
    const one = await cli(['keys', 'show', key.key.id]);
    expect(one.out).toContain('desired / observed: disabled (expired) / present, disabled');
    expect((await cli(['keys', 'list', '--state', 'sleeping'])).code).toBe(2);

    const mismatched = JSON.parse(
      (await cli(['payments', 'list', '--mismatched', '--since', '24h', '--json'])).out,
    ) as Array<{
      externalId: string;
    }>;
    expect(mismatched.map((payment) => payment.externalId)).toEqual(['short-1']);
    // The table says what the plan costs, so the operator sees the difference without SQL.
    expect((await cli(['payments', 'list', '--mismatched'])).out).toContain('mismatch (plan: 99 RUB)');
    // `status` counts them and says where to look (the webhook's comment promised it).
    const status = await cli(['status']);
    expect(status.out).toContain(
      '1 mismatched payment granted nothing and needs a human: keywarden payments list --mismatched',
    );
    const statusJson = JSON.parse((await cli(['status', '--json'])).out) as { mismatchedPayments: number };
    expect(statusJson.mismatchedPayments).toBe(1);
    expect((await cli(['users', 'show', '--telegram-id', '1'])).code).toBe(1);
  });

  it('compensates with a dry run first, and prints a console link only for admins', async () => {
    const dry = await cli(['compensate', '--days', '3', '--active-only', '--dry-run']);
    expect(dry.out).toMatch(/would give 3 days to \d+ users/);
    const before = await database().pool.query<{ n: number }>(
      'select count(*)::int as n from subscription_periods',
    );
    const applied = await cli(['compensate', '--days', '3', '--active-only']);
    expect(applied.code).toBe(0);
    const after = await database().pool.query<{ n: number }>(
      'select count(*)::int as n from subscription_periods',
    );
    expect(after.rows[0]!.n).toBeGreaterThan(before.rows[0]!.n);

    const link = await cli(['console', 'link', '--telegram-id', '900']);
    expect(link.code).toBe(0);
    expect(link.out).toMatch(/^https:\/\/admin\.example\.test\/login\?token=[A-Za-z0-9_-]{43}\n$/);
    const refused = await cli(['console', 'link', '--telegram-id', '901']);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('not in KEYWARDEN_ADMIN_IDS');
  });

  it('confirms and discards held plans by exact fingerprint', async () => {
    const { pool } = database();
    const panel = await insertPanel(pool, { name: 'held-panel' });
    for (const fingerprint of ['f1f1f1f1f1', 'f2f2f2f2f2']) {
      await pool.query(
        `insert into held_plans (fingerprint, panel_id, cause, actions, action_count) values ($1, $2, 'valve-panel', '[]', 12)`,
        [fingerprint, panel],
      );
    }
    const listed = await cli(['held', 'list']);
    expect(listed.out).toContain('f1f1f1f1f1  panel held-panel  valve-panel  12 disables');
    expect((await cli(['held', 'confirm', 'f1f1f1f1f1'])).code).toBe(0);
    expect((await cli(['held', 'confirm', 'f1f1f1f1f1'])).code).toBe(1);
    expect((await cli(['held', 'discard', 'f2f2f2f2f2'])).code).toBe(0);
    const plans = JSON.parse((await cli(['held', 'list', '--all', '--json'])).out) as Array<{
      fingerprint: string;
      resolution: string | null;
      confirmedAt: string | null;
    }>;
    expect(plans.find((plan) => plan.fingerprint === 'f2f2f2f2f2')?.resolution).toBe('discarded');
    expect(plans.find((plan) => plan.fingerprint === 'f1f1f1f1f1')?.confirmedAt).not.toBeNull();

    const audit = JSON.parse(
      (await cli(['audit', '--source', 'admin', '--action', 'held.confirm', '--json'])).out,
    ) as Array<{
      outcome: string;
      actor: string;
    }>;
    expect(audit.map((entry) => `${entry.actor}:${entry.outcome}`)).toEqual(['cli:not-open', 'cli:ok']);
    expect((await cli(['audit', '--since', 'yesterday'])).code).toBe(2);
  });

  it('records --as TELEGRAM_ID as the admin of a CLI write, keeps "cli" without it, and checks it first', async () => {
    const { pool } = database();
    await cli(['grant', '--telegram-id', '7001', '--for', '1d']);
    expect((await cli(['grant', '--telegram-id', '7001', '--for', '2d', '--as', '900'])).code).toBe(0);
    await cli(['users', 'ban', '--telegram-id', '7001', '--as', '900']);
    const panel = await insertPanel(pool, { name: 'as-panel' });
    expect((await cli(['panels', 'update', 'as-panel', '--suspend', '--as', '900'])).code).toBe(0);
    expect((await cli(['panels', 'remove', 'as-panel'])).code).toBe(0);

    // Not an admin, or not a number: refused before anything is written.
    const periods = async (): Promise<number> =>
      (await pool.query<{ n: number }>('select count(*)::int as n from subscription_periods')).rows[0]!.n;
    const before = await periods();
    const stranger = await cli(['grant', '--telegram-id', '7001', '--for', '1d', '--as', '901']);
    expect(stranger).toMatchObject({
      code: 2,
      err: 'keywarden grant: --as 901 is not one of KEYWARDEN_ADMIN_IDS\n',
    });
    expect((await cli(['grant', '--telegram-id', '7001', '--for', '1d', '--as', 'me'])).code).toBe(2);
    expect(await periods()).toBe(before);

    const table = await cli(['audit', '--source', 'admin', '--since', '1h']);
    const lines = table.out.split('\n');
    // This test's rows only (earlier tests in this file wrote some too).
    const by = (action: string): string[] =>
      lines
        .filter((line) => line.includes(` ${action} `) && /7001|as-panel/.test(line))
        .map((line) => / (cli(?: \d+)?) /.exec(line)?.[1] ?? '?');
    // Newest first.
    expect(by('user.grant')).toEqual(['cli 900', 'cli']);
    expect(by('user.ban')).toEqual(['cli 900']);
    expect(by('panel.suspend')).toEqual(['cli 900']);
    expect(by('panel.remove')).toEqual(['cli']);
    const json = JSON.parse((await cli(['audit', '--action', 'panel.suspend', '--json'])).out) as Array<{
      actor: string;
      adminTelegramId: number | null;
      panelName: string | null;
    }>;
    expect(json).toEqual([
      expect.objectContaining({ actor: 'cli', adminTelegramId: 900, panelName: 'as-panel' }),
    ]);
    expect(panel).toBeDefined();

    const help = await cli(['grant', '--help']);
    expect(help.out).toMatch(/--as VALUE +your Telegram id, recorded as the admin in the audit log/);
    expect(help.out).toContain('keywarden grant --telegram-id 123456789 --for 3d --as 5001');
  });
});
