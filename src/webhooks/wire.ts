/**
 * Small readers for provider JSON: each returns a Result naming the path of the offending field
 * (STYLE.md §3, "parse, don't validate"). Used by the provider parsers only.
 */
import { err, ok, type ParseError, type Result } from '../domain/index.ts';

/** A JSON object. */
export type JsonObject = Readonly<Record<string, unknown>>;

/** True for a plain JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads an object at `path`. */
export function readObject(value: unknown, path: string): Result<JsonObject, ParseError> {
  return isJsonObject(value) ? ok(value) : err({ path, expected: 'an object' });
}

/** Reads a non-empty string of at most `maxLength` characters. */
export function readString(value: unknown, path: string, maxLength = 256): Result<string, ParseError> {
  return typeof value === 'string' && value.length > 0 && value.length <= maxLength
    ? ok(value)
    : err({ path, expected: `a string of 1 to ${maxLength} characters` });
}

/** Reads a string that must equal one of `values`. */
export function readLiteral<const T extends string>(
  value: unknown,
  path: string,
  values: readonly T[],
): Result<T, ParseError> {
  return typeof value === 'string' && (values as readonly string[]).includes(value)
    ? ok(value as T)
    : err({ path, expected: values.map((v) => JSON.stringify(v)).join(' or ') });
}

// numeric(20, 8) in the schema: at most 12 digits before the point and 8 after.
const DECIMAL = /^(0|[1-9][0-9]{0,11})(\.[0-9]{1,8})?$/;

/** Reads a non-negative decimal amount given as a string (`"299.00"`, `"3.5"`), never a float. */
export function readAmount(value: unknown, path: string): Result<string, ParseError> {
  return typeof value === 'string' && DECIMAL.test(value)
    ? ok(value)
    : err({ path, expected: 'a decimal amount as a string, like "299.00"' });
}

/** Reads a currency or asset code (`RUB`, `USDT`, `XTR`), as the schema's plans.currency allows. */
export function readCurrency(value: unknown, path: string): Result<string, ParseError> {
  return typeof value === 'string' && /^[A-Z0-9]{2,10}$/.test(value)
    ? ok(value)
    : err({ path, expected: 'a currency code of 2 to 10 upper-case letters or digits' });
}

/** Reads an optional field: undefined and null become null. */
export function optional<T>(
  value: unknown,
  read: (value: unknown) => Result<T, ParseError>,
): Result<T | null, ParseError> {
  return value === undefined || value === null ? ok(null) : read(value);
}

/** Copies the listed fields that are JSON scalars (for audit payloads), dropping everything else. */
export function pickScalars(source: JsonObject, keys: readonly string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const key of keys) {
    const value = source[key];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      picked[key] = value;
    }
  }
  return picked;
}
