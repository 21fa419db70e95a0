import { describe, expect, it } from 'vitest';
import { createTrustedProxy, resolveClientAddress } from '../../../src/net/index.ts';

describe('createTrustedProxy', () => {
  it('is undefined without a header, so the socket address is used', () => {
    expect(
      createTrustedProxy({ trustedProxyHeader: undefined, trustedProxies: ['10.0.0.1'] }),
    ).toBeUndefined();
  });

  it('refuses a header without proxies, naming KEYWARDEN_TRUSTED_PROXIES', () => {
    expect(() => createTrustedProxy({ trustedProxyHeader: 'x-forwarded-for', trustedProxies: [] })).toThrow(
      /KEYWARDEN_TRUSTED_PROXIES/,
    );
  });

  it('refuses a proxy entry that is not an address or block, naming the entry', () => {
    expect(() =>
      createTrustedProxy({ trustedProxyHeader: 'x-forwarded-for', trustedProxies: ['10.0.0.0/33'] }),
    ).toThrow(/10\.0\.0\.0\/33/);
  });

  it('builds a proxy whose header is honoured only from the listed peers', () => {
    const trusted = createTrustedProxy({
      trustedProxyHeader: 'X-Forwarded-For',
      trustedProxies: ['10.0.0.0/8'],
    });
    const headers = { 'x-forwarded-for': '1.2.3.4, 203.0.113.9' };
    expect(resolveClientAddress(headers, '::ffff:10.1.2.3', trusted)).toBe('203.0.113.9');
    expect(resolveClientAddress(headers, '198.51.100.1', trusted)).toBe('198.51.100.1');
  });
});
