import { describe, expect, it } from 'vitest';
import {
  defaultOwnerSources,
  parseAdoptionCsv,
  parseOwnerSource,
  planAdoption,
  type AdoptionPanel,
  type CsvClaim,
  type ManagedKey,
  type OwnerSource,
} from '../../../src/adoption/index.ts';
import { asClientEmail, asKeyId, asPanelId, type ObservedClient } from '../../../src/domain/index.ts';
import { NOW, observation, observedClient } from '../../support/core-builders.ts';

const DAY = 86_400_000;
const PANEL = asPanelId(1);

function client(email: string, overrides: Partial<ObservedClient> = {}): ObservedClient {
  return observedClient(1, { email: asClientEmail(email), tgId: 0, subId: '', ...overrides });
}

function source(spec: string): OwnerSource {
  const parsed = parseOwnerSource(spec);
  if (!parsed.ok) {
    throw new Error(parsed.error);
  }
  return parsed.value;
}

function csv(text: string): ReadonlyArray<CsvClaim> {
  const parsed = parseAdoptionCsv(text);
  if (!parsed.ok) {
    throw new Error(JSON.stringify(parsed.error));
  }
  return parsed.value;
}

function plan(
  clients: ObservedClient[],
  options: {
    sources?: ReadonlyArray<OwnerSource>;
    csv?: ReadonlyArray<CsvClaim>;
    managed?: Map<string, ManagedKey>;
    duplicates?: string[];
  } = {},
) {
  const panel: AdoptionPanel = {
    panelId: PANEL,
    name: 'p1',
    observation: observation(clients, (options.duplicates ?? []).map(asClientEmail)),
    managed: options.managed ?? new Map(),
  };
  return planAdoption({
    panels: [panel],
    sources: options.sources ?? defaultOwnerSources(options.csv !== undefined),
    csv: options.csv ?? [],
    defaultPlanCode: null,
    now: NOW,
  });
}

const verdictOf = (result: ReturnType<typeof plan>, email: string) =>
  result.verdicts.find((verdict) => verdict.email === email);

describe('parseOwnerSource', () => {
  it.each(['tgid', 'csv', 'subid', 'email:^(?<tg>\\d+)[-_]', 'subid:^tg(?<tg>\\d+)$'])(
    'accepts %s',
    (spec) => {
      expect(parseOwnerSource(spec).ok).toBe(true);
    },
  );
  it.each([
    ['email', 'use tgid, csv'],
    ['email:^(\\d+)', 'named group tg'],
    ['email:^(?<tg>\\d+', 'not a valid regular expression'],
    ['phone', 'use tgid, csv'],
  ])('rejects %s with a one-line message', (spec, message) => {
    const parsed = parseOwnerSource(spec);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.error).toContain(message);
  });
});

