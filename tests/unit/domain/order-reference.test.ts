import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeOrderReference,
  ORDER_REFERENCE_MAX_LENGTH,
  parseOrderReference,
} from '../../../src/domain/index.ts';

const userIds = fc.bigInt({ min: 1n, max: 9_223_372_036_854_775_807n }).map(String);
const planCodes = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,63}$/);
const tags = fc.option(fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/), { nil: null });

describe('order reference', () => {
  it('encodes user and plan as kw:<userId>:<planCode>', () => {
    expect(encodeOrderReference({ userId: '42', planCode: 'month' })).toBe('kw:42:month');
    expect(encodeOrderReference({ userId: '42', planCode: 'month', tag: 'o-7f3c' })).toBe(
      'kw:42:month:o-7f3c',
    );
  });

  it('decodes what it encodes, within the 128-byte Telegram payload limit', () => {
    fc.assert(
      fc.property(userIds, planCodes, tags, (userId, planCode, tag) => {
        const text = encodeOrderReference({ userId, planCode, tag });
        expect(Buffer.byteLength(text)).toBeLessThanOrEqual(ORDER_REFERENCE_MAX_LENGTH);
        expect(parseOrderReference(text)).toEqual({ ok: true, value: { userId, planCode, tag } });
      }),
    );
  });

  it.each([
    ['a number', 42],
    ['null', null],
    ['another prefix', 'xx:1:month'],
    ['a zero user id', 'kw:0:month'],
    ['a leading zero', 'kw:01:month'],
    ['a user id past bigint', 'kw:9223372036854775808:month'],
    ['a telegram-style negative id', 'kw:-5:month'],
    ['an upper-case plan code', 'kw:1:Month'],
    ['a missing plan', 'kw:1'],
    ['an empty tag', 'kw:1:month:'],
    ['a fifth part', 'kw:1:month:tag:more'],
    ['an over-long string', `kw:1:month:${'a'.repeat(200)}`],
  ])('rejects %s', (_name, value) => {
    expect(parseOrderReference(value, 'object.metadata.kw_ref')).toEqual({
      ok: false,
      error: { path: 'object.metadata.kw_ref', expected: expect.stringContaining('kw:<userId>') as string },
    });
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(parseOrderReference(value).ok).toBe(false);
      }),
    );
  });

  it('refuses to encode a value the format cannot carry', () => {
    expect(() => encodeOrderReference({ userId: '1', planCode: 'Bad Plan' })).toThrow(RangeError);
    expect(() => encodeOrderReference({ userId: 'x', planCode: 'month' })).toThrow(RangeError);
    expect(() => encodeOrderReference({ userId: '1', planCode: 'month', tag: 'a:b' })).toThrow(RangeError);
  });
});
