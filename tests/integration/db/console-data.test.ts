import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  applyCompensation,
  archivePlan,
  cancelPayment,
  confirmHeldPlanByFingerprint,
  countCompensationTargets,
  createConsoleSession,
  createLoginToken,
  createPlan,
  discardHeldPlan,
  endConsoleSession,
  grantPeriod,
  issueKey,
  listAuditEntries,
  listHeldPlans,
  listPayments,
  listPlans,
  readKeys,
  readOverview,
  readUserDetail,
  recordAdminAction,
  recordPayment,
  redeemLoginToken,
  replaceKeyAsAdmin,
  searchUsers,
  setUserBanned,
  touchConsoleSession,
  updatePlan,
} from '../../../src/db/index.ts';
import { insertInbound, insertPanel, insertUser } from '../../support/builders.ts';
import { useTestDatabase } from '../../support/database.ts';

const database = useTestDatabase();
const DAY = 86_400_000;
const LOCK_CLASS = 1803055212;

async function keyState(
  pool: pg.Pool,
  keyId: string,
  desired: object,
  observed: object,
  converged: boolean,
  lastError: string | null = null,
): Promise<void> {
  await pool.query(
    `insert into key_state (key_id, desired, observed, converged, last_action, last_error)
     values ($1, $2, $3, $4, 'disable:applied', $5)
     on conflict (key_id) do update set desired = excluded.desired, observed = excluded.observed,
       converged = excluded.converged, last_error = excluded.last_error`,
    [keyId, JSON.stringify(desired), JSON.stringify(observed), converged, lastError],
  );
}

