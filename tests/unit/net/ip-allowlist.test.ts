import { describe, expect, it } from 'vitest';
import {
  createIpAllowlist,
  normaliseAddress,
  resolveClientAddress,
  type TrustedProxy,
} from '../../../src/net/index.ts';

const PUBLISHED = [
  '185.71.76.0/27',
  '185.71.77.0/27',
  '77.75.153.0/25',
  '77.75.154.128/25',
  '77.75.156.11',
  '77.75.156.35',
  '2a02:5180::/32',
];

const published = (() => {
  const list = createIpAllowlist(PUBLISHED);
  if (!list.ok) {
    throw new Error(list.error);
  }
  return list.value;
})();

describe('YooKassa IP allowlist', () => {
  it.each([
    ['185.71.76.0', true],
    ['185.71.76.31', true],
    ['185.71.76.32', false],
    ['185.71.77.17', true],
    ['77.75.153.127', true],
    ['77.75.153.128', false],
    ['77.75.154.128', true],
    ['77.75.154.127', false],
    ['77.75.156.11', true],
    ['77.75.156.12', false],
    ['::ffff:185.71.76.10', true],
    ['::FFFF:77.75.156.35', true],
    ['::ffff:10.0.0.1', false],
    ['2a02:5180::1', true],
    ['2a02:5180:0:1509::5', true],
    ['2a02:5180:ffff:ffff:ffff:ffff:ffff:ffff', true],
    ['2A02:5180:0:2655::1', true],
    ['2a02:5181::1', false],
    ['[2a02:5180::1]', true],
    ['fe80::1%eth0', false],
    ['127.0.0.1', false],
    ['::1', false],
    ['not-an-address', false],
    ['', false],
  ])('%s → %s', (address, allowed) => {
    expect(published.allows(address)).toBe(allowed);
  });

  it('rejects entries that are not addresses or blocks, naming them', () => {
    expect(createIpAllowlist(['185.71.76.0/33'])).toEqual({
      ok: false,
      error: expect.stringContaining('185.71.76.0/33') as string,
    });
    expect(createIpAllowlist(['2a02:5180::/129']).ok).toBe(false);
    expect(createIpAllowlist(['1.2.3']).ok).toBe(false);
    expect(createIpAllowlist(['1.2.3.4/8/9']).ok).toBe(false);
    expect(createIpAllowlist(['1.2.3.4/']).ok).toBe(false);
  });

  it('matches an IPv4-mapped entry against plain IPv4 callers', () => {
    const list = createIpAllowlist(['::ffff:10.1.2.3']);
    expect(list.ok && list.value.allows('10.1.2.3')).toBe(true);
  });
});

describe('client address', () => {
  it('is the socket peer without a trusted proxy header, IPv4-mapped form unwrapped', () => {
    expect(resolveClientAddress({ 'x-forwarded-for': '185.71.76.1' }, '::ffff:127.0.0.1', undefined)).toBe(
      '127.0.0.1',
    );
  });

  it('is the right-most hop that is not one of our proxies, whatever the caller prepended', () => {
    const proxy = trusted('x-forwarded-for', ['10.0.0.0/8']);
    expect(resolveClientAddress({ 'x-forwarded-for': '185.71.76.1, 203.0.113.7' }, '10.0.0.2', proxy)).toBe(
      '203.0.113.7',
    );
    // Two of our proxies in a row: both are skipped.
    expect(
      resolveClientAddress({ 'x-forwarded-for': '185.71.76.1, 203.0.113.7, 10.0.0.9' }, '10.0.0.2', proxy),
    ).toBe('203.0.113.7');
    // Repeated headers are one list, in order.
    expect(
      resolveClientAddress({ 'x-forwarded-for': ['185.71.76.1', '203.0.113.7'] }, '10.0.0.2', proxy),
    ).toBe('203.0.113.7');
    expect(
      resolveClientAddress({ 'x-real-ip': ' 2a02:5180::7 ' }, '10.0.0.2', trusted('x-real-ip', ['10.0.0.2'])),
    ).toBe('2a02:5180::7');
  });

  it('ignores the header on a connection that does not come from a trusted proxy (reproduces issue 12)', () => {
    // A direct connection forging X-Forwarded-For: the socket address is the caller.
    const proxy = trusted('x-forwarded-for', ['127.0.0.1']);
    expect(resolveClientAddress({ 'x-forwarded-for': '185.71.76.1' }, '203.0.113.50', proxy)).toBe(
      '203.0.113.50',
    );
    expect(resolveClientAddress({ 'x-forwarded-for': '185.71.76.1' }, '::ffff:127.0.0.1', proxy)).toBe(
      '185.71.76.1',
    );
  });

  it('is unknown when a proxied request lacks the header or a hop is not an address', () => {
    const proxy = trusted('x-real-ip', ['185.71.76.1']);
    expect(resolveClientAddress({}, '185.71.76.1', proxy)).toBeNull();
    expect(resolveClientAddress({ 'x-real-ip': 'unknown' }, '185.71.76.1', proxy)).toBeNull();
  });

  it('normalises brackets, zones and case', () => {
    expect(normaliseAddress('[2A02:5180::1]')).toBe('2a02:5180::1');
    expect(normaliseAddress('fe80::1%eth0')).toBe('fe80::1');
    expect(normaliseAddress('999.1.1.1')).toBeNull();
  });
});

function trusted(header: string, proxies: readonly string[]): TrustedProxy {
  const list = createIpAllowlist(proxies);
  if (!list.ok) {
    throw new Error(list.error);
  }
  return { header, proxies: list.value };
}
