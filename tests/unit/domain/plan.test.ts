import { describe, expect, it } from 'vitest';
import {
  asPanelId,
  computeDesired,
  diffPanel,
  fingerprintHeld,
  planPass,
  planPanel,
  valveLimit,
  type DriftKind,
  type KeyRecord,
  type ObservedClient,
  type PanelRead,
  type Snapshot,
} from '../../../src/domain/index.ts';
import { keyRecord, NOW, observation, observedClient, POLICY } from '../../support/core-builders.ts';

const PANEL = asPanelId(1);

function snapshot(keys: KeyRecord[]): Snapshot {
  return {
    now: NOW,
    panels: [{ panelId: PANEL, name: 'p1', isEnabled: true, isSuspended: false }],
    keys,
    nextBoundaryAt: null,
    confirmedHolds: new Set(),
  };
}

function planOne(keys: KeyRecord[], clients: ObservedClient[], policy = POLICY) {
  const reads = new Map<typeof PANEL, PanelRead>([
    [PANEL, { kind: 'observed', observation: observation(clients) }],
  ]);
  const [plan] = planPass(snapshot(keys), [PANEL], reads, policy);
  if (plan?.kind !== 'planned') {
    throw new Error('expected a planned panel');
  }
  return plan;
}

describe('diff', () => {
  const cases: ReadonlyArray<{
    name: string;
    key?: Partial<KeyRecord>;
    client: Partial<ObservedClient> | null;
    drift: DriftKind[];
  }> = [
    { name: 'in sync: no drift', client: {}, drift: [] },
    { name: 'missing client of an entitled key', client: null, drift: ['missing-client'] },
    {
      name: 'missing client of a disabled key is no drift',
      key: { isRevoked: true },
      client: null,
      drift: [],
    },
    { name: 'client disabled by hand', client: { isClientEnabled: false }, drift: ['disabled-should-be-on'] },
    {
      name: 'client disabled by the panel job',
      client: { isTrafficEnabled: false },
      drift: ['disabled-should-be-on'],
    },
    {
      name: 'expired key still on',
      key: { isEntitled: false },
      client: {},
      drift: ['enabled-should-be-off'],
    },
    { name: 'expiry set by hand', client: { expiryTimeMs: 5 }, drift: ['expiry-mismatch'] },
    { name: 'quota changed', client: { totalBytes: 7 }, drift: ['quota-mismatch'] },
    { name: 'auto-renew on', client: { resetDays: 30 }, drift: ['reset-nonzero'] },
    {
      name: 'auto-renew on a disabled key',
      key: { isRevoked: true },
      client: { resetDays: 30, isClientEnabled: false },
      drift: ['reset-nonzero'],
    },
    { name: 'flow dropped', key: { flow: 'xtls-rprx-vision' }, client: {}, drift: ['flow-mismatch'] },
    {
      name: 'uuid rotated on the panel',
      client: { uuid: 'ffffffff-0000-4000-8000-000000000000' },
      drift: ['identity-mismatch'],
    },
  ];
  it.each(cases)('$name', ({ key, client, drift }) => {
    const desired = computeDesired(keyRecord(1, key), POLICY, 0);
    const result = diffPanel(
      PANEL,
      [desired],
      observation(client === null ? [] : [observedClient(1, client)]),
    );
    expect(result.keys[0]?.drift).toEqual(drift);
  });

  it('reports orphans and never plans an action for them', () => {
    const plan = planOne([keyRecord(1)], [observedClient(1), observedClient(99)]);
    expect(plan.diff.orphans).toEqual(['kw-99']);
    expect(plan.actions).toEqual([]);
  });

  it('reports duplicate emails as drift', () => {
    const desired = computeDesired(keyRecord(1), POLICY, 0);
    const result = diffPanel(PANEL, [desired], observation([observedClient(1)], [keyRecord(1).email]));
    expect(result.keys[0]?.drift).toContain('duplicate-email');
  });
});

describe('plan', () => {
  it('creates a missing client with the stored uuid, enabled with its fields', () => {
    const plan = planOne([keyRecord(1)], []);
    expect(plan.actions).toMatchObject([
      {
        kind: 'create',
        identity: { uuid: keyRecord(1).clientUuid, protocol: 'vless' },
        fields: { enable: true, resetDays: 0 },
      },
    ]);
  });

  it('enables a key disabled by hand with expiry, quota and reset set absolutely', () => {
    const plan = planOne(
      [keyRecord(1, { quotaBytes: 100 })],
      [observedClient(1, { isClientEnabled: false, resetDays: 3, expiryTimeMs: 5 })],
    );
    expect(plan.actions).toMatchObject([
      { kind: 'enable', fields: { enable: true, expiryTimeMs: 0, totalBytes: 100, resetDays: 0 } },
    ]);
  });

  it('disables an expired key keeping its other fields, as a flag-only change', () => {
    const plan = planOne(
      [keyRecord(1, { isEntitled: false })],
      [observedClient(1, { expiryTimeMs: 42, totalBytes: 9 })],
    );
    expect(plan.actions).toMatchObject([
      {
        kind: 'disable',
        reason: 'expired',
        isFlagOnly: true,
        fields: { enable: false, expiryTimeMs: 42, totalBytes: 9 },
      },
    ]);
  });

  it('clears auto-renew on a disabled key with an update', () => {
    const plan = planOne(
      [keyRecord(1, { isRevoked: true })],
      [observedClient(1, { isClientEnabled: false, resetDays: 7 })],
    );
    expect(plan.actions).toMatchObject([
      { kind: 'update', reason: 'revoked', fields: { enable: false, resetDays: 0 } },
    ]);
  });

  it('plans nothing for a converged key', () => {
    expect(planOne([keyRecord(1)], [observedClient(1)]).actions).toEqual([]);
  });

  it('plans nothing for a panel whose read failed (unknown is not absent)', () => {
    const reads = new Map<typeof PANEL, PanelRead>([[PANEL, { kind: 'unknown', cause: 'timeout' }]]);
    const plans = planPass(snapshot([keyRecord(1, { isEntitled: false })]), [PANEL], reads, POLICY);
    expect(plans).toMatchObject([{ kind: 'unknown', panelId: PANEL, cause: 'timeout' }]);
  });

  it('plans nothing for a panel that was not read at all', () => {
    const plans = planPass(snapshot([keyRecord(1)]), [PANEL], new Map(), POLICY);
    expect(plans[0]?.kind).toBe('unknown');
  });
});

