import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  asOrderId,
  canTransition,
  encodeOrderId,
  isLatePaymentState,
  isOrderOpen,
  ORDER_STATES,
  parsePaymentReference,
  type OrderState,
} from '../../../src/domain/index.ts';

/** Every allowed move, written out once more by hand (docs/payments.md): the table under test. */
const ALLOWED: ReadonlyArray<readonly [OrderState, OrderState]> = [
  ['created', 'pending'],
  ['created', 'paid'],
  ['created', 'cancelled'],
  ['created', 'expired'],
  ['created', 'failed'],
  ['pending', 'paid'],
  ['pending', 'cancelled'],
  ['pending', 'expired'],
  ['pending', 'failed'],
  ['cancelled', 'paid'],
  ['expired', 'paid'],
  ['failed', 'paid'],
  ['paid', 'refunded'],
];

const PAIRS = ORDER_STATES.flatMap((from) => ORDER_STATES.map((to) => [from, to] as const));

describe('order state machine', () => {
  it.each(PAIRS)('%s → %s is allowed exactly when docs/payments.md lists it', (from, to) => {
    const listed = ALLOWED.some(([a, b]) => a === from && b === to);
    expect(canTransition(from, to)).toBe(listed);
  });

  it('has no way out of refunded and only refunded out of paid (one period per order)', () => {
    expect(ORDER_STATES.filter((to) => canTransition('refunded', to))).toEqual([]);
    expect(ORDER_STATES.filter((to) => canTransition('paid', to))).toEqual(['refunded']);
  });

  it('reaches paid from every state that is not paid or refunded (money received = access granted)', () => {
    const unpaid = ORDER_STATES.filter((state) => state !== 'paid' && state !== 'refunded');
    expect(unpaid.every((state) => canTransition(state, 'paid'))).toBe(true);
  });

  it('calls created and pending open, and a payment after cancelled, expired or failed late', () => {
    expect(ORDER_STATES.filter(isOrderOpen)).toEqual(['created', 'pending']);
    expect(ORDER_STATES.filter(isLatePaymentState)).toEqual(['cancelled', 'expired', 'failed']);
  });
});

describe('payment reference', () => {
  it('reads o:<order id> and the legacy kw:<user>:<plan>', () => {
    const id = asOrderId('7F3C9B2E-0000-4000-8000-000000000001');
    expect(encodeOrderId(id)).toBe('o:7f3c9b2e-0000-4000-8000-000000000001');
    expect(parsePaymentReference(encodeOrderId(id))).toEqual({
      ok: true,
      value: { kind: 'order', orderId: '7f3c9b2e-0000-4000-8000-000000000001' },
    });
    expect(parsePaymentReference('kw:42:month')).toEqual({
      ok: true,
      value: { kind: 'legacy', reference: { userId: '42', planCode: 'month', tag: null } },
    });
  });

  it('refuses anything else with the path and both forms', () => {
    for (const bad of ['o:', 'o:42', 'o:7f3c9b2e', 'kw:0:month', 'x', 42, null]) {
      const parsed = parsePaymentReference(bad, 'metadata.kw_ref');
      expect(parsed.ok).toBe(false);
      expect(parsed.ok ? null : parsed.error.path).toBe('metadata.kw_ref');
    }
  });

  it('round-trips every UUID within the 128-byte Telegram payload limit', () => {
    fc.assert(
      fc.property(fc.uuid(), (uuid) => {
        const text = encodeOrderId(asOrderId(uuid));
        expect(Buffer.byteLength(text)).toBeLessThanOrEqual(128);
        expect(parsePaymentReference(text)).toEqual({
          ok: true,
          value: { kind: 'order', orderId: uuid.toLowerCase() },
        });
      }),
    );
  });
});