describe('console data layer', () => {
  it('classifies users as active, expiring, suspended, banned or none and finds them by id, name or key email', async () => {
    const { pool } = database();
    const panel = await insertPanel(pool);
    await insertInbound(pool, panel, 1);
    const active = await insertUser(pool, { username: 'alice_active' });
    await grantPeriod(pool, { userId: active, source: 'admin', durationMs: 30 * DAY });
    const expiring = await insertUser(pool, { username: 'bob_expiring' });
    await grantPeriod(pool, { userId: expiring, source: 'admin', durationMs: DAY });
    const lapsed = await insertUser(pool, { username: 'carol_lapsed' });
    await grantPeriod(pool, { userId: lapsed, source: 'admin', durationMs: 30 * DAY });
    await pool.query(
      `update subscription_periods set starts_at = now() - interval '40 days', ends_at = now() - interval '10 days' where user_id = $1`,
      [lapsed],
    );
    const banned = await insertUser(pool, { username: 'dave_banned' });
    await grantPeriod(pool, { userId: banned, source: 'admin', durationMs: 30 * DAY });
    await setUserBanned(pool, banned, true);
    const never = await insertUser(pool, { username: 'erin_never', telegramId: 777_001 });
    const key = await issueKey(pool, { userId: lapsed, enforceLimit: false });
    expect(key.kind).toBe('issued');

    const status = async (query: string): Promise<string | undefined> =>
      (await searchUsers(pool, 0, { query }))[0]?.status;
    expect(await status('alice_active')).toBe('active');
    expect(await status('@bob_exp')).toBe('expiring');
    expect(await status('carol_lapsed')).toBe('suspended');
    expect(await status('dave_banned')).toBe('banned');
    expect(await status('777001')).toBe('none');
    expect(await status(`#${never}`)).toBe('none');
    if (key.kind === 'issued') {
      expect((await searchUsers(pool, 0, { query: key.key.email }))[0]?.id).toBe(lapsed);
    }
    const suspended = await searchUsers(pool, 0, { status: 'suspended' });
    expect(suspended.map((user) => user.id)).toContain(lapsed);
    expect(suspended.map((user) => user.id)).not.toContain(active);
    // LIKE wildcards in a search are literal.
    expect(await searchUsers(pool, 0, { query: '%' })).toEqual([]);
  });

  it('shows a user with periods, payments incl. mismatched and refunded, and keys with desired vs observed state', async () => {
    const { pool } = database();
    const panel = await insertPanel(pool);
    await insertInbound(pool, panel, 1);
    const userId = await insertUser(pool, { username: 'frank' });
    const plan = await createPlan(pool, {
      code: 'month',
      title: 'Month',
      durationDays: 30,
      price: '299',
      currency: 'RUB',
      prices: { XTR: '150' },
    });
    expect(plan.kind).toBe('created');
    if (plan.kind !== 'created') {
      return;
    }
    const base = { userId, planId: plan.plan.id, payload: {} };
    await recordPayment(pool, {
      ...base,
      provider: 'generic',
      externalId: 'ok-1',
      amount: '299.00',
      currency: 'RUB',
    });
    await recordPayment(pool, {
      ...base,
      provider: 'generic',
      externalId: 'bad-1',
      amount: '1',
      currency: 'RUB',
    });
    await recordPayment(pool, {
      ...base,
      provider: 'telegram_stars',
      externalId: 'ref-1',
      amount: '150',
      currency: 'XTR',
    });
    await cancelPayment(pool, { provider: 'telegram_stars', externalId: 'ref-1', refund: {} });
    const issued = await issueKey(pool, { userId, enforceLimit: false });
    if (issued.kind !== 'issued') {
      throw new Error('no key');
    }
    await keyState(
      pool,
      issued.key.id,
      { kind: 'disabled', reason: 'expired' },
      { kind: 'present', enable: true, at: '2026-01-01T00:00:00.000Z' },
      false,
      'panel said no',
    );
    await pool.query(
      `insert into reconcile_events (key_id, panel_id, action, reason, outcome, error) values ($1, $2, 'disable', 'expired', 'failed', 'panel said no')`,
      [issued.key.id, panel],
    );

    const detail = await readUserDetail(pool, 0, { id: userId });
    expect(detail?.periods).toHaveLength(2);
    expect(detail?.periods.filter((period) => period.cancelledAt !== null)).toHaveLength(1);
    expect(detail?.payments.map((payment) => payment.status).sort()).toEqual([
      'mismatch',
      'refunded',
      'succeeded',
    ]);
    const key = detail?.keys[0];
    expect(key?.state).toBe('problem');
    expect(key?.desired).toEqual({ kind: 'disabled', reason: 'expired' });
    expect(key?.observed).toMatchObject({ kind: 'present', enabled: true });
    expect(key?.lastError).toBe('panel said no');
    expect(key?.events[0]).toMatchObject({ action: 'disable', outcome: 'failed' });
    expect(key?.link?.protocol).toBe('vless');

    const mismatched = await listPayments(pool, { mismatched: true });
    expect(mismatched.map((payment) => payment.externalId)).toEqual(['bad-1']);
    expect(await listPayments(pool, { since: new Date(Date.now() + 60_000) })).toEqual([]);
  });

  it('filters keys by state and panel and replaces a key on the same inbound', async () => {
    const { pool } = database();
    const panel = await insertPanel(pool, { name: 'filter-panel' });
    await insertInbound(pool, panel, 3);
    const userId = await insertUser(pool);
    const first = await issueKey(pool, { userId, panelId: panel, enforceLimit: false });
    const second = await issueKey(pool, { userId, panelId: panel, enforceLimit: false });
    if (first.kind !== 'issued' || second.kind !== 'issued') {
      throw new Error('no key');
    }
    await keyState(
      pool,
      first.key.id,
      { kind: 'disabled', reason: 'expired' },
      { kind: 'present', enable: false },
      true,
    );
    await keyState(
      pool,
      second.key.id,
      { kind: 'enabled', reason: 'entitled' },
      { kind: 'present', enable: true },
      true,
    );
    const suspended = await readKeys(pool, { panelName: 'filter-panel', state: 'suspended' });
    expect(suspended.map((key) => key.id)).toEqual([first.key.id]);
    const replaced = await replaceKeyAsAdmin(pool, second.key.id);
    expect(replaced.kind).toBe('replaced');
    if (replaced.kind === 'replaced') {
      expect(replaced.key.inboundId).toBe(3);
      expect(replaced.key.id).not.toBe(second.key.id);
    }
    expect((await replaceKeyAsAdmin(pool, second.key.id)).kind).toBe('revoked-already');
    expect(
      (await readKeys(pool, { state: 'revoked', panelName: 'filter-panel' })).map((key) => key.id),
    ).toEqual([second.key.id]);
  });

  it('confirms a held plan only by its exact fingerprint, and a discarded plan is not reopened by the next pass', async () => {
    const { pool } = database();
    const panel = await insertPanel(pool);
    const insertHeld = async (fingerprint: string): Promise<void> => {
      await pool.query(
        `insert into held_plans (fingerprint, panel_id, cause, actions, action_count) values ($1, $2, 'valve-panel', $3, 1)
         on conflict (fingerprint) do update set last_seen_at = now(),
           resolved_at = case when held_plans.resolution = 'discarded' then held_plans.resolved_at end,
           resolution = case when held_plans.resolution = 'discarded' then 'discarded' end`,
        [
          fingerprint,
          panel,
          JSON.stringify([{ key_id: 1, email: 'kw-1', action: 'disable', reason: 'expired' }]),
        ],
      );
    };
    await insertHeld('aaaa1111');
    await insertHeld('bbbb2222');
    expect(await confirmHeldPlanByFingerprint(pool, 'aaaa', 'console:1')).toBe('not-open');
    expect(await confirmHeldPlanByFingerprint(pool, 'aaaa1111', 'console:1')).toBe('confirmed');
    expect(await confirmHeldPlanByFingerprint(pool, 'aaaa1111', 'console:1')).toBe('not-open');
    expect(await discardHeldPlan(pool, 'bbbb2222', 'console:1')).toBe('discarded');
    await insertHeld('bbbb2222');
    const open = await listHeldPlans(pool);
    expect(open.map((plan) => plan.fingerprint)).toEqual(['aaaa1111']);
    expect(open[0]?.actions[0]).toEqual({ keyId: '1', email: 'kw-1', action: 'disable', reason: 'expired' });
    const [discarded] = await listHeldPlans(pool, { fingerprint: 'bbbb2222' });
    expect(discarded?.resolution).toBe('discarded');
  });

  it('previews and applies compensation days as admin periods after each user’s coverage', async () => {
    const { pool } = database();
    await pool.query('truncate users, subscription_periods, payments, vpn_keys, key_state cascade');
    const active = await insertUser(pool);
    const periodBefore = await grantPeriod(pool, { userId: active, source: 'admin', durationMs: 10 * DAY });
    const lapsed = await insertUser(pool);
    await grantPeriod(pool, { userId: lapsed, source: 'admin', durationMs: DAY });
    await pool.query(
      `update subscription_periods set starts_at = now() - interval '5 days', ends_at = now() - interval '4 days' where user_id = $1`,
      [lapsed],
    );
    const banned = await insertUser(pool);
    await grantPeriod(pool, { userId: banned, source: 'admin', durationMs: DAY });
    await setUserBanned(pool, banned, true);
    await insertUser(pool);
    expect(await countCompensationTargets(pool, { activeOnly: true, graceMs: 0 })).toBe(1);
    expect(await countCompensationTargets(pool, { activeOnly: false, graceMs: 0 })).toBe(2);
    expect(await applyCompensation(pool, { activeOnly: true, graceMs: 0, days: 3 })).toBe(1);
    const { rows } = await pool.query<{ starts_at: Date; ends_at: Date; source: string }>(
      `select starts_at, ends_at, source from subscription_periods where user_id = $1 order by starts_at desc limit 1`,
      [active],
    );
    if (periodBefore.kind !== 'granted') {
      throw new Error('no period');
    }
    expect(rows[0]?.source).toBe('admin');
    expect(rows[0]?.starts_at.getTime()).toBe(periodBefore.period.endsAt.getTime());
    expect(rows[0]!.ends_at.getTime() - rows[0]!.starts_at.getTime()).toBe(3 * DAY);
    await expect(applyCompensation(pool, { activeOnly: true, graceMs: 0, days: 0 })).rejects.toThrow(
      RangeError,
    );
  });

  it('login links work once, expire, and are stored only as hashes; sessions expire when idle and end at logout', async () => {
    const { pool } = database();
    const link = await createLoginToken(pool, 42, 600_000);
    const { rows } = await pool.query<{ n: number }>(
      `select count(*)::int as n from console_login_tokens where encode(token_hash, 'escape') like '%' || $1 || '%'`,
      [link.token],
    );
    expect(rows[0]?.n).toBe(0);
    expect(await redeemLoginToken(pool, link.token)).toEqual({ kind: 'ok', adminTelegramId: 42 });
    expect(await redeemLoginToken(pool, link.token)).toEqual({ kind: 'used' });
    const old = await createLoginToken(pool, 42, 600_000);
    await pool.query(
      `update console_login_tokens set created_at = now() - interval '1 hour', expires_at = now() - interval '1 second' where used_at is null`,
    );
    expect(await redeemLoginToken(pool, old.token)).toEqual({ kind: 'expired' });
    expect(await redeemLoginToken(pool, 'x'.repeat(43))).toEqual({ kind: 'unknown' });

    const { token, session } = await createConsoleSession(pool, 42, 3_600_000);
    expect((await touchConsoleSession(pool, token, 60_000))?.csrfToken).toBe(session.csrfToken);
    await pool.query(`update console_sessions set last_seen_at = now() - interval '2 minutes'`);
    expect(await touchConsoleSession(pool, token, 60_000)).toBeNull();
    const second = await createConsoleSession(pool, 42, 3_600_000);
    await endConsoleSession(pool, second.token);
    expect(await touchConsoleSession(pool, second.token, 60_000)).toBeNull();
  });

  it('creates, edits and archives plans with prices, and records admin actions in the audit log', async () => {
    const { pool } = database();
    const created = await createPlan(pool, {
      code: 'year',
      title: 'Year',
      durationDays: 365,
      price: '2990',
      currency: 'RUB',
    });
    expect(created.kind).toBe('created');
    expect(
      (await createPlan(pool, { code: 'year', title: 'Dup', durationDays: 1, price: '1', currency: 'RUB' }))
        .kind,
    ).toBe('exists');
    const edited = await updatePlan(pool, 'year', { title: 'Year!', prices: { XTR: '1500' } });
    expect(edited?.prices).toEqual({ RUB: '2990.00000000', XTR: '1500.00000000' });
    const dropped = await updatePlan(pool, 'year', { prices: { XTR: null } });
    expect(Object.keys(dropped?.prices ?? {})).toEqual(['RUB']);
    expect((await archivePlan(pool, 'year'))?.isActive).toBe(false);
    expect(await archivePlan(pool, 'nope')).toBeNull();
    expect((await listPlans(pool)).find((plan) => plan.code === 'year')?.isActive).toBe(false);

    await recordAdminAction(pool, {
      adminTelegramId: 42,
      actor: 'console',
      action: 'plan.archive',
      detail: { code: 'year' },
      outcome: 'ok',
    });
    const audit = await listAuditEntries(pool, { source: 'admin', action: 'plan.archive' });
    expect(audit[0]).toMatchObject({ adminTelegramId: 42, actor: 'console', outcome: 'ok' });
    const overview = await readOverview(pool, { graceMs: 0, lockClass: LOCK_CLASS });
    expect(overview.adminActions24h).toBeGreaterThanOrEqual(1);
  });
});
