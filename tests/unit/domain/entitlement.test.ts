import { describe, expect, it } from 'vitest';
import { computeEntitlement } from '../../../src/domain/entitlement.ts';
import { AT, ENTITLEMENT_CASES, h } from '../../fixtures/entitlement-cases.ts';

describe('computeEntitlement (TypeScript mirror of kw_entitlements)', () => {
  it('has at least 25 shared cases', () => {
    expect(ENTITLEMENT_CASES.length).toBeGreaterThanOrEqual(25);
  });

  it.each(ENTITLEMENT_CASES)('$name', (testCase) => {
    const result = computeEntitlement(
      {
        bannedAt: testCase.bannedAt === undefined ? null : h(testCase.bannedAt),
        periods: testCase.periods.map((p) => ({
          startsAt: h(p.from),
          endsAt: h(p.to),
          cancelledAt: p.cancelled === undefined ? null : h(p.cancelled),
        })),
      },
      h(testCase.atOffset ?? 0),
      (testCase.graceHours ?? 0) * 3_600_000,
    );
    const toHours = (date: Date | null): number | null =>
      date === null ? null : (date.getTime() - AT.getTime()) / 3_600_000;
    expect({
      isEntitled: result.isEntitled,
      entitledUntil: toHours(result.entitledUntil),
      nextBoundaryAt: toHours(result.nextBoundaryAt),
    }).toEqual(testCase.expected);
  });
});
