/**
 * The safety valve over a sliding window (issue 11, item 3), pure: disables applied within the
 * window count against the limit, and realistic churn still goes through.
 */
import { describe, expect, it } from 'vitest';
import {
  asPanelId,
  planPass,
  valveLimit,
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

  describe('a targeted batch is judged against its whole panel', () => {
    /** A batch of `batch` served keys, `expiring` of them now off, on a panel with `outside` more. */
    function batchWith(
      batch: number,
      expiring: number,
      outside: { enabled: number; desiredEnabled: number },
      recent: number,
    ) {
      const window: ValveWindow = {
        disablesByPanel: new Map([[PANEL, recent]]),
        enabledByPanel: new Map([[PANEL, outside.enabled + batch]]),
        outsideBatch: new Map([[PANEL, outside]]),
      };
      return passWith(batch, expiring, window);
    }

    it('lets 1,000 expiries of a 10,000-key panel through in one batch when the window allows it', () => {
      const open = { ...POLICY, valvePercent: 100 };
      const keys: KeyRecord[] = Array.from({ length: 1_000 }, (_, index) =>
        keyRecord(index + 1, { isEntitled: false, hasHadSubscription: true }),
      );
      const snapshot: Snapshot = {
        now: NOW,
        panels: [{ panelId: PANEL, name: 'p1', isEnabled: true, isSuspended: false }],
        keys,
        nextBoundaryAt: null,
        confirmedHolds: new Set(),
        valveWindow: {
          disablesByPanel: new Map(),
          enabledByPanel: new Map([[PANEL, 10_000]]),
          outsideBatch: new Map([[PANEL, { enabled: 9_000, desiredEnabled: 9_000 }]]),
        },
      };
      const reads = new Map<typeof PANEL, PanelRead>([
        [
          PANEL,
          {
            kind: 'observed',
            observation: observation(keys.map((key) => observedClient(Number(key.keyId)))),
          },
        ],
      ]);
      const [plan] = planPass(snapshot, [PANEL], reads, open);
      expect(plan?.kind === 'planned' ? [plan.actions.length, plan.held.length] : []).toEqual([1_000, 0]);
      // Judged on the batch alone, every key of it would be off: held as an emptied panel.
      const { valveWindow: _window, ...withoutWindow } = snapshot;
      const alone = planPass(withoutWindow, [PANEL], reads, open);
      expect(alone[0]?.kind === 'planned' ? alone[0].held[0]?.cause : null).toBe('valve-empty-desired');
    });

    it('holds the batch that takes the window past the limit, counting the panel outside the batch', () => {
      // 100 keys on the panel: limit max(10, 20 % of 100) = 20.
      expect(batchWith(3, 3, { enabled: 80, desiredEnabled: 80 }, 17).held).toHaveLength(0);
      const over = batchWith(3, 3, { enabled: 79, desiredEnabled: 79 }, 18);
      expect(over.held.map((entry) => entry.cause)).toEqual(['valve-panel', 'valve-panel', 'valve-panel']);
    });

    it('counts the outside of the batch in the global limit', () => {
      // Panel 1: the batch of 3 plus 9 outside; panel 2: 12 keys and 8 disables in the window.
      const window: ValveWindow = {
        disablesByPanel: new Map([
          [PANEL, 0],
          [asPanelId(2), 8],
        ]),
        enabledByPanel: new Map([
          [PANEL, 12],
          [asPanelId(2), 4],
        ]),
        outsideBatch: new Map([[PANEL, { enabled: 9, desiredEnabled: 9 }]]),
      };
      // Global: enabled 12 + 4 + 8 disabled in the window = 24, limit 10; 8 + 3 > 10.
      expect(passWith(3, 3, window).held.map((entry) => entry.cause)).toEqual([
        'valve-global',
        'valve-global',
        'valve-global',
      ]);
    });

    it('holds even a lone disable that would leave its panel with nothing enabled (a panel pass decides)', () => {
      const plan = batchWith(1, 1, { enabled: 5, desiredEnabled: 0 }, 0);
      expect(plan.held.map((entry) => entry.cause)).toEqual(['valve-empty-desired']);
      // A panel pass over the same panel lets a lone disable through.
      expect(passWith(6, 1, windowOf(0)).held).toHaveLength(0);
    });

    it('a mass expiry arriving one user at a time: the batches within the limit go through, the rest are held', () => {
      const panelKeys = 100;
      const limit = valveLimit(panelKeys, POLICY);
      let applied = 0;
      let held = 0;
      for (let user = 0; user < 40; user += 1) {
        const plan = batchWith(
          1,
          1,
          {
            enabled: panelKeys - 1 - applied,
            desiredEnabled: panelKeys - 1 - user,
          },
          applied,
        );
        applied += plan.actions.length;
        held += plan.held.length;
      }
      expect(limit).toBe(20);
      expect(applied).toBe(limit);
      expect(held).toBe(40 - limit);
    });
  });
});
