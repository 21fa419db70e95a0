import { describe, expect, it } from 'vitest';
import { parseNotification } from '../../../src/sources/notification.ts';

describe('parseNotification', () => {
  it.each([
    {
      name: 'a period change names the user',
      raw: '{"table":"subscription_periods","user_id":42}',
      expected: {
        kind: 'row',
        table: 'subscription_periods',
        userId: '42',
        keyId: undefined,
        panelId: undefined,
        planId: undefined,
      },
    },
    {
      name: 'a key change names key, user and panel',
      raw: '{"table":"vpn_keys","key_id":7,"user_id":42,"panel_id":3}',
      expected: { kind: 'row', table: 'vpn_keys', userId: '42', keyId: '7', panelId: '3', planId: undefined },
    },
    {
      name: 'ids as strings are accepted',
      raw: '{"table":"plans","plan_id":"9"}',
      expected: {
        kind: 'row',
        table: 'plans',
        userId: undefined,
        keyId: undefined,
        panelId: undefined,
        planId: '9',
      },
    },
    {
      name: 'invalid JSON is kept, not dropped',
      raw: '{oops',
      expected: { kind: 'unrecognised', raw: '{oops' },
    },
    { name: 'a JSON array is unrecognised', raw: '[1]', expected: { kind: 'unrecognised', raw: '[1]' } },
    { name: 'an empty payload is unrecognised', raw: undefined, expected: { kind: 'unrecognised', raw: '' } },
  ])('$name', ({ raw, expected }) => {
    expect(parseNotification(raw)).toEqual(expected);
  });

  it('ignores ids that are not whole numbers', () => {
    expect(parseNotification('{"table":"users","user_id":"1;drop"}')).toMatchObject({
      kind: 'row',
      userId: undefined,
    });
  });
});
