import { describe, expect, it } from 'vitest';
import {
  asPanelId,
  planPass,
  recordPanelPass,
  summarisePanel,
  type Action,
  type ActionResult,
  type KeyRecord,
  type ObservedClient,
  type PanelPlan,
  type PanelRead,
  type Snapshot,
} from '../../../src/domain/index.ts';
import { keyRecord, NOW, observation, observedClient, POLICY } from '../../support/core-builders.ts';

const PANEL = asPanelId(1);
const AT = new Date(NOW.getTime() + 1_000);

function snapshot(keys: KeyRecord[]): Snapshot {
  return {
    now: NOW,
    panels: [{ panelId: PANEL, name: 'p1', isEnabled: true, isSuspended: false }],
    keys,
    nextBoundaryAt: null,
    confirmedHolds: new Set(),
  };
}

function plan(keys: KeyRecord[], read: PanelRead, policy = POLICY): PanelPlan {
  const [planned] = planPass(snapshot(keys), [PANEL], new Map([[PANEL, read]]), policy);
  if (planned === undefined) {
    throw new Error('no plan');
  }
  return planned;
}

const observed = (clients: ObservedClient[]): PanelRead => ({
  kind: 'observed',
  observation: observation(clients),
});

function actionsOf(panelPlan: PanelPlan): ReadonlyArray<Action> {
  return panelPlan.kind === 'planned' ? panelPlan.actions : [];
}

const applied = (action: Action, confirmed: ObservedClient | null): ActionResult => ({
  action,
  outcome: 'applied',
  error: null,
  confirmed,
});

describe('verdicts of planPass', () => {
  it('gives every key a verdict with its status', () => {
    const panelPlan = plan(
      [
        keyRecord(1),
        keyRecord(2, { isEntitled: false }),
        keyRecord(3),
        keyRecord(4, { clientUuid: 'ffffffff-0000-4000-8000-000000000000' }),
      ],
      observed([
        observedClient(1),
        observedClient(2),
        observedClient(3, { isClientEnabled: false }),
        observedClient(4),
      ]),
    );
    expect(panelPlan.verdicts.map((verdict) => [verdict.desired.key.keyId, verdict.status])).toEqual([
      ['1', 'converged'],
      ['2', 'pending'],
      ['3', 'pending'],
      ['4', 'needs-human'],
    ]);
    expect(panelPlan.verdicts[1]?.action?.kind).toBe('disable');
    expect(panelPlan.verdicts[1]?.notices).toMatchObject([{ kind: 'access-suspended' }]);
  });

  it('marks held disables as held, with the cause, and no action', () => {
    const keys = Array.from({ length: 15 }, (_, index) => keyRecord(index + 1, { isEntitled: false }));
    const clients = [
      ...keys.map((key) => observedClient(Number(key.keyId))),
      ...Array.from({ length: 5 }, (_, index) => observedClient(100 + index)),
    ];
    const panelPlan = plan(
      [...keys, ...clients.slice(15).map((c) => keyRecord(Number(c.email.slice(3))))],
      observed(clients),
    );
    const held = panelPlan.verdicts.filter((verdict) => verdict.status === 'held');
    expect(held).toHaveLength(15);
    expect(held[0]).toMatchObject({ action: null, hold: { cause: 'valve-panel' } });
  });

  it('gives the keys of an unreadable panel unknown verdicts with their desired state', () => {
    const panelPlan = plan([keyRecord(1), keyRecord(2, { isRevoked: true })], {
      kind: 'unknown',
      cause: 'timeout',
    });
    expect(panelPlan.verdicts.map((verdict) => [verdict.status, verdict.desired.kind])).toEqual([
      ['unknown', 'enabled'],
      ['unknown', 'disabled'],
    ]);
  });
});

