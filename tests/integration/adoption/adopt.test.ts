/**
 * `keywarden adopt` end to end: simulated panels seeded as running shops have them, the real CLI, a
 * real database, then the reconciler's first pass (`reconcile --once`) after apply.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { upsertPlan } from '../../../src/db/index.ts';
import { runCliAgainst } from '../../support/cli.ts';
import {
  addSimulatedPanel,
  databaseWithPanel,
  insertSeededKey,
  panelWrites,
  startTestDaemon,
  useCleanups,
  waitFor,
  type TestPanel,
} from '../../support/reconciler-harness.ts';

const DAY = 86_400_000;

const cli = (
  url: string,
  args: string[],
  env: Record<string, string> = {},
): ReturnType<typeof runCliAgainst> => runCliAgainst(url, args, { KEYWARDEN_LOG_LEVEL: 'error', ...env });

interface PlanClient {
  email: string;
  verdict: string;
  telegramId?: number;
  matchedBy?: string;
  access?: { until: string; from: string } | null;
  plan?: string | null;
  claims?: Array<{ telegramId: number }>;
  disagreements?: Array<{ telegramId: number; source: string }>;
  reason?: string;
  firstPass?: { kind: string; action?: string; cause?: string; drift?: string[] } | null;
}
interface PlanJson {
  fingerprint: string;
  clients: PlanClient[];
  totals: {
    clients: number;
    byKind: Record<string, number>;
    users: number;
    paid: number;
    ended: number;
    noAccess: number;
    disagreements: number;
    csvUnused: number;
    firstPass: Record<string, number>;
  };
  csvUnused: Array<{ line: number; email: string }>;
}

interface ReconcileJson {
  panels: Array<{
    actions: Array<{ email: string; action: string; reason: string; outcome: string }>;
    held: Array<{ email: string; action: string; cause: string }>;
  }>;
}

const byEmail = (plan: PlanJson): Map<string, PlanClient> =>
  new Map(plan.clients.map((client) => [client.email, client]));

async function counts(pool: pg.Pool): Promise<Record<string, number>> {
  const { rows } = await pool.query<Record<string, number>>(
    `select (select count(*)::int from users) as users, (select count(*)::int from vpn_keys) as keys,
            (select count(*)::int from subscription_periods) as periods,
            (select count(*)::int from adoptions) as adoptions`,
  );
  return rows[0]!;
}

/** A shop as it runs before keywarden: clients made by an old bot, some by hand. */
function seedShop(panel: TestPanel, trojanInbound: number, now: number): void {
  const sim = panel.sim;
  const vless = panel.inboundId;
  // One customer, two clients (one per inbound) sharing a subId; only one carries the tgId.
  sim.seedClient(vless, {
    email: '111_vless',
    tgId: 111,
    subId: 'sub-111',
    expiryTime: now + 20 * DAY,
    up: 3e9,
    down: 2e9,
  });
  sim.seedClient(trojanInbound, { email: '111_trojan', subId: 'sub-111', expiryTime: now + 20 * DAY });
  // The old bot named clients user<telegram id>; the panel's job already turned this expired one off.
  sim.seedClient(vless, { email: 'user222', expiryTime: now - 3 * DAY, enable: false });
  // Expired, but still on (the old cron died): keywarden disables these only through the valve.
  sim.seedClient(vless, { email: '333-phone', tgId: 333, expiryTime: now - DAY, up: 1e9 });
  sim.seedClient(vless, { email: '444-laptop', tgId: 444, expiryTime: now - 2 * DAY });
  // 3x-ui's "start after first use": 30 days from the first connection, never used yet.
  sim.seedClient(vless, { email: '555-new', tgId: 555, expiryTime: -30 * DAY });
  // A family plan: two members and a TV that shares their subId: two users claim the TV.
  sim.seedClient(vless, { email: 'family-a', tgId: 801, subId: 'fam', expiryTime: now + 10 * DAY });
  sim.seedClient(vless, { email: 'family-b', tgId: 802, subId: 'fam', expiryTime: now + 10 * DAY });
  sim.seedClient(vless, { email: 'family-tv', subId: 'fam', expiryTime: now + 10 * DAY });
  // The operator's own clients.
  sim.seedClient(vless, { email: 'admin-test', expiryTime: 0 });
  sim.seedClient(vless, { email: 'Ivan Petrov', tgId: 1234, expiryTime: now + 5 * DAY });
  // On a G1 panel the same email on two inbounds is a duplicate 3x-ui should not have let in.
  sim.seedClient(vless, { email: 'dup-1300', tgId: 1300, expiryTime: now + 5 * DAY });
  sim.attachClient('dup-1300', trojanInbound);
}

