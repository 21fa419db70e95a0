/** What the subscription server reports for metrics (wired to the catalog in app.ts). */
import type { SubFormat } from './client-format.ts';

/** How a request ended. */
export type FetchOutcome =
  'ok' | 'placeholder' | 'device-limit' | 'not-found' | 'rate-limited' | 'bad-request' | 'error';

/** Every outcome, for docs and tests. */
export const FETCH_OUTCOMES = [
  'ok',
  'placeholder',
  'device-limit',
  'not-found',
  'rate-limited',
  'bad-request',
  'error',
] as const satisfies readonly FetchOutcome[];

/** Metrics hooks of the subscription server. */
export interface SubObserver {
  /** One request answered; `format` is `none` when it never got that far. */
  onFetch(format: SubFormat | 'none', outcome: FetchOutcome): void;
}

/** Records nothing. */
export const NO_SUB_OBSERVER: SubObserver = { onFetch: () => undefined };
