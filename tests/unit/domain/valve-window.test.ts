/**
 * The safety valve over a sliding window (issue 11, item 3), pure: disables applied within the
 * window count against the limit, and realistic churn still goes through.
 */
import { describe, expect, it } from 'vitest';
import {
  asPanelId,
  planPass,
  type KeyRecord,
  type PanelRead,
  type Snapshot,
  type ValveWindow,
} from '../../../src/domain/index.ts';
import { keyRecord, NOW, observation, observedClient, POLICY } from '../../support/core-builders.ts';

const PANEL = asPanelId(1);

/** A pass over one panel of `enabled` served keys of which `expiring` should now be off. */
function passWith(enabled: number, expiring: number, window: ValveWindow, policy = POLICY) {
  const keys: KeyRecord[] = Array.from({ length: enabled }, (_, index) =>
    keyRecord(index + 1, { isEntitled: index >= expiring, hasHadSubscription: true }),
  );
  const snapshot: Snapshot = {
    now: NOW,
    panels: [{ panelId: PANEL, name: 'p1', isEnabled: true, isSuspended: false }],
    keys,
    nextBoundaryAt: null,
    confirmedHolds: new Set(),
    valveWindow: window,
  };
  const reads = new Map<typeof PANEL, PanelRead>([
    [
      PANEL,
      { kind: 'observed', observation: observation(keys.map((key) => observedClient(Number(key.keyId)))) },
    ],
  ]);
  const [plan] = planPass(snapshot, [PANEL], reads, policy);
  if (plan?.kind !== 'planned') {
    throw new Error('expected a planned panel');
  }
  return plan;
}

const windowOf = (recent: number, others: ReadonlyArray<[number, number, number]> = []): ValveWindow => ({
  disablesByPanel: new Map([
    [PANEL, recent],
    ...others.map(([id, disables]) => [asPanelId(id), disables] as const),
  ]),
  enabledByPanel: new Map(others.map(([id, , enabled]) => [asPanelId(id), enabled] as const)),
});

describe('safety valve window', () => {
  it('lets a disable through while the window is under the limit, and holds the one that would exceed it', () => {
    // 100 keys: limit max(10, 20 % of (enabled now + disabled in the window)).
    expect(passWith(100, 1, windowOf(9)).held).toHaveLength(0);
    expect(passWith(90, 1, windowOf(20)).held).toHaveLength(0);
    expect(passWith(78, 1, windowOf(22)).held).toHaveLength(1);
    expect(passWith(78, 1, windowOf(22)).held[0]?.cause).toBe('valve-panel');
  });

  it('counts the other panels of the window globally', () => {
    // This panel: 14 keys, 1 disable, 2 already this window; the other: 14 keys, 8 disabled in it.
    const plan = passWith(14, 1, windowOf(2, [[2, 8, 6]]));
    expect(plan.held.map((entry) => entry.cause)).toEqual(['valve-global']);
    expect(passWith(14, 1, windowOf(2, [[2, 6, 8]])).held).toHaveLength(0);
  });

  it('never holds realistic churn: 1 % of 1,000 keys expiring per hour, spread, over a day', () => {
    const windowMs = 10 * 60_000;
    const applied: number[] = [];
    const everyMs = 3_600_000 / 10;
    let held = 0;
    for (let at = 0; at < 24 * 3_600_000; at += everyMs) {
      const recent = applied.filter((time) => time > at - windowMs).length;
      const plan = passWith(1_000 - applied.length, 1, windowOf(recent));
      held += plan.held.length;
      applied.push(at);
    }
    expect(applied).toHaveLength(240);
    expect(held).toBe(0);
  });

  it('still lets a lone expiry through on a small panel with an empty window', () => {
    expect(passWith(3, 1, windowOf(0)).held).toHaveLength(0);
  });
});
