import { describe, expect, it } from 'vitest';
import { createRateLimiter, pickFormat } from '../../../src/sub/index.ts';

const pick = (userAgent: string, accept = '*/*', formatParam: string | null = null): string => {
  const choice = pickFormat({ userAgent, accept, formatParam });
  return choice.kind === 'format' ? choice.format : 'unknown';
};

describe('pickFormat', () => {
  it.each([
    ['v2rayNG/1.9.30', 'base64'],
    ['v2rayN/7.2', 'base64'],
    ['Happ/3.7.0', 'base64'],
    ['Streisand/2.1', 'base64'],
    ['Shadowrocket/2.2.58 CFNetwork', 'base64'],
    ['NekoBox/Android/1.3.4', 'base64'],
    ['HiddifyNext/2.5.7 (android) like ClashMeta v2ray sing-box', 'base64'],
    ['clash-verge/v2.2.3', 'mihomo'],
    ['ClashMetaForAndroid/2.11.7.Meta', 'mihomo'],
    ['FlClash/v0.8.80', 'mihomo'],
    ['Stash/2.4.6 Clash/1.9.0', 'mihomo'],
    ['mihomo/1.19.3', 'mihomo'],
    ['SFA/1.12.8 (Android 14)', 'sing-box'],
    ['SFI/1.12.8 (iOS 18)', 'sing-box'],
    ['sing-box 1.12.8', 'sing-box'],
    ['Karing/1.1.2', 'sing-box'],
    ['okhttp/4.12.0', 'base64'],
  ])('%s gets %s', (userAgent, format) => {
    expect(pick(userAgent)).toBe(format);
  });

  it('gives a browser the page, unless the User-Agent is an app', () => {
    expect(pick('Mozilla/5.0 (X11; Linux x86_64)', 'text/html,application/xhtml+xml')).toBe('html');
    expect(pick('Happ/3.7.0', 'text/html')).toBe('base64');
  });

  it('lets ?format= win and refuses unknown values', () => {
    expect(pick('clash-verge/v2', '*/*', 'base64')).toBe('base64');
    expect(pick('Happ/3.7.0', '*/*', 'singbox')).toBe('sing-box');
    expect(pick('Happ/3.7.0', '*/*', 'clash')).toBe('mihomo');
    expect(pick('Happ/3.7.0', '*/*', 'xml')).toBe('unknown');
  });
});

describe('createRateLimiter', () => {
  it('allows a burst of the per-minute rate, then refills continuously', () => {
    let now = 0;
    const limiter = createRateLimiter({ perMinute: 2, now: () => now });
    expect([limiter.take('a').allowed, limiter.take('a').allowed, limiter.take('a').allowed]).toEqual([
      true,
      true,
      false,
    ]);
    expect(limiter.take('b').allowed).toBe(true);
    now += 30_000;
    expect(limiter.take('a').allowed).toBe(true);
  });

  it('stays bounded under a flood of distinct keys', () => {
    const limiter = createRateLimiter({ perMinute: 1, maxKeys: 100, now: () => 0 });
    for (let i = 0; i < 10_000; i += 1) {
      limiter.take(`k${String(i)}`);
    }
    // Bounded: the newest key still has its bucket and is limited on its second request.
    expect(limiter.take('k9999').allowed).toBe(false);
  });
});
