import { describe, expect, it } from 'vitest';
import {
  asClientEmail,
  asInboundId,
  asKeyId,
  asPanelId,
  asUserId,
  type Action,
} from '../../../src/domain/index.ts';
import { createWriteQuarantine } from '../../../src/reconciler/write-quarantine.ts';
import { observation, observedClient } from '../../support/core-builders.ts';

function disableOf(id: number, inboundId = 1): Action {
  return {
    kind: 'disable',
    panelId: asPanelId(1),
    keyId: asKeyId(String(id)),
    userId: asUserId(String(id)),
    email: asClientEmail(`kw-${String(id)}`),
    inboundId: asInboundId(inboundId),
    reason: 'expired',
    fields: { enable: false, expiryTimeMs: 0, totalBytes: 0, resetDays: 0, flow: '' },
    before: { enable: true, expiryTimeMs: 0, totalBytes: 0, resetDays: 0, flow: '' },
    isFlagOnly: true,
  };
}

describe('write quarantine', () => {
  it('holds back writes to the inbound of a timed-out write, or to the whole panel with one write slot', () => {
    const quarantine = createWriteQuarantine({ quietMs: 60_000, now: () => 0 });
    quarantine.recordTimeout(disableOf(1, 1));
    expect(quarantine.blocking(disableOf(2, 1), false)?.action.email).toBe('kw-1');
    expect(quarantine.blocking(disableOf(3, 2), false)).toBeUndefined();
    expect(quarantine.blocking(disableOf(3, 2), true)?.action.email).toBe('kw-1');
  });

  it('lifts when a read shows the late write, not when it shows the old state', () => {
    const quarantine = createWriteQuarantine({ quietMs: 60_000, now: () => 0 });
    quarantine.recordTimeout(disableOf(1));
    quarantine.settle(asPanelId(1), observation([observedClient(1)]));
    expect(quarantine.blocking(disableOf(2), true)).toBeDefined();
    expect(quarantine.recheckInMs(asPanelId(1))).toBe(1_000);
    quarantine.settle(asPanelId(1), observation([observedClient(1, { isClientEnabled: false })]));
    expect(quarantine.blocking(disableOf(2), true)).toBeUndefined();
    expect(quarantine.recheckInMs(asPanelId(1))).toBeUndefined();
  });

  it('lifts after the quiet period', () => {
    let now = 0;
    const quarantine = createWriteQuarantine({ quietMs: 60_000, now: () => now });
    quarantine.recordTimeout(disableOf(1));
    now = 59_500;
    expect(quarantine.recheckInMs(asPanelId(1))).toBe(500);
    now = 60_000;
    expect(quarantine.blocking(disableOf(2), true)).toBeUndefined();
  });
});