describe('safety valve', () => {
  const ids = (n: number, from = 1) => Array.from({ length: n }, (_, index) => index + from);

  it.each([
    { enabled: 0, min: 10, percent: 20, limit: 10 },
    { enabled: 100, min: 10, percent: 20, limit: 20 },
    { enabled: 49, min: 10, percent: 20, limit: 10 },
    { enabled: 1000, min: 0, percent: 5, limit: 50 },
  ])(
    'limit for $enabled enabled keys (min $min, $percent %) is $limit',
    ({ enabled, min, percent, limit }) => {
      expect(valveLimit(enabled, { expiryMarginMs: undefined, valveMin: min, valvePercent: percent })).toBe(
        limit,
      );
    },
  );

  it('holds every disable when all periods are cancelled at once, but lets enables through', () => {
    const keys = [...ids(30).map((id) => keyRecord(id, { isEntitled: false })), keyRecord(31)];
    const clients = [
      ...ids(30).map((id) => observedClient(id)),
      observedClient(31, { isClientEnabled: false }),
    ];
    const plan = planOne(keys, clients);
    expect(plan.actions.map((action) => action.kind)).toEqual(['enable']);
    expect(plan.held).toHaveLength(30);
    expect(plan.held.every((entry) => entry.cause === 'valve-panel')).toBe(true);
  });

  it('lets a single expiry through', () => {
    const keys = [...ids(30).map((id) => keyRecord(id)), keyRecord(31, { isEntitled: false })];
    const plan = planOne(
      keys,
      ids(31).map((id) => observedClient(id)),
    );
    expect(plan.actions.map((action) => action.kind)).toEqual(['disable']);
    expect(plan.held).toEqual([]);
  });

  it('lets a lone expiry through even on a panel with a single key', () => {
    const plan = planOne([keyRecord(1, { isEntitled: false })], [observedClient(1)]);
    expect(plan.actions.map((action) => action.kind)).toEqual(['disable']);
  });

  it('holds disables when no key should stay enabled, even below the count limit', () => {
    const plan = planOne(
      ids(3).map((id) => keyRecord(id, { isEntitled: false })),
      ids(3).map((id) => observedClient(id)),
    );
    expect(plan.actions).toEqual([]);
    expect(plan.held.map((entry) => entry.cause)).toEqual([
      'valve-empty-desired',
      'valve-empty-desired',
      'valve-empty-desired',
    ]);
  });

  it('holds globally when the panels together exceed the limit', () => {
    const policy = { expiryMarginMs: undefined, valveMin: 5, valvePercent: 0 };
    const p2 = asPanelId(2);
    const keys = [
      ...ids(10).map((id) => keyRecord(id, { isEntitled: id > 4 })),
      ...ids(10, 11).map((id) => keyRecord(id, { panelId: p2, isEntitled: id > 14 })),
    ];
    const reads = new Map<typeof PANEL, PanelRead>([
      [PANEL, { kind: 'observed', observation: observation(ids(10).map((id) => observedClient(id))) }],
      [p2, { kind: 'observed', observation: observation(ids(10, 11).map((id) => observedClient(id))) }],
    ]);
    const snap = { ...snapshot(keys), panels: [] };
    const plans = planPass(snap, [PANEL, p2], reads, policy);
    expect(
      plans.map((plan) =>
        plan.kind === 'planned' ? [plan.actions.length, plan.held.map((h) => h.cause)[0]] : null,
      ),
    ).toEqual([
      [0, 'valve-global'],
      [0, 'valve-global'],
    ]);
  });

  it('releases held disables whose fingerprint an admin confirmed, and only those', () => {
    const keys = ids(30).map((id) => keyRecord(id, { isEntitled: id !== 1 && id > 15 }));
    const clients = ids(30).map((id) => observedClient(id));
    const held = planOne(keys, clients).held;
    const reads = new Map<typeof PANEL, PanelRead>([
      [PANEL, { kind: 'observed', observation: observation(clients) }],
    ]);
    const released = planPass(snapshot(keys), [PANEL], reads, POLICY, new Set([fingerprintHeld(held)]));
    const other = planPass(snapshot(keys), [PANEL], reads, POLICY, new Set(['0000000000000000']));
    expect(released[0]?.kind === 'planned' ? released[0].actions.length : -1).toBe(15);
    expect(other[0]?.kind === 'planned' ? other[0].held.length : -1).toBe(15);
  });

  it('never holds enables, whatever their number', () => {
    const plan = planPanel(
      diffPanel(
        PANEL,
        ids(50).map((id) => computeDesired(keyRecord(id), POLICY, 0)),
        observation(ids(50).map((id) => observedClient(id, { isClientEnabled: false }))),
      ),
      'p1',
    );
    expect(plan.actions.length).toBe(50);
  });
});