describe('recordPanelPass', () => {
  it('records an in-sync key as converged with what was observed', () => {
    const panelPlan = plan([keyRecord(1)], observed([observedClient(1, { upBytes: 5 })]));
    const record = recordPanelPass({
      plan: panelPlan,
      scope: 'panel',
      read: undefined,
      results: [],
      isWriting: true,
      at: AT,
    });
    expect(record.keyStates).toEqual([
      {
        keyId: '1',
        desired: {
          kind: 'enabled',
          reason: 'entitled',
          expiryTimeMs: 0,
          totalBytes: 0,
          flow: '',
          entitledUntil: new Date(keyRecord(1).entitledUntilMs ?? 0).toISOString(),
          held: false,
        },
        observed: expect.objectContaining({
          kind: 'present',
          enable: true,
          upBytes: 5,
          at: AT.toISOString(),
        }) as unknown,
        converged: true,
        lastAction: null,
        lastError: null,
        failed: false,
        quotaBaseline: { periodId: '1', bytes: 5 },
        needsHuman: null,
      },
    ]);
    expect(record.events).toEqual([]);
    expect(record.outbox).toEqual([]);
    expect(record.held).toBeNull();
  });

  it('records an applied enable with the confirmed client, its event and the reactivation message', () => {
    const read = observed([observedClient(1, { isClientEnabled: false })]);
    const panelPlan = plan([keyRecord(1, { previousDesiredKind: 'disabled' })], read);
    const [action] = actionsOf(panelPlan);
    if (action === undefined) {
      throw new Error('expected an action');
    }
    const record = recordPanelPass({
      plan: panelPlan,
      scope: 'panel',
      read,
      results: [applied(action, observedClient(1))],
      isWriting: true,
      at: AT,
    });
    expect(record.keyStates[0]).toMatchObject({
      converged: true,
      lastAction: 'enable:applied',
      observed: { kind: 'present', enable: true },
      failed: false,
    });
    expect(record.events).toMatchObject([
      { keyId: '1', action: 'enable', outcome: 'applied', reason: 'entitled' },
    ]);
    expect(record.outbox).toMatchObject([
      { kind: 'access-reactivated', dedupeKey: 'access-reactivated:1:1' },
    ]);
    expect(record.generation).toBe('g2');
    expect(record.inbounds).toHaveLength(1);
  });

  it('records a failed action as not converged, counting the attempt, with no message', () => {
    const panelPlan = plan([keyRecord(1, { isEntitled: false })], observed([observedClient(1)]));
    const [action] = actionsOf(panelPlan);
    if (action === undefined) {
      throw new Error('expected an action');
    }
    const record = recordPanelPass({
      plan: panelPlan,
      scope: 'panel',
      read: undefined,
      results: [{ action, outcome: 'failed', error: 'timeout', confirmed: undefined }],
      isWriting: true,
      at: AT,
    });
    expect(record.keyStates[0]).toMatchObject({
      converged: false,
      failed: true,
      lastError: 'timeout',
      lastAction: 'disable:failed',
      observed: { kind: 'present', enable: true },
    });
    expect(record.outbox).toEqual([]);
  });

  it('records an applied suspension with its message', () => {
    const panelPlan = plan([keyRecord(1, { isEntitled: false })], observed([observedClient(1)]));
    const [action] = actionsOf(panelPlan);
    if (action === undefined) {
      throw new Error('expected an action');
    }
    const record = recordPanelPass({
      plan: panelPlan,
      scope: 'panel',
      read: undefined,
      results: [applied(action, observedClient(1, { isClientEnabled: false }))],
      isWriting: true,
      at: AT,
    });
    expect(record.keyStates[0]).toMatchObject({
      converged: true,
      desired: { kind: 'disabled', reason: 'expired' },
    });
    expect(record.outbox).toMatchObject([
      { kind: 'access-suspended', dedupeKey: 'access-suspended:1:1:expired', payload: { panel: 'p1' } },
    ]);
  });

  it('records a planned action in observe mode as not applied', () => {
    const panelPlan = plan([keyRecord(1)], observed([observedClient(1, { isClientEnabled: false })]));
    const record = recordPanelPass({
      plan: panelPlan,
      scope: 'panel',
      read: undefined,
      results: [],
      isWriting: false,
      at: AT,
    });
    expect(record.keyStates[0]).toMatchObject({
      converged: false,
      lastError: 'observe only: change not applied',
    });
  });

  it('records drift only a human can fix, even after an applied fix of the rest', () => {
    const panelPlan = plan(
      [keyRecord(1)],
      observed([observedClient(1, { uuid: 'ffffffff-0000-4000-8000-000000000000' })]),
    );
    const record = recordPanelPass({
      plan: panelPlan,
      scope: 'panel',
      read: undefined,
      results: [],
      isWriting: true,
      at: AT,
    });
    expect(record.keyStates[0]).toMatchObject({
      converged: false,
      lastError: expect.stringMatching(/^needs a human: identity-mismatch: /) as unknown,
      needsHuman: expect.stringMatching(/^identity-mismatch: .*reissue the key$/) as unknown,
    });
  });

  it('records held disables once as a held plan with events, desired marked held', () => {
    const keys = Array.from({ length: 20 }, (_, index) => keyRecord(index + 1, { isEntitled: index >= 15 }));
    const panelPlan = plan(keys, observed(keys.map((key) => observedClient(Number(key.keyId)))));
    const record = recordPanelPass({
      plan: panelPlan,
      scope: 'panel',
      read: undefined,
      results: [],
      isWriting: true,
      at: AT,
    });
    expect(record.held).toMatchObject({ cause: 'valve-panel' });
    expect(record.held?.actions).toHaveLength(15);
    expect(record.events.filter((event) => event.outcome === 'held')).toHaveLength(15);
    expect(record.keyStates[0]).toMatchObject({
      desired: { kind: 'disabled', held: true },
      converged: false,
      lastError: 'held by the safety valve (valve-panel)',
    });
  });

  it('records the keys of an unreadable panel as unknown, keeping their stored baselines', () => {
    const panelPlan = plan([keyRecord(1)], { kind: 'unknown', cause: 'timeout' });
    const record = recordPanelPass({
      plan: panelPlan,
      scope: 'panel',
      read: undefined,
      results: [],
      isWriting: true,
      at: AT,
    });
    expect(record).toMatchObject({ generation: null, inbounds: null, events: [], outbox: [], held: null });
    expect(record.keyStates).toEqual([
      {
        keyId: '1',
        desired: expect.objectContaining({ kind: 'enabled' }) as unknown,
        observed: { kind: 'unknown', cause: 'timeout', at: AT.toISOString() },
        converged: false,
        lastAction: null,
        lastError: 'panel unreadable: timeout',
        failed: false,
        quotaBaseline: null,
      },
    ]);
  });
});

