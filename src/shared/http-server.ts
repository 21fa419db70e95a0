/**
 * Limits every HTTP server of keywarden sets (DESIGN.md §7): a client that sends its headers or its
 * request slowly is disconnected instead of holding a socket open. Node checks these limits only
 * every `connectionsCheckingInterval` (30 s by default), so a slow-header connection was held for
 * about 90 s; checking every second keeps the limits close to what they say.
 */
import type { ServerOptions } from 'node:http';

/** The timeouts, in milliseconds. */
export interface HttpServerTimeouts {
  /** All request headers must arrive within this time. */
  readonly headersTimeoutMs: number;
  /** The whole request (headers and body) must arrive within this time. */
  readonly requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this time. */
  readonly keepAliveTimeoutMs: number;
}

/** The defaults: 10 s for headers, 30 s for a whole request, 5 s of keep-alive idleness. */
export const HTTP_SERVER_TIMEOUTS: HttpServerTimeouts = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
};

/** The node:http server options for `timeouts` (the defaults when omitted). */
export function httpServerOptions(timeouts: HttpServerTimeouts = HTTP_SERVER_TIMEOUTS): ServerOptions {
  return {
    headersTimeout: timeouts.headersTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.min(1_000, timeouts.headersTimeoutMs),
  };
}
