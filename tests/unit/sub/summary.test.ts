import { describe, expect, it } from 'vitest';
import type { SubscriptionKey, SubscriptionView } from '../../../src/db/index.ts';
import { asKeyId, asUserId } from '../../../src/domain/index.ts';
import { subTexts, summarize, userinfoOf } from '../../../src/sub/index.ts';

const texts = subTexts('en');
const key = (id: number, overrides: Partial<SubscriptionKey> = {}): SubscriptionKey => ({
  id: asKeyId(id),
  email: `kw-${String(id)}`,
  clientUuid: '0f5c6a8e-3b1d-4c2a-9e7f-1a2b3c4d5e6f',
  secret: 's',
  flow: '',
  isEnabled: true,
  panelName: 'nl',
  publicHost: 'nl1.example.net',
  baseUrl: 'https://panel.example:2053/x/',
  inbound: {
    protocol: 'vless',
    port: 443,
    remark: 'NL',
    settings: { encryption: 'none' },
    streamSettings: { network: 'tcp', security: 'none' },
  },
  ...overrides,
});
const view = (overrides: Partial<SubscriptionView> = {}): SubscriptionView => ({
  userId: asUserId(1),
  now: new Date('2026-06-01T00:00:00Z'),
  language: 'en',
  isBanned: false,
  isEntitled: true,
  coverageEndsAt: new Date('2026-07-01T00:00:00Z'),
  plan: { code: 'm', title: 'Month', trafficLimitBytes: 1000, maxDevices: null },
  usedBytes: 250,
  keys: [key(1)],
  ...overrides,
});

describe('summarize', () => {
  it.each([
    ['active', view(), 'active', null],
    ['banned', view({ isBanned: true, isEntitled: false }), 'blocked', 'Access blocked — contact support'],
    ['expired', view({ isEntitled: false }), 'expired', 'Subscription expired — renew in @shop_bot'],
    ['entitled, no keys', view({ keys: [] }), 'no-keys', 'No active keys yet — get one in @shop_bot'],
    [
      'entitled, only disabled keys',
      view({ keys: [key(1, { isEnabled: false })] }),
      'no-keys',
      'No active keys yet — get one in @shop_bot',
    ],
  ] as const)('%s → %s', (_name, given, state, placeholder) => {
    const summary = summarize(given, texts, 'shop_bot');
    expect(summary.state).toBe(state);
    expect(summary.placeholder?.name ?? null).toBe(placeholder);
  });

  it('serves only enabled keys, counts unrenderable ones, and makes names unique', () => {
    const summary = summarize(
      view({
        keys: [
          key(1),
          key(2, { isEnabled: false }),
          key(3, { inbound: null }),
          key(4, { email: 'kw-1' }),
          key(5, {
            inbound: { protocol: 'wireguard', port: 1, remark: '', settings: {}, streamSettings: {} },
          }),
        ],
      }),
      texts,
      undefined,
    );
    expect(summary.connections.map((connection) => connection.name)).toEqual(['NL-kw-1', 'NL-kw-1 (2)']);
    expect(summary.unrenderable).toBe(2);
  });

  it('reports 0 for no quota and no coverage end', () => {
    const summary = summarize(view({ plan: null, coverageEndsAt: null, usedBytes: 7 }), texts, undefined);
    expect(userinfoOf(summary)).toBe('upload=0; download=7; total=0; expire=0');
    expect(userinfoOf(summarize(view(), texts, undefined))).toBe(
      `upload=0; download=250; total=1000; expire=${String(Date.parse('2026-07-01T00:00:00Z') / 1000)}`,
    );
  });
});