describe('adopt plan and apply on a G1 shop without a CSV', () => {
  const cleanups = useCleanups();

  it('classifies, applies once, changes no client, and the first pass holds only the expired ones', async () => {
    const { db, panel } = await databaseWithPanel(cleanups, 'g1');
    const trojan = panel.sim.addInbound({ protocol: 'trojan', port: 8443 });
    const managed = await insertSeededKey(db.pool, panel, { startInMs: -DAY, durationMs: 30 * DAY });
    seedShop(panel, trojan, Date.now());
    const env = { KEYWARDEN_EXPIRY_MARGIN: '0s', KEYWARDEN_VALVE_MIN: '1', KEYWARDEN_VALVE_PERCENT: '0' };
    const match = ['--match', 'tgid', '--match', 'email:^user(?<tg>\\d+)$', '--match', 'subid'];

    const planned = await cli(db.url, ['adopt', 'plan', '--panel', panel.name, ...match, '--json'], env);
    expect(planned.err).toBe('');
    expect(planned.code).toBe(0);
    const plan = JSON.parse(planned.out) as PlanJson;
    const clients = byEmail(plan);
    expect(clients.get('111_vless')).toMatchObject({ verdict: 'adopt', telegramId: 111, matchedBy: 'tgid' });
    expect(clients.get('111_trojan')).toMatchObject({
      verdict: 'adopt',
      telegramId: 111,
      matchedBy: 'subid',
    });
    expect(clients.get('user222')).toMatchObject({ verdict: 'adopt', telegramId: 222, matchedBy: 'email' });
    expect(clients.get('family-tv')).toMatchObject({
      verdict: 'ambiguous',
      claims: [{ telegramId: 801 }, { telegramId: 802 }],
    });
    expect(clients.get('admin-test')).toMatchObject({ verdict: 'unmatched' });
    expect(clients.get(managed.email)).toMatchObject({ verdict: 'managed' });
    expect(clients.get('Ivan Petrov')).toMatchObject({ verdict: 'skipped' });
    expect(clients.get('dup-1300')).toMatchObject({ verdict: 'skipped' });
    expect(clients.get('dup-1300')?.reason).toContain('more than once');
    expect(clients.get('555-new')?.access?.from).toBe('delayed-start');
    expect(plan.totals).toMatchObject({
      clients: 13,
      byKind: { adopt: 8, ambiguous: 1, unmatched: 1, managed: 1, skipped: 2 },
      users: 7,
      paid: 5,
      ended: 3,
      noAccess: 0,
    });
    // What the first pass will do, shown before anything happens.
    expect(clients.get('111_vless')?.firstPass).toMatchObject({ kind: 'unchanged' });
    expect(clients.get('user222')?.firstPass).toMatchObject({ kind: 'unchanged' });
    expect(clients.get('333-phone')?.firstPass).toMatchObject({ kind: 'held', cause: 'valve-panel' });
    expect(clients.get('444-laptop')?.firstPass).toMatchObject({ kind: 'held', cause: 'valve-panel' });
    expect(clients.get('555-new')?.firstPass).toMatchObject({
      kind: 'action',
      action: 'update',
      drift: ['expiry-mismatch'],
    });
    expect(plan.totals.firstPass).toMatchObject({ unchanged: 5, updated: 1, held: 2, disabled: 0 });

    const text = await cli(db.url, ['adopt', 'plan', '--panel', panel.name, ...match], env);
    expect(text.out).toContain('family-tv');
    expect(text.out).toContain('claimed by 801 and 802');
    expect(text.out).toContain(`fingerprint: ${plan.fingerprint}`);
    expect(text.out).toContain(`--fingerprint ${plan.fingerprint}`);

    const before = await counts(db.pool);
    panel.sim.clearRequests();
    const applied = await cli(
      db.url,
      ['adopt', 'apply', '--panel', panel.name, ...match, '--fingerprint', plan.fingerprint],
      env,
    );
    expect(applied.err).toBe('');
    expect(applied.code).toBe(0);
    expect(applied.out).toContain('adopted 8 clients as keys, 7 new users, 7 import periods');
    expect(panelWrites(panel.sim)).toEqual([]);
    const after = await counts(db.pool);
    expect(after).toEqual({
      users: before.users! + 7,
      keys: before.keys! + 8,
      periods: before.periods! + 7,
      adoptions: 1,
    });
    const { rows: keys } = await db.pool.query<{
      email: string;
      telegram_id: string;
      client_uuid: string;
      secret: string;
      sub_id: string;
      flow: string;
      inbound_id: number;
    }>(
      `select k.email, u.telegram_id::text, k.client_uuid::text, k.secret, k.sub_id, k.flow, k.inbound_id
       from vpn_keys k join users u on u.id = k.user_id where k.adoption_id is not null order by k.email`,
    );
    expect(keys.map((key) => key.email)).not.toContain('family-tv');
    const vlessKey = keys.find((key) => key.email === '111_vless')!;
    const vlessClient = panel.sim.inspectClient('111_vless')!;
    expect(vlessKey).toMatchObject({
      telegram_id: '111',
      client_uuid: vlessClient.uuid,
      sub_id: 'sub-111',
      flow: 'xtls-rprx-vision',
    });
    const trojanKey = keys.find((key) => key.email === '111_trojan')!;
    expect(trojanKey).toMatchObject({
      telegram_id: '111',
      secret: panel.sim.inspectClient('111_trojan')!.password,
      inbound_id: trojan,
    });
    const { rows: periods } = await db.pool.query<{ telegram_id: string; source: string; ended: boolean }>(
      `select u.telegram_id::text, p.source, p.ends_at <= now() as ended
       from subscription_periods p join users u on u.id = p.user_id where p.adoption_id is not null order by 1`,
    );
    expect(periods.every((period) => period.source === 'import')).toBe(true);
    expect(periods.filter((period) => period.ended).map((period) => period.telegram_id)).toEqual([
      '222',
      '333',
      '444',
    ]);

    // Re-running the same apply changes nothing.
    const again = await cli(
      db.url,
      ['adopt', 'apply', '--panel', panel.name, ...match, '--fingerprint', plan.fingerprint],
      env,
    );
    expect(again.code).toBe(0);
    expect(again.out).toContain('already applied');
    expect(await counts(db.pool)).toEqual(after);

    // The first reconcile pass does exactly what the plan showed.
    const pass = await cli(db.url, ['reconcile', '--once', '--json'], env);
    const report = JSON.parse(pass.out) as ReconcileJson;
    const panelReport = report.panels[0]!;
    // (The key that was managed before gets its expiry aligned to KEYWARDEN_EXPIRY_MARGIN=0s too.)
    expect(
      panelReport.actions
        .filter((action) => action.email !== managed.email)
        .map((action) => `${action.email}:${action.action}`),
    ).toEqual(['555-new:update']);
    expect(panelReport.held.map((entry) => entry.email).sort()).toEqual(['333-phone', '444-laptop']);
    for (const email of ['111_vless', '111_trojan', 'family-a', 'family-b']) {
      expect(panel.sim.inspectClient(email)).toMatchObject({ enable: true });
    }
    expect(panel.sim.inspectClient('333-phone')).toMatchObject({ enable: true });
    expect(panel.sim.inspectClient('family-tv')).toMatchObject({ enable: true });
    expect(panel.sim.inspectClient('555-new')!.expiryTime).toBeGreaterThan(Date.now() + 29 * DAY);

    // Once adopted, the clients are managed: a new plan adopts nothing more.
    const replanned = JSON.parse(
      (await cli(db.url, ['adopt', 'plan', '--panel', panel.name, ...match, '--json'], env)).out,
    ) as PlanJson;
    expect(replanned.totals.byKind).toMatchObject({ adopt: 0, managed: 9, ambiguous: 1 });
  });

  it('adopts across every panel with --all, one transaction each, and finishes as already applied', async () => {
    const { db, panel } = await databaseWithPanel(cleanups, 'g1');
    const other = await addSimulatedPanel(db.pool, 'g2');
    cleanups.push(() => other.sim.close());
    const empty = await addSimulatedPanel(db.pool, 'g2');
    cleanups.push(() => empty.sim.close());
    const later = Date.now() + 10 * DAY;
    panel.sim.seedClient(panel.inboundId, { email: '71-a', tgId: 71, expiryTime: later });
    // The same customer on a second panel: one user, one import period per panel.
    other.sim.seedClient(other.inboundId, { email: '71-b', tgId: 71, expiryTime: later });
    const plan = JSON.parse((await cli(db.url, ['adopt', 'plan', '--all', '--json'])).out) as PlanJson;
    expect(plan.totals).toMatchObject({ clients: 2, users: 1, byKind: { adopt: 2 } });
    const applied = await cli(db.url, [
      'adopt',
      'apply',
      '--all',
      '--fingerprint',
      plan.fingerprint,
      '--json',
    ]);
    expect(applied.code).toBe(0);
    const outcomes = (JSON.parse(applied.out) as { panels: Array<{ panel: string; kind: string }> }).panels;
    expect(Object.fromEntries(outcomes.map((entry) => [entry.panel, entry.kind]))).toEqual({
      [panel.name]: 'applied',
      [other.name]: 'applied',
      [empty.name]: 'nothing-to-adopt',
    });
    expect(await counts(db.pool)).toEqual({ users: 1, keys: 2, periods: 2, adoptions: 2 });
    const again = await cli(db.url, ['adopt', 'apply', '--all', '--fingerprint', plan.fingerprint]);
    expect(again.code).toBe(0);
    expect(again.out.match(/already applied/g)).toHaveLength(2);
    expect(await counts(db.pool)).toEqual({ users: 1, keys: 2, periods: 2, adoptions: 2 });
  });

  it('under a running daemon, the first pass after apply leaves paid clients alone and holds the expired ones', async () => {
    const { db, panel } = await databaseWithPanel(cleanups, 'g2');
    const running = await startTestDaemon(db.url);
    cleanups.push(running.stop);
    const now = Date.now();
    for (let index = 0; index < 20; index += 1) {
      panel.sim.seedClient(panel.inboundId, {
        email: `${String(5000 + index)}_paid`,
        expiryTime: 0,
        up: index * 1e6,
      });
    }
    for (let index = 0; index < 12; index += 1) {
      // Expired by the old bot's records, still on at the panel: 12 disables > the valve's 10.
      panel.sim.seedClient(panel.inboundId, { email: `${String(6000 + index)}_late`, expiryTime: 0 });
    }
    const directory = await mkdtemp(join(tmpdir(), 'kw-adopt-'));
    cleanups.push(() => rm(directory, { recursive: true, force: true }));
    const csvFile = join(directory, 'old.csv');
    const lines = [
      ...Array.from(
        { length: 20 },
        (_, index) =>
          `${String(5000 + index)},${String(5000 + index)}_paid,${new Date(now + 30 * DAY).toISOString()}`,
      ),
      ...Array.from(
        { length: 12 },
        (_, index) =>
          `${String(6000 + index)},${String(6000 + index)}_late,${new Date(now - DAY).toISOString()}`,
      ),
    ];
    await writeFile(csvFile, lines.join('\n'));
    const args = ['--panel', panel.name, '--csv', csvFile];
    const plan = JSON.parse((await cli(db.url, ['adopt', 'plan', ...args, '--json'])).out) as PlanJson;
    expect(plan.totals.firstPass).toMatchObject({ unchanged: 20, held: 12 });
    panel.sim.clearRequests();
    expect((await cli(db.url, ['adopt', 'apply', ...args, '--fingerprint', plan.fingerprint])).code).toBe(0);
    await waitFor(
      'the daemon to take the adopted keys over',
      async () => (await db.pool.query('select 1 from key_state')).rows.length === 32,
    );
    const { rows: held } = await db.pool.query<{ action_count: number }>(
      'select action_count from held_plans where resolved_at is null',
    );
    expect(held).toEqual([{ action_count: 12 }]);
    expect(panelWrites(panel.sim)).toEqual([]);
    for (let index = 0; index < 12; index += 1) {
      expect(panel.sim.inspectClient(`${String(6000 + index)}_late`)).toMatchObject({ enable: true });
    }
  });

  it('refuses a plan that changed since it was shown, and writes nothing', async () => {
    const { db, panel } = await databaseWithPanel(cleanups, 'g1');
    panel.sim.seedClient(panel.inboundId, { email: '42-a', tgId: 42, expiryTime: Date.now() + DAY });
    const plan = JSON.parse(
      (await cli(db.url, ['adopt', 'plan', '--panel', panel.name, '--json'])).out,
    ) as PlanJson;
    panel.sim.seedClient(panel.inboundId, { email: '43-b', tgId: 43, expiryTime: Date.now() + DAY });
    const applied = await cli(db.url, [
      'adopt',
      'apply',
      '--panel',
      panel.name,
      '--fingerprint',
      plan.fingerprint,
    ]);
    expect(applied.code).toBe(1);
    expect(applied.err).toContain('run `adopt plan` again');
    expect(await counts(db.pool)).toMatchObject({ users: 0, keys: 0, periods: 0, adoptions: 0 });
  });
});