describe('summarisePanel (keywarden_drift)', () => {
  function planned(panelPlan: PanelPlan): PanelPlan & { readonly kind: 'planned' } {
    if (panelPlan.kind !== 'planned') {
      throw new Error('expected a planned panel');
    }
    return panelPlan;
  }

  it("counts the drift left after the pass's fixes: applied actions remove theirs", () => {
    const panelPlan = planned(
      plan(
        [keyRecord(1), keyRecord(2), keyRecord(3), keyRecord(4, { isEntitled: false })],
        observed([
          observedClient(1, { isClientEnabled: false }),
          observedClient(2, { expiryTimeMs: 5 }),
          observedClient(3, { uuid: 'ffffffff-0000-4000-8000-000000000000', resetDays: 30 }),
          observedClient(4),
          observedClient(99),
        ]),
      ),
    );
    const results = panelPlan.actions.map((action): ActionResult =>
      action.keyId === '2'
        ? { action, outcome: 'failed', error: 'timeout', confirmed: undefined }
        : applied(action, null),
    );
    const summary = summarisePanel(panelPlan, results);
    expect(Object.fromEntries(summary.drift)).toEqual({
      'expiry-mismatch': 1,
      'identity-mismatch': 1,
      'orphan-client': 1,
    });
    expect(Object.fromEntries(summary.keys)).toEqual({ 'enabled:entitled': 3, 'disabled:expired': 1 });
  });

  it('counts all drift when nothing was applied (observe only, held)', () => {
    const panelPlan = planned(
      plan([keyRecord(1)], observed([observedClient(1, { isClientEnabled: false })])),
    );
    expect(Object.fromEntries(summarisePanel(panelPlan, []).drift)).toEqual({ 'disabled-should-be-on': 1 });
  });
});
