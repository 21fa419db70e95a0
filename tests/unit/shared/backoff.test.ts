import { describe, expect, it } from 'vitest';
import { backoffDelayMs, DEFAULT_BACKOFF } from '../../../src/shared/index.ts';

describe('backoffDelayMs', () => {
  it('doubles from 1 s and caps at 5 min, with jitter in [ceiling/2, ceiling]', () => {
    const low = (attempt: number): number => backoffDelayMs(attempt, DEFAULT_BACKOFF, () => 0);
    const high = (attempt: number): number => backoffDelayMs(attempt, DEFAULT_BACKOFF, () => 1);
    expect([high(1), high(2), high(3), high(4)]).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(low(1)).toBe(500);
    expect(high(20)).toBe(300_000);
    expect(low(20)).toBe(150_000);
    expect(high(10_000)).toBe(300_000);
  });

  it('treats attempt 0 or below like the first failure', () => {
    expect(backoffDelayMs(0, DEFAULT_BACKOFF, () => 1)).toBe(1_000);
  });
});
