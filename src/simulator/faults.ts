/**
 * The simulated panel's fault switch: one fault at a time, optionally limited to paths containing a
 * text and to a number of requests, after which it clears itself.
 */
import { failure, json, LOGIN_PAGE, WENT_WRONG, type Answer } from './answers.ts';

/** A fault the panel injects instead of (or before) its normal answer. */
export type SimulatedFault =
  /** `refuse`: the listener is closed (connection refused); `destroy`: sockets are destroyed on request. */
  | { readonly kind: 'down'; readonly mode: 'refuse' | 'destroy' }
  /**
   * Answers after `delayMs`, and handles the request only then: a write lands late even when the
   * client gave up waiting (3x-ui finishes a request after the client left). On G1 a client write
   * reads its inbound when it arrives and saves the inbound's whole settings from that copy when it
   * lands: clients added meanwhile vanish, clients changed meanwhile revert (model/g1.ts).
   */
  | { readonly kind: 'slow'; readonly delayMs: number }
  /** Never answers (until the client gives up). */
  | { readonly kind: 'hang' }
  | { readonly kind: 'status'; readonly status: number }
  /** HTTP 200 with the HTML login page, as a panel behind a misrouted proxy or an expired session does. */
  | { readonly kind: 'html' }
  | { readonly kind: 'malformed-json' }
  /** HTTP 200 `success:false` with this error text. */
  | { readonly kind: 'refused'; readonly text: string }
  /** Every session cookie is treated as expired (login still works, but sessions never stick). */
  | { readonly kind: 'sessions-dropped' };

/** When a fault applies. */
export interface FaultScope {
  /** Only requests whose path (after the base path) contains this text. */
  readonly pathIncludes?: string;
  /** Only this many requests, then the fault clears itself. */
  readonly times?: number;
}

/** The current fault, if any. */
export interface FaultSwitch {
  set(fault: SimulatedFault, scope: FaultScope): void;
  clear(): void;
  /** The fault that applies to a request on this path (counting it against `times`), or undefined. */
  take(path: string): SimulatedFault | undefined;
}

/** Creates an empty fault switch. */
export function createFaultSwitch(): FaultSwitch {
  let current: { fault: SimulatedFault; scope: FaultScope; remaining: number } | undefined;
  return {
    set: (fault, scope) => {
      current = { fault, scope, remaining: scope.times ?? Number.POSITIVE_INFINITY };
    },
    clear: () => {
      current = undefined;
    },
    take: (path) => {
      if (current === undefined) {
        return undefined;
      }
      if (current.scope.pathIncludes !== undefined && !path.includes(current.scope.pathIncludes)) {
        return undefined;
      }
      const fault = current.fault;
      current.remaining--;
      if (current.remaining <= 0) {
        current = undefined;
      }
      return fault;
    },
  };
}

/**
 * The answer a fault gives instead of the panel's own, or undefined when the request goes on (no
 * fault, a timing fault, or a body fault on a non-API path). `down` and `hang` are the server's to
 * handle: they never answer. `hasHandler`: the path is in an API area the panel serves; the
 * handler faults (`success:false`, a truncated body) come from 3x-ui's handlers, so elsewhere the
 * request goes on to its 404 (a G1 panel with a locked database still 404s the G2 routes, which is
 * how the client tells the generations apart).
 */
export function faultAnswer(
  fault: SimulatedFault | undefined,
  isApi: boolean,
  hasHandler = isApi,
): Answer | undefined {
  switch (fault?.kind) {
    case 'status':
      return {
        status: fault.status,
        body: 'Internal Server Error',
        headers: { 'content-type': 'text/plain' },
      };
    case 'html':
      return isApi
        ? { status: 200, body: LOGIN_PAGE, headers: { 'content-type': 'text/html; charset=utf-8' } }
        : undefined;
    case 'malformed-json':
      return hasHandler ? json('{"success":true,"msg":"","obj":[{"id":1,"remark":"trunc') : undefined;
    case 'refused':
      return hasHandler ? json(failure(WENT_WRONG, fault.text)) : undefined;
    case undefined:
    case 'down':
    case 'slow':
    case 'hang':
    case 'sessions-dropped':
      return undefined;
  }
}