describe('planAdoption', () => {
  it('decides by the first source in order that names an owner, and keeps later disagreements', () => {
    const clients = [client('7_a', { tgId: 8 })];
    const emailFirst = plan(clients, { sources: [source('email:^(?<tg>\\d+)_'), source('tgid')] });
    expect(verdictOf(emailFirst, '7_a')).toMatchObject({
      kind: 'adopt',
      telegramId: 7,
      matchedBy: 'email',
      disagreements: [{ telegramId: 8, source: 'tgid' }],
    });
    const tgidFirst = plan(clients, { sources: [source('tgid'), source('email:^(?<tg>\\d+)_')] });
    expect(verdictOf(tgidFirst, '7_a')).toMatchObject({ kind: 'adopt', telegramId: 8, matchedBy: 'tgid' });
  });

  it('gives a client the owner of the other clients in its subId group, and calls two owners ambiguous', () => {
    const result = plan([
      client('a', { tgId: 5, subId: 's1' }),
      client('b', { subId: 's1' }),
      client('c', { tgId: 6, subId: 's2' }),
      client('d', { tgId: 7, subId: 's2' }),
      client('e', { subId: 's2' }),
      client('f', { subId: '' }),
    ]);
    expect(verdictOf(result, 'b')).toMatchObject({ kind: 'adopt', telegramId: 5, matchedBy: 'subid' });
    expect(verdictOf(result, 'e')).toMatchObject({
      kind: 'ambiguous',
      claims: [{ telegramId: 6 }, { telegramId: 7 }],
    });
    expect(verdictOf(result, 'f')).toMatchObject({ kind: 'unmatched' });
  });

  it('counts a managed key’s owner in its subId group, and reports the client as managed', () => {
    const result = plan([client('kw-1', { subId: 's' }), client('phone', { subId: 's' })], {
      managed: new Map([['kw-1', { keyId: asKeyId(1), telegramId: 42 }]]),
    });
    expect(verdictOf(result, 'kw-1')).toMatchObject({ kind: 'managed', keyId: '1' });
    expect(verdictOf(result, 'phone')).toMatchObject({ kind: 'adopt', telegramId: 42 });
  });

  it('calls a CSV email under two telegram ids ambiguous, and takes access from the CSV line of the owner', () => {
    const claims = csv('1,a,2026-07-01\n2,a,2026-08-01\n3,b,2026-07-01,pro\n4,ghost\n');
    const result = plan([client('a'), client('B', { expiryTimeMs: NOW.getTime() + 99 * DAY })], {
      csv: claims,
    });
    expect(verdictOf(result, 'a')).toMatchObject({ kind: 'ambiguous', matchedBy: 'csv' });
    expect(verdictOf(result, 'B')).toMatchObject({
      kind: 'adopt',
      telegramId: 3,
      planCode: 'pro',
      access: { kind: 'until', from: 'csv', until: new Date('2026-07-02T00:00:00Z') },
    });
    expect(result.csvUnused.map((claim) => claim.email)).toEqual(['ghost']);
  });

  it('takes access from expiryTime (deadline, or delayed start from now) when the CSV has none', () => {
    const result = plan([
      client('1-a', { tgId: 1, expiryTimeMs: NOW.getTime() - DAY }),
      client('2-b', { tgId: 2, expiryTimeMs: -10 * DAY }),
      client('3-c', { tgId: 3, expiryTimeMs: 0 }),
    ]);
    expect(verdictOf(result, '1-a')).toMatchObject({ access: { kind: 'until', from: 'expiry' } });
    expect(verdictOf(result, '2-b')).toMatchObject({
      access: { kind: 'delayed-start', durationMs: 10 * DAY, until: new Date(NOW.getTime() + 10 * DAY) },
    });
    expect(verdictOf(result, '3-c')).toMatchObject({ access: { kind: 'none' } });
    expect(result.totals).toMatchObject({ paid: 1, ended: 1, noAccess: 1, users: 3 });
    expect(result.periods.map((period) => period.telegramId).sort()).toEqual([1, 2]);
  });

  it('gives a user one import period up to the latest access of their clients', () => {
    const result = plan([
      client('a', { tgId: 9, expiryTimeMs: NOW.getTime() + DAY }),
      client('b', { tgId: 9, expiryTimeMs: NOW.getTime() + 3 * DAY }),
    ]);
    expect(result.periods).toEqual([
      {
        panelId: PANEL,
        telegramId: 9,
        access: { kind: 'until', from: 'expiry', until: new Date(NOW.getTime() + 3 * DAY) },
        planCode: null,
      },
    ]);
  });

  it('skips clients whose identity a key cannot hold', () => {
    const result = plan(
      [
        client('with space', { tgId: 1 }),
        client('dup', { tgId: 2 }),
        client('bad-id', { tgId: 3, uuid: 'not-a-uuid' }),
      ],
      { duplicates: ['dup'] },
    );
    expect(result.verdicts.map((verdict) => [verdict.email, verdict.kind])).toEqual([
      ['bad-id', 'skipped'],
      ['dup', 'skipped'],
      ['with space', 'skipped'],
    ]);
  });

  it('has a fingerprint that changes with what would be written, not with the clock', () => {
    const clients = [client('1-a', { tgId: 1, expiryTimeMs: -DAY })];
    const first = plan(clients);
    const later = planAdoption({
      panels: [{ panelId: PANEL, name: 'p1', observation: observation(clients), managed: new Map() }],
      sources: defaultOwnerSources(false),
      csv: [],
      defaultPlanCode: null,
      now: new Date(NOW.getTime() + 60_000),
    });
    expect(later.fingerprint).toBe(first.fingerprint);
    expect(plan([client('1-a', { tgId: 2, expiryTimeMs: -DAY })]).fingerprint).not.toBe(first.fingerprint);
    expect(plan([client('1-a', { tgId: 1, expiryTimeMs: -2 * DAY })]).fingerprint).not.toBe(
      first.fingerprint,
    );
  });
});
