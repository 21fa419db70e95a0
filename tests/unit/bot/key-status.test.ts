import { describe, expect, it } from 'vitest';
import { keyStatusOf, type KeyStateRow, type KeyStatus } from '../../../src/bot/index.ts';

describe('keyStatusOf', () => {
  const cases: Array<[string, KeyStateRow | null, KeyStatus]> = [
    ['no key_state row yet', null, { kind: 'setting-up' }],
    [
      'enabled and converged',
      { desired: { kind: 'enabled', reason: 'entitled' }, converged: true, lastError: null },
      { kind: 'active' },
    ],
    [
      'enabled, not converged yet',
      { desired: { kind: 'enabled', reason: 'entitled' }, converged: false, lastError: null },
      { kind: 'setting-up' },
    ],
    [
      'disabled for expiry',
      { desired: { kind: 'disabled', reason: 'expired' }, converged: true, lastError: null },
      { kind: 'suspended', reason: 'expired' },
    ],
    [
      'disabled for quota',
      { desired: { kind: 'disabled', reason: 'quota-exhausted' }, converged: true, lastError: null },
      { kind: 'suspended', reason: 'quota-exhausted' },
    ],
    [
      'disabled for an unknown reason',
      { desired: { kind: 'disabled', reason: 'moon-phase' }, converged: true, lastError: null },
      { kind: 'suspended', reason: 'other' },
    ],
    [
      'failing with an error',
      { desired: { kind: 'enabled' }, converged: false, lastError: 'panel said no' },
      { kind: 'problem', error: 'panel said no' },
    ],
    [
      'an unreadable desired shape, converged',
      { desired: ['?'], converged: true, lastError: null },
      { kind: 'problem', error: null },
    ],
    [
      'an unreadable desired shape, not converged',
      { desired: 'x', converged: false, lastError: null },
      { kind: 'setting-up' },
    ],
  ];
  it.each(cases)('%s', (_name, row, expected) => {
    expect(keyStatusOf(row)).toEqual(expected);
  });
});
