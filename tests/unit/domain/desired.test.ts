import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeDesired, type DesiredReason, type QuotaBaseline } from '../../../src/domain/index.ts';
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
      key: { isEntitled: false, entitledUntilMs: null },
      kind: 'disabled',
      reason: 'expired',
    },
    {
      name: 'user who never paid has no subscription',
      key: { isEntitled: false, entitledUntilMs: null, hasHadSubscription: false },
      kind: 'disabled',
      reason: 'no-subscription',
    },
    {
      name: 'quota used up is disabled',
      key: { quotaBytes: 1000, quotaBaseline: { periodId: '1', bytes: 0 } },
      used: 1000,
      kind: 'disabled',
      reason: 'quota-exhausted',
    },
    {
      name: 'quota not yet used up stays enabled',
      key: { quotaBytes: 1000, quotaBaseline: { periodId: '1', bytes: 0 } },
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
      keyRecord(1, { entitledUntilMs: until.getTime() }),
      { ...POLICY, expiryMarginMs: 60_000 },
      0,
    );
    expect(desired.kind === 'enabled' ? desired.fields.expiryTimeMs : null).toBe(until.getTime() + 60_000);
  });

  it.each([
    { name: 'unknown offset', offsetMs: undefined, expiry: 'end+margin' },
    { name: 'panel behind', offsetMs: -300_000, expiry: 'end+margin' },
    { name: 'panel ahead within half the margin', offsetMs: 30_000, expiry: 'end+margin' },
    { name: 'panel ahead beyond half the margin', offsetMs: 31_000, expiry: 'never' },
    { name: 'panel 5 min ahead', offsetMs: 300_000, expiry: 'never' },
  ] as const)('panel clock offset: $name → $expiry', ({ offsetMs, expiry }) => {
    const until = new Date(NOW.getTime() + 180_000);
    const desired = computeDesired(
      keyRecord(1, { entitledUntilMs: until.getTime() }),
      { ...POLICY, expiryMarginMs: 60_000 },
      0,
      undefined,
      offsetMs,
    );
    expect(desired.kind === 'enabled' ? desired.fields.expiryTimeMs : null).toBe(
      expiry === 'never' ? 0 : until.getTime() + 60_000,
    );
  });
});

describe('computeDesired with per-period quotas', () => {
  const base = (periodId: string, bytes: number): QuotaBaseline => ({ periodId, bytes });
  const cases: ReadonlyArray<{
    name: string;
    key: Parameters<typeof keyRecord>[1];
    used: number | undefined;
    reason: DesiredReason;
    /** totalGB to set when enabled. */
    totalBytes?: number;
    baseline: QuotaBaseline | null;
  }> = [
    {
      name: 'quota not used up this period stays enabled with totalGB = baseline + quota',
      key: { quotaBytes: 1000, quotaBaseline: base('1', 500) },
      used: 1200,
      reason: 'entitled',
      totalBytes: 1500,
      baseline: base('1', 500),
    },
    {
      name: 'quota used up this period is disabled',
      key: { quotaBytes: 1000, quotaBaseline: base('1', 500) },
      used: 1500,
      reason: 'quota-exhausted',
      baseline: base('1', 500),
    },
    {
      name: 'a period seen for the first time starts counting at the observed traffic',
      key: { quotaBytes: 1000, quotaBaseline: null },
      used: 3000,
      reason: 'entitled',
      totalBytes: 4000,
      baseline: base('1', 3000),
    },
    {
      name: 'a new period after exhaustion re-enables with totalGB = baseline + quota',
      key: { quotaBytes: 1000, currentPeriodId: '2', quotaBaseline: base('1', 0) },
      used: 2000,
      reason: 'entitled',
      totalBytes: 3000,
      baseline: base('2', 2000),
    },
    {
      name: 'counters reset by an admin below the baseline re-baseline to 0',
      key: { quotaBytes: 1000, quotaBaseline: base('1', 5000) },
      used: 200,
      reason: 'entitled',
      totalBytes: 1000,
      baseline: base('1', 0),
    },
    {
      name: 'counters reset by an admin count from 0, and can be used up again',
      key: { quotaBytes: 1000, quotaBaseline: base('1', 5000) },
      used: 1000,
      reason: 'quota-exhausted',
      baseline: base('1', 0),
    },
    {
      name: 'an unlimited plan is never exhausted and sets totalGB 0',
      key: { quotaBytes: null, quotaBaseline: base('1', 500) },
      used: 1e12,
      reason: 'entitled',
      totalBytes: 0,
      baseline: base('1', 500),
    },
    {
      name: 'an absent client keeps the baseline of its period',
      key: { quotaBytes: 1000, quotaBaseline: base('1', 700) },
      used: undefined,
      reason: 'entitled',
      totalBytes: 1700,
      baseline: base('1', 700),
    },
    {
      name: 'an absent client in a new period starts from 0 (it is created fresh)',
      key: { quotaBytes: 1000, currentPeriodId: '2', quotaBaseline: base('1', 700) },
      used: undefined,
      reason: 'entitled',
      totalBytes: 1000,
      baseline: base('2', 0),
    },
    {
      name: 'no covering period records no baseline (the stored one is kept)',
      key: { isEntitled: false, entitledUntilMs: null, currentPeriodId: null, quotaBaseline: base('1', 700) },
      used: 900,
      reason: 'expired',
      baseline: null,
    },
  ];

  it.each(cases)('$name', ({ key, used, reason, totalBytes, baseline }) => {
    const desired = computeDesired(keyRecord(1, key), POLICY, used);
    expect(desired.reason).toBe(reason);
    expect(desired.baseline).toEqual(baseline);
    expect(desired.kind === 'enabled' ? desired.fields.totalBytes : undefined).toBe(totalBytes);
  });

  it('never enables a key with a quota at a totalGB the panel job would trip on (xui-api.md §8)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e9 }),
        fc.option(
          fc.record({ periodId: fc.constantFrom('1', '2'), bytes: fc.integer({ min: 0, max: 1e10 }) }),
        ),
        fc.integer({ min: 0, max: 1e10 }),
        (quota, stored, used) => {
          const desired = computeDesired(
            keyRecord(1, { quotaBytes: quota, quotaBaseline: stored }),
            POLICY,
            used,
          );
          if (desired.kind === 'enabled') {
            expect(used).toBeLessThan(desired.fields.totalBytes);
            expect(desired.fields.totalBytes - (desired.baseline?.bytes ?? 0)).toBe(quota);
          } else {
            expect(desired.reason).toBe('quota-exhausted');
            expect(used - (desired.baseline?.bytes ?? 0)).toBeGreaterThanOrEqual(quota);
          }
        },
      ),
    );
  });
});
