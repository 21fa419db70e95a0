/**
 * How a targeted pass reads its batch: one read per email, or the whole panel once (the numbers
 * behind the rule are in src/reconciler/panel-read.ts, measured by bench/targeted-read.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  G2_WHOLE_READ_FROM_BATCH,
  shouldReadWholePanel,
  WHOLE_READ_MAX_CLIENTS,
} from '../../../src/reconciler/panel-read.ts';

describe('targeted read: single clients or the whole panel', () => {
  it.each([
    // generation, emails, clients on the panel, whole?
    ['g2', 1, 10_000, false],
    ['g2', G2_WHOLE_READ_FROM_BATCH - 1, 10_000, false],
    ['g2', G2_WHOLE_READ_FROM_BATCH, 10_000, true],
    ['g2', 1_000, 10_000, true],
    ['g2', 1, WHOLE_READ_MAX_CLIENTS, true],
    ['g2', 1, WHOLE_READ_MAX_CLIENTS + 1, false],
    // A panel not read whole yet (size unknown, 0) is read whole.
    ['g2', 1, 0, true],
    // G1's single-client read already fetches the whole inbound.
    ['g1', 1, 10_000, true],
    ['g1', 1, 100, true],
  ] as const)('%s, %i emails on %i clients: whole = %s', (generation, emails, clients, whole) => {
    expect(shouldReadWholePanel(generation, emails, clients)).toBe(whole);
  });
});
