import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BOUNDARY_SLACK_MS, createExpiryTimer } from '../../../src/sources/expiry-timer.ts';
import { startResyncTicker } from '../../../src/sources/resync.ts';
import { createLogger } from '../../../src/shared/index.ts';

const logger = createLogger({
  level: 'silent',
  destination: new Writable({
    write: (_chunk, _encoding, done) => {
      done();
    },
  }),
});

describe('expiry timer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires at the boundary measured on the DB clock, however far the wall clock is off', async () => {
    let fired = 0;
    const timer = createExpiryTimer({ logger, onBoundary: () => (fired += 1) });
    // The DB clock is an hour ahead of this process: only the difference counts.
    const dbNow = new Date(Date.now() + 3_600_000);
    timer.arm(dbNow, new Date(dbNow.getTime() + 5_000), Date.now());
    await vi.advanceTimersByTimeAsync(5_000 + BOUNDARY_SLACK_MS - 1);
    expect(fired).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(fired).toBe(1);
  });

  it('counts the delay from when the DB clock was read, not from when the pass that read it finished', async () => {
    let fired = 0;
    const timer = createExpiryTimer({ logger, onBoundary: () => (fired += 1) });
    const dbNow = new Date(Date.now() + 3_600_000);
    const readAtMs = Date.now();
    // The pass that read the clock took 900 ms more before it armed the timer.
    await vi.advanceTimersByTimeAsync(900);
    timer.arm(dbNow, new Date(dbNow.getTime() + 5_000), readAtMs);
    await vi.advanceTimersByTimeAsync(5_000 - 900 + BOUNDARY_SLACK_MS - 1);
    expect(fired).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(fired).toBe(1);
    // A boundary already past when armed fires at once.
    timer.arm(dbNow, new Date(dbNow.getTime() + 5_000), readAtMs);
    expect(fired).toBe(2);
    timer.close();
  });

  it('re-arms from a targeted pass only when its boundary is sooner than the armed one', async () => {
    let fired = 0;
    const timer = createExpiryTimer({ logger, onBoundary: () => (fired += 1) });
    const dbNow = new Date();
    timer.arm(dbNow, new Date(dbNow.getTime() + 10_000), Date.now());
    expect(timer.armEarlier(dbNow, new Date(dbNow.getTime() + 20_000), Date.now())).toBe(false);
    expect(timer.armEarlier(dbNow, null, Date.now())).toBe(false);
    expect(timer.armEarlier(dbNow, new Date(dbNow.getTime() + 3_000), Date.now())).toBe(true);
    await vi.advanceTimersByTimeAsync(3_000 + BOUNDARY_SLACK_MS);
    expect(fired).toBe(1);
    // Nothing is armed after firing: a targeted pass's boundary arms it again.
    expect(timer.armEarlier(new Date(), new Date(Date.now() + 20_000), Date.now())).toBe(true);
    timer.close();
  });

  it('waits a boundary 40 days away in chunks of at most 60 s instead of firing at once', async () => {
    let fired = 0;
    const timer = createExpiryTimer({ logger, onBoundary: () => (fired += 1) });
    const now = new Date();
    const spy = vi.spyOn(globalThis, 'setTimeout');
    timer.arm(now, new Date(now.getTime() + 40 * 86_400_000), Date.now());
    await vi.advanceTimersByTimeAsync(30 * 86_400_000);
    expect(fired).toBe(0);
    const delays = spy.mock.calls.map((call) => call[1] ?? 0);
    expect(Math.max(...delays)).toBeLessThanOrEqual(60_000);
    await vi.advanceTimersByTimeAsync(10 * 86_400_000 + BOUNDARY_SLACK_MS);
    expect(fired).toBe(1);
    spy.mockRestore();
    timer.close();
  });

  it('re-arming replaces the deadline, and null disarms', async () => {
    let fired = 0;
    const timer = createExpiryTimer({ logger, onBoundary: () => (fired += 1) });
    const now = new Date();
    timer.arm(now, new Date(now.getTime() + 1_000), Date.now());
    timer.arm(now, new Date(now.getTime() + 10_000), Date.now());
    await vi.advanceTimersByTimeAsync(2_000);
    expect(fired).toBe(0);
    timer.arm(now, null, Date.now());
    await vi.advanceTimersByTimeAsync(20_000);
    expect(fired).toBe(0);
    expect(timer.deadlineMs).toBeUndefined();
  });
});

describe('resync ticker', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('ticks every interval within ±10 % jitter until closed', async () => {
    let ticks = 0;
    const ticker = startResyncTicker({ intervalMs: 10_000, onTick: () => (ticks += 1), random: () => 0 });
    await vi.advanceTimersByTimeAsync(8_999);
    expect(ticks).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(ticks).toBe(1);
    ticker.close();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(ticks).toBe(1);
  });
});
