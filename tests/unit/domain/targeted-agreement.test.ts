/**
 * A targeted pass plans with the same pure core as a full pass, on a snapshot of some users' keys and
 * an observation of only their clients. Property: for random keys and panel states, the actions of
 * targeted passes over every user, one user at a time, equal those of one full pass, applied or held
 * alike (which of them the valve holds is decided on the whole panel: a targeted pass hands any
 * disable to a panel pass).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  asPanelId,
  planPass,
  type Action,
  type ClientEmail,
  type KeyRecord,
  type ObservedClient,
  type PanelObservation,
  type PanelRead,
  type Snapshot,
} from '../../../src/domain/index.ts';
import { keyRecord, NOW, observation, observedClient, POLICY } from '../../support/core-builders.ts';

const PANEL = asPanelId(1);

function snapshotOf(keys: readonly KeyRecord[]): Snapshot {
  return {
    now: NOW,
    panels: [{ panelId: PANEL, name: 'p1', isEnabled: true, isSuspended: false }],
    keys,
    nextBoundaryAt: null,
    confirmedHolds: new Set(),
  };
}

function actionsOf(keys: readonly KeyRecord[], observed: PanelObservation): Action[] {
  const reads = new Map<typeof PANEL, PanelRead>([[PANEL, { kind: 'observed', observation: observed }]]);
  return planPass(snapshotOf(keys), [PANEL], reads, POLICY).flatMap((plan) =>
    plan.kind === 'planned' ? [...plan.actions, ...plan.held.map((entry) => entry.action)] : [],
  );
}

/** Only the clients of `emails`, as a targeted read sees the panel. */
function narrowed(full: PanelObservation, emails: ReadonlySet<string>): PanelObservation {
  const clients = new Map<ClientEmail, ObservedClient>();
  for (const [email, client] of full.clients) {
    if (emails.has(email)) {
      clients.set(email, client);
    }
  }
  return { ...full, clients, duplicateEmails: full.duplicateEmails.filter((email) => emails.has(email)) };
}

const keyArbitrary = (id: number, userId: number) =>
  fc
    .record({
      isRevoked: fc.boolean(),
      isBanned: fc.boolean(),
      isEntitled: fc.boolean(),
      hasHadSubscription: fc.boolean(),
      quotaBytes: fc.option(fc.integer({ min: 1, max: 1_000 }), { nil: null }),
      flow: fc.constantFrom('', 'xtls-rprx-vision'),
      previousDesiredKind: fc.constantFrom('enabled' as const, 'disabled' as const, null),
    })
    .map((overrides) => keyRecord(id, { ...overrides, userId: keyRecord(userId).userId }));

const clientArbitrary = (id: number) =>
  fc.option(
    fc
      .record({
        isClientEnabled: fc.boolean(),
        isTrafficEnabled: fc.boolean(),
        expiryTimeMs: fc.constantFrom(0, 5, NOW.getTime() + 86_400_000),
        totalBytes: fc.constantFrom(0, 100, 1_000),
        upBytes: fc.integer({ min: 0, max: 2_000 }),
        resetDays: fc.constantFrom(0, 30),
        flow: fc.constantFrom('', 'xtls-rprx-vision'),
        uuid: fc.constantFrom(undefined, 'ffffffff-0000-4000-8000-000000000000'),
      })
      .map(({ uuid, ...overrides }) =>
        observedClient(id, uuid === undefined ? overrides : { ...overrides, uuid }),
      ),
    { nil: null },
  );

const byKey = (actions: readonly Action[]): Action[] =>
  [...actions].sort((a, b) => Number(a.keyId) - Number(b.keyId));

describe('targeted passes agree with a full pass', () => {
  it('plans the same actions, user by user, as one pass over the whole panel', () => {
    const world = fc
      .array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 12 })
      .chain((keysPerUser) => {
        const owners = keysPerUser.flatMap((count, user) => Array.from({ length: count }, () => user + 1));
        return fc.record({
          keys: fc.tuple(...owners.map((userId, index) => keyArbitrary(index + 1, userId))),
          clients: fc.tuple(...owners.map((_, index) => clientArbitrary(index + 1))),
          orphans: fc.integer({ min: 0, max: 3 }),
        });
      });
    fc.assert(
      fc.property(world, ({ keys, clients, orphans }) => {
        const present = clients.filter((client): client is ObservedClient => client !== null);
        const extra = Array.from({ length: orphans }, (_, index) => observedClient(10_000 + index));
        const full = observation([...present, ...extra]);
        const expected = byKey(actionsOf(keys, full));
        const users = [...new Set(keys.map((key) => key.userId))];
        const targeted = users.flatMap((userId) => {
          const mine = keys.filter((key) => key.userId === userId);
          return actionsOf(mine, narrowed(full, new Set(mine.map((key) => key.email))));
        });
        expect(byKey(targeted)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
