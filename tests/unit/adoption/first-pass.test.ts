import { describe, expect, it } from 'vitest';
import {
  defaultOwnerSources,
  firstPassKey,
  planAdoption,
  predictFirstPass,
  type ExistingUser,
} from '../../../src/adoption/index.ts';
import {
  asClientEmail,
  asPanelId,
  asUserId,
  type ObservedClient,
  type PanelRead,
  type ReconcilePolicy,
} from '../../../src/domain/index.ts';
import { NOW, observation, observedClient, POLICY } from '../../support/core-builders.ts';

const DAY = 86_400_000;
const PANEL = asPanelId(1);

function client(email: string, tgId: number, overrides: Partial<ObservedClient> = {}): ObservedClient {
  return observedClient(1, { email: asClientEmail(email), tgId, subId: '', ...overrides });
}

function predict(
  clients: ObservedClient[],
  options: {
    policy?: ReconcilePolicy;
    users?: Map<number, ExistingUser>;
    quotas?: Map<string, number | null>;
    planCode?: string;
  } = {},
) {
  const panelObservation = observation(clients);
  const plan = planAdoption({
    panels: [{ panelId: PANEL, name: 'p1', observation: panelObservation, managed: new Map() }],
    sources: defaultOwnerSources(false),
    csv: [],
    defaultPlanCode: options.planCode ?? null,
    now: NOW,
  });
  const outcomes = predictFirstPass(plan, {
    snapshot: {
      now: NOW,
      panels: [{ panelId: PANEL, name: 'p1', isEnabled: true, isSuspended: false }],
      keys: [],
      nextBoundaryAt: null,
      confirmedHolds: new Set(),
    },
    reads: new Map<typeof PANEL, PanelRead>([[PANEL, { kind: 'observed', observation: panelObservation }]]),
    users: options.users ?? new Map(),
    planQuotas: options.quotas ?? new Map(),
    policy: options.policy ?? POLICY,
    graceMs: 0,
  });
  return (email: string) => outcomes.get(firstPassKey(PANEL, email));
}

describe('predictFirstPass', () => {
  it('leaves a paid client alone when its fields already match, and aligns expiry when they do not', () => {
    const until = NOW.getTime() + 10 * DAY;
    const withMargin = predict([client('a', 1, { expiryTimeMs: until })], {
      policy: { ...POLICY, expiryMarginMs: 0 },
    });
    expect(withMargin('a')).toEqual({ kind: 'unchanged', reason: 'entitled' });
    const withoutMargin = predict([client('a', 1, { expiryTimeMs: until })]);
    expect(withoutMargin('a')).toMatchObject({
      kind: 'action',
      action: 'update',
      drift: ['expiry-mismatch'],
    });
  });

  it('disables clients whose access ended, holding them when they exceed the valve', () => {
    const ended = (email: string, tgId: number) => client(email, tgId, { expiryTimeMs: NOW.getTime() - DAY });
    const few = predict([ended('a', 1), client('b', 2, { expiryTimeMs: NOW.getTime() + DAY })], {
      policy: { ...POLICY, expiryMarginMs: 0 },
    });
    expect(few('a')).toMatchObject({ kind: 'action', action: 'disable', reason: 'expired' });
    const many = predict(
      [ended('a', 1), ended('b', 2), client('c', 3, { expiryTimeMs: NOW.getTime() + DAY })],
      {
        policy: { expiryMarginMs: 0, valveMin: 1, valvePercent: 0 },
      },
    );
    expect(many('a')).toEqual({ kind: 'held', reason: 'expired', cause: 'valve-panel' });
    expect(many('b')).toEqual({ kind: 'held', reason: 'expired', cause: 'valve-panel' });
    expect(many('c')).toEqual({ kind: 'unchanged', reason: 'entitled' });
  });

  it('counts periods the owner already has in keywarden, and a ban', () => {
    const users = new Map<number, ExistingUser>([
      [
        1,
        {
          userId: asUserId(10),
          bannedAt: null,
          periods: [
            {
              id: '5',
              startsAt: new Date(NOW.getTime() - DAY),
              endsAt: new Date(NOW.getTime() + DAY),
              cancelledAt: null,
              quotaBytes: null,
            },
          ],
        },
      ],
      [2, { userId: asUserId(11), bannedAt: new Date(NOW.getTime() - DAY), periods: [] }],
    ]);
    const outcome = predict(
      [client('a', 1, { expiryTimeMs: 0 }), client('b', 2, { expiryTimeMs: NOW.getTime() + DAY })],
      { users },
    );
    expect(outcome('a')).toEqual({ kind: 'unchanged', reason: 'entitled' });
    expect(outcome('b')).toMatchObject({ kind: 'action', action: 'disable', reason: 'banned' });
  });

  it('sets a plan quota from the adoption on, counting from what the client used so far', () => {
    const until = NOW.getTime() + DAY;
    const outcome = predict(
      [client('a', 1, { upBytes: 5, downBytes: 5, totalBytes: 0, expiryTimeMs: until })],
      {
        policy: { ...POLICY, expiryMarginMs: 0 },
        planCode: 'month',
        quotas: new Map([['month', 100]]),
      },
    );
    expect(outcome('a')).toMatchObject({ kind: 'action', action: 'update', drift: ['quota-mismatch'] });
  });
});
