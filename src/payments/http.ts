/**
 * One JSON call to a payment provider's API over global fetch (so tests intercept it with msw), with a
 * timeout and the outcome split by what the caller should do next (STYLE.md §4):
 * - `ok`: 2xx with a JSON object body;
 * - `refused`: a 4xx the provider meant (bad request, unknown object, our credentials): retrying the
 *   same request will not help;
 * - `unavailable`: network failure, timeout, 429 or 5xx, or a body that is not JSON: the outcome is
 *   unknown, so a retry must repeat the same request (same idempotence key).
 * Error texts never contain credentials.
 */
import { toError } from '../shared/index.ts';

/** A JSON object as parsed. */
export type JsonObject = Readonly<Record<string, unknown>>;

/** What one call came to. */
export type ApiResult =
  | { readonly kind: 'ok'; readonly status: number; readonly body: JsonObject }
  | {
      readonly kind: 'refused';
      readonly status: number;
      readonly body: JsonObject | null;
      readonly reason: string;
    }
  | { readonly kind: 'unavailable'; readonly reason: string; readonly cause?: Error };

/** Whether `value` is a plain JSON object. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sends one request; never throws for provider or network failures. */
export async function callJsonApi(request: {
  readonly url: URL;
  readonly method: 'GET' | 'POST';
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  readonly fetch?: typeof fetch | undefined;
  /** `POST payments`, for messages. */
  readonly op: string;
}): Promise<ApiResult> {
  const fetchImpl = request.fetch ?? globalThis.fetch;
  const signals = [AbortSignal.timeout(request.timeoutMs), ...(request.signal ? [request.signal] : [])];
  let response: Response;
  try {
    response = await fetchImpl(request.url, {
      method: request.method,
      headers: {
        accept: 'application/json',
        ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...request.headers,
      },
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      signal: AbortSignal.any(signals),
    });
  } catch (thrown) {
    return {
      kind: 'unavailable',
      reason: `${request.op} failed to reach the provider`,
      cause: toError(thrown),
    };
  }
  let body: unknown;
  try {
    const text = await response.text();
    body = text.length === 0 ? null : (JSON.parse(text) as unknown);
  } catch (thrown) {
    return {
      kind: 'unavailable',
      reason: `${request.op} answered HTTP ${response.status} with a body that is not JSON`,
      cause: toError(thrown),
    };
  }
  const object = isJsonObject(body) ? body : null;
  if (response.status === 429 || response.status >= 500) {
    return { kind: 'unavailable', reason: `${request.op} answered HTTP ${response.status}` };
  }
  if (response.status >= 400) {
    const description =
      object !== null && typeof object['description'] === 'string' ? `: ${object['description']}` : '';
    return {
      kind: 'refused',
      status: response.status,
      body: object,
      reason: `${request.op} answered HTTP ${response.status}${description.slice(0, 300)}`,
    };
  }
  if (object === null) {
    return { kind: 'unavailable', reason: `${request.op} answered JSON that is not an object` };
  }
  return { kind: 'ok', status: response.status, body: object };
}

/**
 * Writes a decimal string with exactly `decimals` fraction digits, without floats ("299" → "299.00",
 * "3.50000000" → "3.50"). Digits beyond `decimals` must be zeros; anything else is a RangeError.
 */
export function fixedDecimals(amount: string, decimals: number): string {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(amount);
  if (!match) {
    throw new RangeError(`not a decimal amount: ${JSON.stringify(amount)}`);
  }
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  if (/[^0]/.test(fraction.slice(decimals))) {
    throw new RangeError(`${amount} has more than ${decimals} decimals`);
  }
  const kept = fraction.slice(0, decimals).padEnd(decimals, '0');
  return decimals === 0 ? whole : `${whole}.${kept}`;
}

/** Writes a decimal string without trailing fraction zeros ("3.50000000" → "3.5", "250.00" → "250"). */
export function trimDecimals(amount: string): string {
  return amount.includes('.') ? amount.replace(/0+$/, '').replace(/\.$/, '') : amount;
}
