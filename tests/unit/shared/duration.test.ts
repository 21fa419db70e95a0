import { describe, expect, it } from 'vitest';
import { formatDurationMs, parseDurationMs } from '../../../src/shared/index.ts';

describe('parseDurationMs', () => {
  it.each([
    ['250ms', 250],
    ['90s', 90_000],
    ['5m', 300_000],
    ['24h', 86_400_000],
    ['30d', 2_592_000_000],
    ['1.5h', 5_400_000],
    [' 10s ', 10_000],
    ['0s', 0],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it.each(['', '10', 'abc', '5 m', '-5s', '1w', 's', '1e3s'])('rejects %j', (text) => {
    expect(parseDurationMs(text)).toBeUndefined();
  });
});

describe('formatDurationMs', () => {
  it.each([
    [86_400_000, '1d'],
    [5_400_000, '90m'],
    [1_500, '1500ms'],
    [0, '0ms'],
  ])('formats %d as %s', (ms, text) => {
    expect(formatDurationMs(ms)).toBe(text);
  });
});
