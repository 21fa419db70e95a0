/**
 * The metrics and health server: `/metrics` (Prometheus text), `/healthz` (the process is alive),
 * `/readyz` (the readiness check passes: DB reachable and listener connected). Port 0 picks a free
 * port; the URL actually bound is returned and logged.
 *
 * `/metrics` tells anyone who can reach it about the shop (panel names, key counts, payments): with
 * KEYWARDEN_METRICS_TOKEN it needs `Authorization: Bearer <token>`; the probes stay open. Bind the
 * port to a private address either way (docs/deploy.md).
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type client from 'prom-client';
import {
  closeServer,
  httpServerOptions,
  listenOn,
  toError,
  type HttpServerTimeouts,
  type Logger,
} from '../shared/index.ts';

/** A running health server. */
export interface HealthServer {
  /** `http://host:port/` as bound. */
  readonly url: string;
  close(): Promise<void>;
}

/** What readiness reports: ready, or which checks failed. */
export type Readiness =
  { readonly ready: true } | { readonly ready: false; readonly failing: readonly string[] };

/** Starts the server on `host`:`port`. */
export async function startHealthServer(options: {
  readonly host: string;
  readonly port: number;
  readonly registry: client.Registry;
  readonly readiness: () => Promise<Readiness>;
  readonly logger: Logger;
  /** When set, `/metrics` requires `Authorization: Bearer <token>` (KEYWARDEN_METRICS_TOKEN). */
  readonly metricsToken?: string | undefined;
  /** Slow-client limits; the shared defaults when omitted (tests shorten them). */
  readonly timeouts?: HttpServerTimeouts;
}): Promise<HealthServer> {
  const expected =
    options.metricsToken === undefined ? undefined : Buffer.from(`Bearer ${options.metricsToken}`, 'utf8');
  const authorised = (header: string | undefined): boolean => {
    if (expected === undefined) {
      return true;
    }
    const given = Buffer.from(header ?? '', 'utf8');
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  const server = createServer(httpServerOptions(options.timeouts), (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const reply = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      reply(405, 'text/plain', 'method not allowed\n');
      return;
    }
    switch (path) {
      case '/healthz':
        reply(200, 'text/plain', 'ok\n');
        return;
      case '/readyz':
        options
          .readiness()
          .then((readiness) => {
            if (readiness.ready) {
              reply(200, 'text/plain', 'ready\n');
            } else {
              reply(503, 'text/plain', `not ready: ${readiness.failing.join(', ')}\n`);
            }
          })
          .catch((error: unknown) => {
            reply(503, 'text/plain', `not ready: ${toError(error).message}\n`);
          });
        return;
      case '/metrics':
        if (!authorised(req.headers.authorization)) {
          res.writeHead(401, {
            'content-type': 'text/plain',
            'www-authenticate': 'Bearer realm="keywarden metrics"',
          });
          res.end('a bearer token is required (KEYWARDEN_METRICS_TOKEN)\n');
          return;
        }
        options.registry
          .metrics()
          .then((text) => {
            reply(200, options.registry.contentType, text);
          })
          .catch((error: unknown) => {
            options.logger.error({ err: toError(error) }, 'metrics collection failed');
            reply(500, 'text/plain', 'metrics collection failed\n');
          });
        return;
      default:
        reply(404, 'text/plain', 'not found\n');
    }
  });
  const url = (await listenOn(server, options.port, options.host)).href;
  options.logger.info({ url }, 'metrics and health server listening');
  let closing: Promise<void> | undefined;
  return {
    url,
    close() {
      // Scrapes and probes are short: nothing to wait for.
      closing ??= closeServer(server, { graceMs: 0 });
      return closing;
    },
  };
}
