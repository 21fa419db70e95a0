import { describe, expect, it } from 'vitest';
import { encodeCallbackData, parseCallbackData, type CallbackAction } from '../../../src/bot/index.ts';
import { asKeyId, asPlanId } from '../../../src/domain/index.ts';

describe('callback data', () => {
  const actions: CallbackAction[] = [
    { kind: 'menu' },
    { kind: 'plans' },
    { kind: 'trial' },
    { kind: 'keys' },
    { kind: 'get-key' },
    { kind: 'buy', planId: asPlanId('12') },
    { kind: 'show-key', keyId: asKeyId('9007199254740993') },
    { kind: 'replace-key', keyId: asKeyId('7') },
    { kind: 'revoke-key', keyId: asKeyId('7') },
    { kind: 'confirm-held', fingerprintPrefix: 'a1b2c3d4e5f6a7b8' },
  ];

  it.each(actions)('round-trips $kind within 64 bytes', (action) => {
    const data = encodeCallbackData(action);
    expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
    expect(parseCallbackData(data)).toEqual({ ok: true, value: action });
  });

  it('accepts the largest bigint id', () => {
    expect(parseCallbackData('show:9223372036854775807')).toEqual({
      ok: true,
      value: { kind: 'show-key', keyId: asKeyId('9223372036854775807') },
    });
  });

  it.each([
    undefined,
    '',
    'menu:1',
    'show',
    'show:0',
    'show:01',
    'show:1x',
    'buy:-3',
    'held:short',
    // Beyond PostgreSQL's bigint (issue 12): the query would fail instead of finding nothing.
    'show:9999999999999999999',
    'repl:9223372036854775808',
    'drop table',
    'x'.repeat(65),
  ])('rejects %j', (data) => {
    expect(parseCallbackData(data).ok).toBe(false);
  });
});
