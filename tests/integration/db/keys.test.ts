import { describe, expect, it } from 'vitest';
import { grantPeriod, issueKey, revokeKey, upsertPlan } from '../../../src/db/index.ts';
import { asInboundId } from '../../../src/domain/index.ts';
import { insertInbound, insertPanel, insertUser } from '../../support/builders.ts';
import { useTestDatabase } from '../../support/database.ts';

const database = useTestDatabase();
const DAY = 86_400_000;

describe('issueKey', () => {
  it('puts a new key on the panel with the fewest live keys and sets XTLS Vision for VLESS Reality', async () => {
    const { pool } = database();
    const busy = await insertPanel(pool);
    const idle = await insertPanel(pool);
    await insertInbound(pool, busy, 1);
    await insertInbound(pool, idle, 7);
    const someone = await insertUser(pool);
    await issueKey(pool, { userId: someone, panelId: busy, enforceLimit: false });
    const userId = await insertUser(pool);
    const outcome = await issueKey(pool, { userId, enforceLimit: false });
    expect(outcome.kind).toBe('issued');
    if (outcome.kind !== 'issued') {
      return;
    }
    expect(outcome.key.panelId).toBe(idle);
    expect(outcome.key.inboundId).toBe(7);
    expect(outcome.key.email).toBe(`kw-${outcome.key.id}`);
    const { rows } = await pool.query<{ flow: string }>('select flow from vpn_keys where id = $1', [
      outcome.key.id,
    ]);
    expect(rows[0]!.flow).toBe('xtls-rprx-vision');
  });

  it('respects the key limit of the current plan', async () => {
    const { pool } = database();
    const panel = await insertPanel(pool);
    await insertInbound(pool, panel, 2);
    const plan = await upsertPlan(pool, {
      code: 'duo',
      title: 'Duo',
      durationDays: 30,
      price: '10',
      currency: 'USD',
      maxKeys: 2,
    });
    const userId = await insertUser(pool);
    await grantPeriod(pool, { userId, source: 'admin', planId: plan.id, durationMs: DAY });
    expect((await issueKey(pool, { userId, enforceLimit: true })).kind).toBe('issued');
    expect((await issueKey(pool, { userId, enforceLimit: true })).kind).toBe('issued');
    expect(await issueKey(pool, { userId, enforceLimit: true })).toEqual({
      kind: 'limit-reached',
      limit: 2,
      live: 2,
    });
  });

  it('generates an SS-2022 key of the right length for a 2022-blake3-aes-128-gcm inbound', async () => {
    const { pool } = database();
    const panel = await insertPanel(pool);
    await insertInbound(pool, panel, 3, {
      protocol: 'shadowsocks',
      settings: { method: '2022-blake3-aes-128-gcm' },
      streamSettings: { network: 'tcp' },
    });
    const userId = await insertUser(pool);
    const outcome = await issueKey(pool, { userId, panelId: panel, enforceLimit: false });
    expect(outcome.kind).toBe('issued');
    if (outcome.kind === 'issued') {
      const { rows } = await pool.query<{ secret: string; flow: string }>(
        'select secret, flow from vpn_keys where id = $1',
        [outcome.key.id],
      );
      expect(Buffer.from(rows[0]!.secret, 'base64')).toHaveLength(16);
      expect(rows[0]!.flow).toBe('');
    }
  });

  it('skips suspended and disabled panels and says when nothing is available', async () => {
    const { pool } = database();
    const suspended = await insertPanel(pool, { suspended: true });
    await insertInbound(pool, suspended, 1);
    const userId = await insertUser(pool);
    expect(await issueKey(pool, { userId, panelId: suspended, enforceLimit: false })).toEqual({
      kind: 'no-inbound',
    });
  });

  it('accepts an explicit inbound the reconciler has not observed yet', async () => {
    const { pool } = database();
    const panel = await insertPanel(pool);
    const userId = await insertUser(pool);
    const outcome = await issueKey(pool, {
      userId,
      panelId: panel,
      inboundId: asInboundId(42),
      enforceLimit: false,
    });
    expect(outcome).toMatchObject({ kind: 'issued', key: { panelId: panel, inboundId: 42 } });
  });
});

describe('revokeKey', () => {
  it('revokes once, refuses another user, and reports unknown keys', async () => {
    const { pool } = database();
    const panel = await insertPanel(pool);
    await insertInbound(pool, panel, 1);
    const owner = await insertUser(pool);
    const stranger = await insertUser(pool);
    const issued = await issueKey(pool, { userId: owner, panelId: panel, enforceLimit: false });
    if (issued.kind !== 'issued') {
      throw new Error(`expected a key, got ${issued.kind}`);
    }
    expect(await revokeKey(pool, issued.key.id, { userId: stranger })).toBe('not-found');
    expect(await revokeKey(pool, issued.key.id, { userId: owner })).toBe('revoked');
    expect(await revokeKey(pool, issued.key.id)).toBe('already-revoked');
    expect(await revokeKey(pool, '987654321' as typeof issued.key.id)).toBe('not-found');
  });
});
