import { describe, expect, it } from 'vitest';
import {
  admitDevice,
  findSubscriptionUser,
  grantPeriod,
  hashSubscriptionToken,
  isSubscriptionTokenShaped,
  listDevices,
  removeDevice,
  rotateSubscriptionToken,
  subscriptionTokenOf,
} from '../../../src/db/index.ts';
import { insertUser } from '../../support/builders.ts';
import { useTestDatabase } from '../../support/database.ts';

const database = useTestDatabase();
const SECRET = 'test-secret-0123456789abcdef0123456789';

const device = (hwid: string) => ({
  hwid,
  deviceOs: 'Android',
  osVersion: '14',
  deviceModel: 'Pixel 8',
  userAgent: 'Happ/3.7.0',
});

describe('subscription tokens', () => {
  it('gives a customer one stable 192-bit token and stores only its hash', async () => {
    const pool = database().pool;
    const user = await insertUser(pool);
    const first = await subscriptionTokenOf(pool, user, SECRET);
    expect(isSubscriptionTokenShaped(first)).toBe(true);
    expect(Buffer.from(first, 'base64url')).toHaveLength(24);
    expect(await subscriptionTokenOf(pool, user, SECRET)).toBe(first);
    const { rows } = await pool.query<{ row: string }>(
      'select row_to_json(t)::text as row from subscription_tokens t where user_id = $1',
      [user],
    );
    expect(rows[0]!.row).not.toContain(first);
    expect(await findSubscriptionUser(pool, hashSubscriptionToken(first))).toBe(user);
  });

  it('gives different customers different tokens', async () => {
    const pool = database().pool;
    const a = await subscriptionTokenOf(pool, await insertUser(pool), SECRET);
    const b = await subscriptionTokenOf(pool, await insertUser(pool), SECRET);
    expect(a).not.toBe(b);
  });

  it('rotation makes the old token unknown at once and the new one work', async () => {
    const pool = database().pool;
    const user = await insertUser(pool);
    const old = await subscriptionTokenOf(pool, user, SECRET);
    const rotated = await rotateSubscriptionToken(pool, user, SECRET);
    expect(rotated).not.toBe(old);
    expect(await findSubscriptionUser(pool, hashSubscriptionToken(old))).toBeNull();
    expect(await findSubscriptionUser(pool, hashSubscriptionToken(rotated))).toBe(user);
    expect(await subscriptionTokenOf(pool, user, SECRET)).toBe(rotated);
  });

  it('a changed secret changes the token shown, and only the new one works', async () => {
    const pool = database().pool;
    const user = await insertUser(pool);
    const before = await subscriptionTokenOf(pool, user, SECRET);
    const after = await subscriptionTokenOf(pool, user, `${SECRET}-new`);
    expect(after).not.toBe(before);
    expect(await findSubscriptionUser(pool, hashSubscriptionToken(before))).toBeNull();
    expect(await findSubscriptionUser(pool, hashSubscriptionToken(after))).toBe(user);
  });
});

describe('subscription devices', () => {
  it('admits devices up to the limit, refuses the next, and keeps known ones working', async () => {
    const pool = database().pool;
    const user = await insertUser(pool);
    expect(await admitDevice(pool, user, device('hwid-aaaaaa'), 2)).toEqual({
      kind: 'admitted',
      registered: 1,
      isNew: true,
    });
    expect((await admitDevice(pool, user, device('hwid-bbbbbb'), 2)).kind).toBe('admitted');
    expect(await admitDevice(pool, user, device('hwid-cccccc'), 2)).toEqual({
      kind: 'over-limit',
      registered: 2,
    });
    expect(await admitDevice(pool, user, device('hwid-aaaaaa'), 2)).toEqual({
      kind: 'admitted',
      registered: 2,
      isNew: false,
    });
    expect(await listDevices(pool, user)).toHaveLength(2);
  });

  it('racing new devices never exceed the limit', async () => {
    const pool = database().pool;
    const user = await insertUser(pool);
    const outcomes = await Promise.all(
      ['r1', 'r2', 'r3', 'r4'].map((id) => admitDevice(pool, user, device(`hwid-${id}-xx`), 1)),
    );
    expect(outcomes.filter((outcome) => outcome.kind === 'admitted')).toHaveLength(1);
    expect(await listDevices(pool, user)).toHaveLength(1);
  });

  it('removing a device frees its slot; a renewal leaves devices alone', async () => {
    const pool = database().pool;
    const user = await insertUser(pool);
    await admitDevice(pool, user, device('hwid-keep01'), 1);
    await grantPeriod(pool, { userId: user, source: 'admin', durationMs: 86_400_000 });
    const devices = await listDevices(pool, user);
    expect(devices).toHaveLength(1);
    expect((await admitDevice(pool, user, device('hwid-other1'), 1)).kind).toBe('over-limit');
    expect(await removeDevice(pool, user, devices[0]!.id)).toBe('removed');
    expect(await removeDevice(pool, user, devices[0]!.id)).toBe('not-found');
    expect((await admitDevice(pool, user, device('hwid-other1'), 1)).kind).toBe('admitted');
  });

  it('a device id is never stored in the clear', async () => {
    const pool = database().pool;
    const user = await insertUser(pool);
    await admitDevice(pool, user, device('hwid-secret-device-id'), null);
    const { rows } = await pool.query<{ row: string }>(
      'select row_to_json(d)::text as row from subscription_devices d where user_id = $1',
      [user],
    );
    expect(rows[0]!.row).not.toContain('hwid-secret-device-id');
  });

  it('another customer cannot remove my device', async () => {
    const pool = database().pool;
    const me = await insertUser(pool);
    const other = await insertUser(pool);
    await admitDevice(pool, me, device('hwid-mine01'), null);
    const [mine] = await listDevices(pool, me);
    expect(await removeDevice(pool, other, mine!.id)).toBe('not-found');
    expect(await listDevices(pool, me)).toHaveLength(1);
  });
});
