/**
 * A targeted pass plans with the same pure core as a full pass, on a snapshot of some users' keys and
 * an observation of only their clients. Property: for random keys and panel states, targeted passes
 * over every user, one user at a time, plan the same actions as one full pass, applied or held alike.
 * Which of them the valve holds is judged per batch against the whole panel and the window (the keys
 * outside the batch as last recorded, the disables of earlier batches as applied within it), so:
 * when the full pass holds nothing, the batches hold nothing either (bar a lone disable that would
 * empty its panel, which a batch holds to hand it to a panel pass); when the full pass holds, the
 * batches hold some too and apply no more disables than the limit.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  asPanelId,
  planPass,
  valveLimit,
  type Action,
  type HeldAction,
  type KeyId,
  type PanelPlan,
  type ClientEmail,
  type KeyRecord,
  type ObservedClient,
  type PanelObservation,
  type PanelRead,
  type ReconcilePolicy,
  type Snapshot,
  type ValveWindow,
} from '../../../src/domain/index.ts';
import { keyRecord, NOW, observation, observedClient, POLICY } from '../../support/core-builders.ts';

const PANEL = asPanelId(1);

function snapshotOf(keys: readonly KeyRecord[], valveWindow?: ValveWindow): Snapshot {
  return {
    now: NOW,
    panels: [{ panelId: PANEL, name: 'p1', isEnabled: true, isSuspended: false }],
    keys,
    nextBoundaryAt: null,
    confirmedHolds: new Set(),
    ...(valveWindow === undefined ? {} : { valveWindow }),
  };
}

function planOf(
  keys: readonly KeyRecord[],
  observed: PanelObservation,
  policy: ReconcilePolicy,
  valveWindow?: ValveWindow,
): PanelPlan & { readonly kind: 'planned' } {
  const reads = new Map<typeof PANEL, PanelRead>([[PANEL, { kind: 'observed', observation: observed }]]);
  const [plan] = planPass(snapshotOf(keys, valveWindow), [PANEL], reads, policy);
  if (plan?.kind !== 'planned') {
    throw new Error('expected a planned panel');
  }
  return plan;
}

const allOf = (plan: {
  readonly actions: ReadonlyArray<Action>;
  readonly held: ReadonlyArray<HeldAction>;
}) => [...plan.actions, ...plan.held.map((entry) => entry.action)];

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

// The default valve, and a tight one (limit 2) so that holds are common.
const policyArbitrary = fc.constantFrom<ReconcilePolicy>(POLICY, { ...POLICY, valveMin: 2 });

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
      fc.property(world, policyArbitrary, ({ keys, clients, orphans }, policy) => {
        const present = clients.filter((client): client is ObservedClient => client !== null);
        const extra = Array.from({ length: orphans }, (_, index) => observedClient(10_000 + index));
        const full = observation([...present, ...extra]);
        const fullPlan = planOf(keys, full, policy);
        const expected = byKey(allOf(fullPlan));
        // What a batch finds recorded of the keys outside it: their clients' enable flag (as left
        // by earlier batches) and their desired state.
        const desiredEnabled = new Set<KeyId>(
          fullPlan.verdicts
            .filter((verdict) => verdict.desired.kind === 'enabled')
            .map((v) => v.desired.key.keyId),
        );
        const enabledNow = new Set<KeyId>(
          keys.filter((key) => full.clients.get(key.email)?.isClientEnabled === true).map((key) => key.keyId),
        );
        let recentDisables = 0;
        const planned: Action[] = [];
        const held: HeldAction[] = [];
        const users = [...new Set(keys.map((key) => key.userId))];
        for (const userId of users) {
          const mine = keys.filter((key) => key.userId === userId);
          const others = keys.filter((key) => key.userId !== userId);
          const plan = planOf(mine, narrowed(full, new Set(mine.map((key) => key.email))), policy, {
            disablesByPanel: new Map([[PANEL, recentDisables]]),
            enabledByPanel: new Map([[PANEL, enabledNow.size]]),
            outsideBatch: new Map([
              [
                PANEL,
                {
                  enabled: others.filter((key) => enabledNow.has(key.keyId)).length,
                  desiredEnabled: others.filter(
                    (key) => enabledNow.has(key.keyId) && desiredEnabled.has(key.keyId),
                  ).length,
                },
              ],
            ]),
          });
          for (const action of plan.actions) {
            if (action.kind === 'disable') {
              recentDisables += 1;
              enabledNow.delete(action.keyId);
            }
          }
          planned.push(...plan.actions);
          held.push(...plan.held);
        }
        expect(byKey([...planned, ...held.map((entry) => entry.action)])).toEqual(expected);
        if (fullPlan.held.length === 0) {
          // A batch holds only a disable that might empty the panel (a panel pass then decides).
          expect(held.filter((entry) => entry.cause !== 'valve-empty-desired')).toEqual([]);
          if ([...desiredEnabled].some((keyId) => enabledNow.has(keyId))) {
            expect(held).toEqual([]);
          }
        } else {
          expect(held.length).toBeGreaterThan(0);
          const applied = planned.filter((action) => action.kind === 'disable').length;
          expect(applied).toBeLessThanOrEqual(valveLimit(fullPlan.diff.enabledCount, policy));
        }
      }),
      { numRuns: 300 },
    );
  });
});
