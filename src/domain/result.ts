/** A value or an error, for expected outcomes that are not exceptions (STYLE.md §4). */
export type Result<T, E> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

/** Wraps a success. */
export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

/** Wraps a failure. */
export function err<E>(error: E): { readonly ok: false; readonly error: E } {
  return { ok: false, error };
}

/** A parse failure: the path of the offending field (`clients[3].expiryTime`) and what was expected. */
export interface ParseError {
  readonly path: string;
  readonly expected: string;
}

/** Compile-time exhaustiveness for switches over discriminated unions. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
