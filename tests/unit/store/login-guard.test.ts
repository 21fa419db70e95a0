import { describe, expect, it } from 'vitest';
import { lockoutClearsAt, LOCKOUT_WINDOW_MS, nextLoginAt } from '../../../src/store/index.ts';

describe('nextLoginAt (shared login backoff, issue 11 item 9)', () => {
  it('never lets a fifth refused login happen within 5 minutes, whatever the processes do', () => {
    const now = new Date('2026-12-01T12:00:00Z');
    const at = (secondsAgo: number): Date => new Date(now.getTime() - secondsAgo * 1000);
    // Four refusals in 40 s (several processes at once): the next waits for the oldest to age out.
    const next = nextLoginAt(4, [at(40), at(30), at(20), at(0)], now);
    expect(next.getTime()).toBeGreaterThanOrEqual(at(40).getTime() + LOCKOUT_WINDOW_MS);
    // A first refusal backs off 60 s, then doubling.
    expect(nextLoginAt(1, [now], now).getTime() - now.getTime()).toBe(60_000);
    expect(nextLoginAt(3, [at(180), at(60), now], now).getTime() - now.getTime()).toBe(240_000);
  });

  it('lets new credentials of the same username try at once, unless that would be the fifth failure in 5 min', () => {
    const now = new Date('2026-12-01T12:00:00Z');
    const at = (secondsAgo: number): Date => new Date(now.getTime() - secondsAgo * 1000);
    // 3x-ui v3.6.0 login_limiter.go: failures of one (address, username) within 5 min, password aside.
    expect(lockoutClearsAt([])).toBeUndefined();
    expect(lockoutClearsAt([at(200), at(100), at(10)])).toBeUndefined();
    expect(lockoutClearsAt([at(200), at(110), at(80), at(10)])).toEqual(
      new Date(at(200).getTime() + LOCKOUT_WINDOW_MS + 1_000),
    );
    // Only the last four count: the fifth latest has no say.
    expect(lockoutClearsAt([at(290), at(200), at(110), at(80), at(10)])).toEqual(
      new Date(at(200).getTime() + LOCKOUT_WINDOW_MS + 1_000),
    );
  });
});
