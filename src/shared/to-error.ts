/** Normalises anything thrown into an Error, keeping the original as `cause` when it was not one. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) {
    return thrown;
  }
  const text = typeof thrown === 'string' ? thrown : safeStringify(thrown);
  return new Error(text, { cause: thrown });
}

function safeStringify(value: unknown): string {
  try {
    // JSON.stringify returns undefined for undefined, functions and symbols, whatever its type says.
    const json = JSON.stringify(value) as string | undefined;
    return json ?? String(value);
  } catch {
    // A cyclic or exotic value: its String() form is the best we can say about it.
    return String(value);
  }
}
