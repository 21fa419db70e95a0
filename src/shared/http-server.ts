/**
 * Limits every HTTP server of keywarden sets (DESIGN.md §7): a client that sends its headers or its
 * request slowly is disconnected instead of holding a socket open. Node checks these limits only
 * every `connectionsCheckingInterval` (30 s by default), so a slow-header connection was held for
 * about 90 s; checking every second keeps the limits close to what they say.
 */
import type { Server, ServerOptions } from 'node:http';
import type { AddressInfo } from 'node:net';

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

/**
 * Binds `server` to `host`:`port` (0 picks a free port) and resolves with the bound URL
 * (`http://host:port/`, an IPv6 host in brackets); rejects when the bind fails (port taken, say).
 */
export function listenOn(server: Server, port: number, host: string): Promise<URL> {
  return new Promise<URL>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      const bound = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve(new URL(`http://${bound}:${String(address.port)}/`));
    });
  });
}

/** How `closeServer` treats open connections. */
export interface CloseOptions {
  /** Requests in flight get this long to finish before every connection is dropped (0: at once). */
  readonly graceMs: number;
  /** Called when the grace runs out, just before the remaining connections are dropped. */
  readonly onForce?: () => void;
}

/**
 * Closes `server` in order: no new connections, idle keep-alive connections closed now, the rest
 * dropped after the grace. Resolves once closed (at once when it was not listening).
 */
export function closeServer(server: Server, options: CloseOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (!server.listening) {
      resolve();
      return;
    }
    const force = setTimeout(() => {
      options.onForce?.();
      server.closeAllConnections();
    }, options.graceMs);
    server.close((error) => {
      clearTimeout(force);
      if (error) {
        reject(error);
      } else {
        resolve();
      }
    });
    server.closeIdleConnections();
  });
}