describe('adopt with the old bot’s CSV on a G2 shop', () => {
  const cleanups = useCleanups();

  it('takes owners and paid-until from the CSV, reports ambiguity and unused lines', async () => {
    const { db, panel } = await databaseWithPanel(cleanups, 'g2');
    const trojan = panel.sim.addInbound({ protocol: 'trojan', port: 8443 });
    await upsertPlan(db.pool, {
      code: 'basic',
      title: 'Basic',
      durationDays: 30,
      price: '100',
      currency: 'RUB',
    });
    const now = Date.now();
    const sim = panel.sim;
    // One identity on two inbounds (G2): one key.
    sim.seedClient(panel.inboundId, { email: 'alice', subId: 'alice-sub', expiryTime: 0, up: 7e9 });
    sim.attachClient('alice', trojan);
    sim.seedClient(panel.inboundId, { email: 'bob', tgId: 602, expiryTime: 0 });
    sim.seedClient(panel.inboundId, { email: 'carol', expiryTime: 0 });
    sim.seedClient(panel.inboundId, { email: 'dave', expiryTime: 0 });
    sim.seedClient(panel.inboundId, { email: 'erin', tgId: 900, expiryTime: now - 5 * DAY });
    const directory = await mkdtemp(join(tmpdir(), 'kw-adopt-'));
    cleanups.push(() => rm(directory, { recursive: true, force: true }));
    const csvFile = join(directory, 'old-bot.csv');
    const paid = new Date(now + 15 * DAY).toISOString().slice(0, 10);
    await writeFile(
      csvFile,
      [
        'telegram_id,email,paid_until,plan',
        `501,alice,${paid},basic`,
        `603,bob,${paid},`,
        `701,carol,${paid},`,
        `702,carol,${paid},`,
        '900,erin,,',
        `999,ghost,${paid},`,
      ].join('\n'),
    );
    const args = ['--panel', panel.name, '--csv', csvFile];

    const plan = JSON.parse((await cli(db.url, ['adopt', 'plan', ...args, '--json'])).out) as PlanJson;
    const clients = byEmail(plan);
    expect(clients.get('alice')).toMatchObject({
      verdict: 'adopt',
      telegramId: 501,
      matchedBy: 'csv',
      access: { until: new Date(Date.parse(paid) + DAY).toISOString(), from: 'csv' },
      plan: 'basic',
    });
    expect(clients.get('bob')).toMatchObject({
      verdict: 'adopt',
      telegramId: 603,
      disagreements: [{ telegramId: 602, source: 'tgid' }],
    });
    expect(clients.get('carol')).toMatchObject({ verdict: 'ambiguous' });
    expect(clients.get('dave')).toMatchObject({ verdict: 'unmatched' });
    expect(clients.get('erin')).toMatchObject({ verdict: 'adopt', access: { from: 'expiry' } });
    expect(plan.totals).toMatchObject({
      byKind: { adopt: 3, ambiguous: 1, unmatched: 1 },
      disagreements: 1,
      csvUnused: 1,
    });
    expect(plan.csvUnused).toEqual([{ line: 7, email: 'ghost', telegramId: 999 }]);
    expect(clients.get('alice')?.firstPass).toMatchObject({ kind: 'unchanged' });
    expect(clients.get('erin')?.firstPass).toMatchObject({ kind: 'action', action: 'disable' });

    const applied = await cli(db.url, ['adopt', 'apply', ...args, '--fingerprint', plan.fingerprint]);
    expect(applied.code).toBe(0);
    const { rows } = await db.pool.query<{
      email: string;
      inbound_id: number;
      sub_id: string;
      code: string | null;
    }>(
      `select k.email, k.inbound_id, k.sub_id, pl.code
       from vpn_keys k join subscription_periods p on p.user_id = k.user_id left join plans pl on pl.id = p.plan_id
       where k.email = 'alice'`,
    );
    expect(rows).toEqual([
      { email: 'alice', inbound_id: panel.inboundId, sub_id: 'alice-sub', code: 'basic' },
    ]);

    const pass = JSON.parse((await cli(db.url, ['reconcile', '--once', '--json'])).out) as ReconcileJson;
    expect(pass.panels[0]!.actions.map((action) => `${action.email}:${action.action}`)).toEqual([
      'erin:disable',
    ]);
    expect(sim.inspectClient('alice')).toMatchObject({ enable: true, expiryTime: 0 });
    expect(sim.inspectClient('carol')).toMatchObject({ enable: true });
  });

  it('rejects a bad CSV with line-numbered errors and plans nothing', async () => {
    const { db, panel } = await databaseWithPanel(cleanups, 'g2');
    const directory = await mkdtemp(join(tmpdir(), 'kw-adopt-'));
    cleanups.push(() => rm(directory, { recursive: true, force: true }));
    const csvFile = join(directory, 'bad.csv');
    await writeFile(
      csvFile,
      ['telegram_id,email,paid_until', 'abc,x,', '5,y,2026-02-30', '6,z,,gold'].join('\n'),
    );
    const result = await cli(db.url, ['adopt', 'plan', '--panel', panel.name, '--csv', csvFile]);
    expect(result.code).toBe(2);
    expect(result.err).toContain(`${csvFile}:2: telegram_id must be a positive integer`);
    expect(result.err).toContain(`${csvFile}:3: paid_until "2026-02-30" is not a calendar date`);
    expect(result.err).toContain(`${csvFile}:4: expected 3 fields`);
  });
});
