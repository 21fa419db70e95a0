/** Constant-time comparison of HMACs given as hex text. */
import { timingSafeEqual } from 'node:crypto';

/**
 * True when `hex` is the hex encoding of `expected`. The length is checked first because
 * timingSafeEqual throws on buffers of different lengths; malformed hex decodes short and fails it.
 */
export function hexMatches(hex: string, expected: Buffer): boolean {
  if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length !== expected.length * 2) {
    return false;
  }
  const given = Buffer.from(hex, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The first value of a header that node:http may give as a list. */
export function headerValue(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : value?.[0];
}
