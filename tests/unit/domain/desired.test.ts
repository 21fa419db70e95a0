import { describe, expect, it } from 'vitest';
import { computeDesired, type DesiredReason } from '../../../src/domain/index.ts';
import { keyRecord, NOW, POLICY } from '../../support/core-builders.ts';

describe('computeDesired', () => {
  const cases: ReadonlyArray<{
    name: string;
    key: Parameters<typeof keyRecord>[1];
    used?: number;
    kind: 'enabled' | 'disabled';
    reason: DesiredReason;
  }> = [
    { name: 'entitled key is enabled', key: {}, kind: 'enabled', reason: 'entitled' },
    {
      name: 'revoked key is disabled even when entitled',
      key: { isRevoked: true },
      kind: 'disabled',
      reason: 'revoked',
    },
    {
      name: 'banned user is disabled',
      key: { isBanned: true, isEntitled: false },
      kind: 'disabled',
      reason: 'banned',
    },
    {
      name: 'user whose periods ended is expired',
      key: { isEntitled: false, entitledUntil: null },
      kind: 'disabled',
      reason: 'expired',
    },
    {
      name: 'user who never paid has no subscription',
      key: { isEntitled: false, entitledUntil: null, hasHadSubscription: false },
      kind: 'disabled',
      reason: 'no-subscription',
    },
    {
      name: 'quota used up is disabled',
      key: { quotaBytes: 1000 },
      used: 1000,
      kind: 'disabled',
      reason: 'quota-exhausted',
    },
    {
      name: 'quota not yet used up stays enabled',
      key: { quotaBytes: 1000 },
      used: 999,
      kind: 'enabled',
      reason: 'entitled',
    },
    {
      name: 'unknown usage (absent client) stays enabled',
      key: { quotaBytes: 1000 },
      kind: 'enabled',
      reason: 'entitled',
    },
  ];

  it.each(cases)('$name', ({ key, used, kind, reason }) => {
    const desired = computeDesired(keyRecord(1, key), POLICY, used);
    expect({ kind: desired.kind, reason: desired.reason }).toEqual({ kind, reason });
  });

  it('enables with expiry 0, the plan quota, reset 0 and the key flow', () => {
    const desired = computeDesired(keyRecord(1, { quotaBytes: 5000, flow: 'xtls-rprx-vision' }), POLICY, 0);
    expect(desired.kind === 'enabled' ? desired.fields : null).toEqual({
      enable: true,
      expiryTimeMs: 0,
      totalBytes: 5000,
      resetDays: 0,
      flow: 'xtls-rprx-vision',
    });
  });

  it('sets expiry to coverage end plus margin when a margin is configured', () => {
    const until = new Date(NOW.getTime() + 3_600_000);
    const desired = computeDesired(
      keyRecord(1, { entitledUntil: until }),
      { ...POLICY, expiryMarginMs: 60_000 },
      0,
    );
    expect(desired.kind === 'enabled' ? desired.fields.expiryTimeMs : null).toBe(until.getTime() + 60_000);
  });
});
