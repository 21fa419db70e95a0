import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../../../src/shared/index.ts';
import { DEFAULT_LOGIN_BACKOFF } from '../../../src/xui/index.ts';

// xui-api.md §2.1: 5 failed logins for one (IP, username) within 5 minutes block it for 15 minutes.
const WINDOW_MS = 5 * 60_000;

describe('DEFAULT_LOGIN_BACKOFF', () => {
  it('never lets a client with wrong credentials make 5 login attempts within 5 minutes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 12, maxLength: 12 }),
        (randoms) => {
          const attempts = [0];
          for (const [index, random] of randoms.entries()) {
            const previous = attempts[attempts.length - 1] ?? 0;
            attempts.push(previous + backoffDelayMs(index + 1, DEFAULT_LOGIN_BACKOFF, () => random));
          }
          for (const start of attempts) {
            expect(attempts.filter((at) => at >= start && at < start + WINDOW_MS).length).toBeLessThan(5);
          }
        },
      ),
    );
  });
});
