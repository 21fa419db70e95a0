import { describe, expect, it } from 'vitest';
import { fixedDecimals, trimDecimals } from '../../../src/payments/index.ts';
import { encodeCallbackData, parseCallbackData } from '../../../src/bot/index.ts';
import { asPlanId } from '../../../src/domain/index.ts';

describe('provider amounts', () => {
  it.each([
    ['299', 2, '299.00'],
    ['299.00000000', 2, '299.00'],
    ['3.5', 2, '3.50'],
    ['0.10', 2, '0.10'],
    ['250.00000000', 0, '250'],
  ] as const)('writes %s with %d decimals as %s', (amount, decimals, expected) => {
    expect(fixedDecimals(amount, decimals)).toBe(expected);
  });

  it('refuses to round money away', () => {
    expect(() => fixedDecimals('1.005', 2)).toThrow(RangeError);
    expect(() => fixedDecimals('-1', 2)).toThrow(RangeError);
    expect(() => fixedDecimals('1e3', 2)).toThrow(RangeError);
  });

  it.each([
    ['3.50000000', '3.5'],
    ['250.00000000', '250'],
    ['250', '250'],
    ['0.10', '0.1'],
  ] as const)('trims %s to %s', (amount, expected) => {
    expect(trimDecimals(amount)).toBe(expected);
  });
});

describe('checkout buttons', () => {
  it('round-trips pay:<yk|ya|cp>:<plan id> and autopayoff and refuses other providers', () => {
    for (const provider of ['yookassa', 'cryptobot'] as const) {
      const action = { kind: 'checkout', provider, planId: asPlanId('42') } as const;
      expect(parseCallbackData(encodeCallbackData(action))).toEqual({ ok: true, value: action });
    }
    const autopay = {
      kind: 'checkout',
      provider: 'yookassa',
      planId: asPlanId('42'),
      autopay: true,
    } as const;
    expect(encodeCallbackData(autopay)).toBe('pay:ya:42');
    expect(parseCallbackData('pay:ya:42')).toEqual({ ok: true, value: autopay });
    expect(parseCallbackData('autopayoff')).toEqual({ ok: true, value: { kind: 'autopay-off' } });
    expect(parseCallbackData('pay:xx:42').ok).toBe(false);
    expect(parseCallbackData('pay:yk:0').ok).toBe(false);
    expect(parseCallbackData('pay:yk:42:1').ok).toBe(false);
  });
});
