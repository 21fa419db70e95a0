/**
 * The snapshot's key rows as records: every yes/no fact of a key (revoked, banned, entitled, ever
 * subscribed, the previous pass's desired state, the client last recorded enabled), the stored quota
 * baseline and the recent fix, read back from rows written here; and the valve's enabled counts,
 * taken from the key rows for the panels read whole and by a query for the others.
 */
import { describe, expect, it } from 'vitest';
import { asPanelId, asUserId, type KeyRecord } from '../../../src/domain/index.ts';
import { readSnapshot } from '../../../src/store/index.ts';
import { useTestDatabase } from '../../support/database.ts';

const database = useTestDatabase();

const desired = (kind: 'enabled' | 'disabled'): string =>
  JSON.stringify(
    kind === 'enabled' ? { kind, reason: 'entitled', held: false } : { kind, reason: 'expired', held: false },
  );
const observed = (enable: boolean): string =>
  JSON.stringify({ kind: 'present', enable, at: '2026-01-01T00:00:00Z' });
const FIELDS = JSON.stringify({ enable: true, expiryTimeMs: 0, totalBytes: 0, resetDays: 0, flow: '' });

describe('the snapshot read', () => {
  it('maps every fact of a key row, and counts enabled clients per panel from the rows or by query', async () => {
    const pool = database().pool;
    const { rows: panels } = await pool.query<{ id: string }>(
      `insert into panels (name, base_url, auth) values
         ('a', 'http://127.0.0.1:1/a/', '{"kind":"token","token":"x"}'),
         ('b', 'http://127.0.0.1:1/b/', '{"kind":"token","token":"x"}')
       returning id`,
    );
    const [panelA, panelB] = panels.map((row) => row.id);
    const { rows: plans } = await pool.query<{ id: string }>(
      `insert into plans (code, title, duration_days, price, currency, traffic_limit_bytes)
       values ('q', 'Q', 30, 1, 'RUB', 1000) returning id`,
    );
    const { rows: users } = await pool.query<{ id: string }>(
      `insert into users (telegram_id, banned_at) values (9007199254740991, null), (2, now() - interval '1 hour'), (3, null)
       returning id`,
    );
    const [paying, banned, never] = users.map((row) => row.id);
    const { rows: periods } = await pool.query<{ id: string }>(
      `insert into subscription_periods (user_id, plan_id, source, starts_at, ends_at)
       values ($1, $3, 'admin', now() - interval '1 day', now() + interval '1 day'),
              ($2, null, 'admin', now() - interval '1 day', now() + interval '1 day')
       returning id`,
      [paying, banned, plans[0]?.id],
    );
    const { rows: keys } = await pool.query<{ id: string }>(
      `insert into vpn_keys (user_id, panel_id, inbound_id, revoked_at, flow) values
         ($1, $4, 1, null, 'xtls-rprx-vision'),
         ($1, $5, 2, now() - interval '1 minute', ''),
         ($2, $4, 1, null, ''),
         ($3, $5, 1, null, '')
       returning id`,
      [paying, banned, never, panelA, panelB],
    );
    const [live, revoked, ofBanned, unpaid] = keys.map((row) => row.id);
    await pool.query(
      `insert into key_state (key_id, desired, observed, converged, quota_period_id, quota_baseline_bytes)
       values ($1, $5, $7, true, $9, 300), ($2, $6, $8, true, null, null),
              ($3, $5, $8, true, null, null), ($4, $6, $7, true, null, null)`,
      [
        live,
        revoked,
        ofBanned,
        unpaid,
        desired('enabled'),
        desired('disabled'),
        observed(true),
        observed(false),
        periods[0]?.id,
      ],
    );
    await pool.query(
      `insert into reconcile_events (at, key_id, panel_id, action, reason, outcome, before, after)
       select now() - interval '1 minute', $1, $2, 'update', 'entitled', 'applied', $3, $3 from generate_series(1, 2)`,
      [live, panelA, FIELDS],
    );

    const whole = await readSnapshot(pool, undefined, 0);
    const byId = new Map<string, KeyRecord>(whole.snapshot.keys.map((key) => [key.keyId, key]));
    expect(whole.snapshot.keys.map((key) => key.keyId)).toEqual([live, revoked, ofBanned, unpaid]);
    expect(byId.get(live!)).toMatchObject({
      userId: paying,
      telegramId: 9007199254740991,
      panelId: panelA,
      inboundId: 1,
      email: `kw-${live!}`,
      flow: 'xtls-rprx-vision',
      isRevoked: false,
      isBanned: false,
      isEntitled: true,
      hasHadSubscription: true,
      quotaBytes: 1000,
      currentPeriodId: periods[0]?.id,
      latestPeriodId: periods[0]?.id,
      quotaBaseline: { periodId: periods[0]?.id, bytes: 300 },
      previousDesiredKind: 'enabled',
      lastEndedAtMs: null,
      recentFix: { kind: 'update', count: 2 },
    });
    expect(byId.get(live!)?.entitledUntilMs).toBeGreaterThan(Date.now());
    expect(byId.get(revoked!)).toMatchObject({
      isRevoked: true,
      isEntitled: true,
      previousDesiredKind: 'disabled',
      quotaBaseline: null,
    });
    expect(byId.get(revoked!)).not.toHaveProperty('recentFix');
    expect(byId.get(ofBanned!)).toMatchObject({ isBanned: true, isEntitled: false, entitledUntilMs: null });
    expect(byId.get(unpaid!)).toMatchObject({
      isEntitled: false,
      hasHadSubscription: false,
      quotaBytes: null,
      currentPeriodId: null,
      latestPeriodId: null,
      entitledSinceMs: null,
    });
    // Clients last recorded enabled: on panel a the live key's (the banned user's was recorded
    // disabled), on panel b the unpaid one's (the revoked key's was recorded disabled).
    const counts = { [panelA!]: 1, [panelB!]: 1 };
    expect(Object.fromEntries(whole.snapshot.valveWindow?.enabledByPanel ?? [])).toEqual(counts);

    // A read of one panel counts the other one by query; a targeted read counts every enabled panel,
    // its own included (its batch is judged against the whole panel and the window).
    const one = await readSnapshot(pool, [asPanelId(panelA!)], 0);
    expect(Object.fromEntries(one.snapshot.valveWindow?.enabledByPanel ?? [])).toEqual(counts);
    const targeted = await readSnapshot(pool, [asPanelId(panelA!)], 0, [asUserId(paying!)]);
    expect(targeted.snapshot.keys.map((key) => key.keyId)).toEqual([live]);
    expect(Object.fromEntries(targeted.snapshot.valveWindow?.enabledByPanel ?? [])).toEqual(counts);
  });
});
