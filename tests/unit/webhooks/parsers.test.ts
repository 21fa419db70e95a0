/**
 * The provider parsers take untrusted JSON: fuzzed with random JSON and with valid bodies whose
 * fields are replaced by random values, they never throw and always either parse or name a path.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ParseError, Result } from '../../../src/domain/index.ts';
import type { PaymentEvent } from '../../../src/webhooks/provider.ts';
import { parseCryptoPayUpdate } from '../../../src/webhooks/providers/cryptobot.ts';
import { parseGenericEvent } from '../../../src/webhooks/providers/generic.ts';
import { parseYooKassaNotification } from '../../../src/webhooks/providers/yookassa.ts';

type Parser = (json: unknown) => Result<PaymentEvent, ParseError>;

const VALID: ReadonlyArray<readonly [string, Parser, Record<string, unknown>, readonly string[]]> = [
  [
    'generic',
    parseGenericEvent,
    {
      event: 'payment.succeeded',
      payment_id: 'ord-1',
      reference: 'kw:7:month',
      amount: '299.00',
      currency: 'RUB',
    },
    ['reference'],
  ],
  [
    'cryptobot',
    parseCryptoPayUpdate,
    {
      update_id: 1,
      update_type: 'invoice_paid',
      payload: {
        invoice_id: 5,
        status: 'paid',
        currency_type: 'fiat',
        fiat: 'USD',
        amount: '3.5',
        payload: 'kw:7:month',
      },
    },
    ['payload', 'payload'],
  ],
  [
    'yookassa',
    parseYooKassaNotification,
    {
      type: 'notification',
      event: 'payment.succeeded',
      object: {
        id: '2f9b0c0e-000f-5000-8000-18db351245c7',
        status: 'succeeded',
        amount: { value: '299.00', currency: 'RUB' },
        metadata: { kw_ref: 'kw:7:month' },
      },
    },
    ['object', 'metadata', 'kw_ref'],
  ],
];

/** Replaces the value at one path of `value` (objects only) with `replacement`. */
function replaceAt(value: unknown, path: readonly string[], replacement: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) {
    return replacement;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return value;
  }
  const record = value as Record<string, unknown>;
  return { ...record, [head]: replaceAt(record[head], rest, replacement) };
}

/** Every path to a field of a JSON object. */
function pathsOf(value: unknown, prefix: readonly string[] = []): string[][] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [];
  }
  return Object.entries(value).flatMap(([key, child]) => [
    [...prefix, key],
    ...pathsOf(child, [...prefix, key]),
  ]);
}

describe.each(VALID)('%s parser', (_name, parse, valid, referencePath) => {
  it('parses the valid example into a paid event', () => {
    const parsed = parse(valid);
    expect(parsed.ok && parsed.value.kind).toBe('paid');
  });

  it('never throws on random JSON and names a path when it refuses', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (json) => {
        const parsed = parse(json);
        if (!parsed.ok) {
          expect(parsed.error.path.length).toBeGreaterThan(0);
          expect(parsed.error.expected.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never throws when any field of a valid body is replaced by random JSON', () => {
    const paths = pathsOf(valid);
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.jsonValue(), (path, replacement) => {
        const parsed = parse(replaceAt(valid, path, replacement));
        expect(typeof parsed.ok).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });

  it('refuses the valid body with its order reference corrupted', () => {
    const parsed = parse(replaceAt(valid, referencePath, 'kw:7:Month!'));
    expect(parsed).toEqual({
      ok: false,
      error: expect.objectContaining({ path: referencePath.join('.') }) as ParseError,
    });
  });
});
