/**
 * How a targeted pass reads its batch: one read per email, or the whole panel once (the numbers
 * behind the rule are in src/reconciler/panel-read.ts, measured by bench/targeted-read.ts).
 */
import { describe, expect, it } from 'vitest';
import { shouldReadWholePanel } from '../../../src/reconciler/panel-read.ts';

describe('targeted read: single clients or the whole panel', () => {
  it.each([
    // generation, emails, clients on the panel, whole?
    ['g2', 1, 10_000, false],
    ['g2', 8, 10_000, false],
    ['g2', 12, 10_000, false],
    ['g2', 13, 10_000, true],
    ['g2', 1_000, 10_000, true],
    // A small panel's list costs about one round of per-email reads.
    ['g2', 1, 1_000, true],
    ['g2', 4, 2_000, false],
    ['g2', 5, 2_000, true],
    ['g2', 128, 100_000, false],
    ['g2', 129, 100_000, true],
    // A panel not read whole yet (size unknown, 0) is read whole.
    ['g2', 1, 0, true],
    // G1's single-client read already fetches the whole inbound.
    ['g1', 1, 10_000, true],
    ['g1', 1, 100, true],
  ] as const)('%s, %i emails on %i clients: whole = %s', (generation, emails, clients, whole) => {
    expect(shouldReadWholePanel(generation, emails, clients)).toBe(whole);
  });
});
