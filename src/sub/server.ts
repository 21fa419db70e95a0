/**
 * The subscription URL server (issue 15, DESIGN.md §6): `GET`/`HEAD /sub/<token>` on its own
 * listener, one URL per customer across every panel, in the format the asking app reads. This file
 * runs the listener (timeouts, bind, orderly close) and writes answers; respond.ts takes a request
 * through the steps. `GET /healthz` answers 200 for probes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type pg from 'pg';
import type { Config } from '../config/index.ts';
import {
  createTrustedProxy,
  normaliseAddress,
  resolveClientAddress,
  type TrustedProxy,
} from '../net/index.ts';
import { closeServer, httpServerOptions, listenOn, toError, type Logger } from '../shared/index.ts';
import { NO_SUB_OBSERVER, type SubObserver } from './observer.ts';
import { createResponder, plain, type Answer } from './respond.ts';

/** The settings the subscription server reads. */
export type SubConfig = Pick<
  Config,
  | 'subHost'
  | 'subPort'
  | 'subPublicUrl'
  | 'subTitle'
  | 'subUpdateIntervalMs'
  | 'subSupportUrl'
  | 'subAnnounce'
  | 'subBotUsername'
  | 'subRatePerToken'
  | 'subRatePerIp'
  | 'trustedProxyHeader'
  | 'trustedProxies'
  | 'graceMs'
>;

/** What the server needs. */
export interface SubServerOptions {
  readonly pool: pg.Pool;
  readonly config: SubConfig;
  readonly logger: Logger;
  readonly observer?: SubObserver;
  /** Clock of the rate limiters in ms (tests); default performance.now. */
  readonly now?: () => number;
}

/** A running (or ready) subscription server. */
export interface SubServer {
  /** Binds the configured host and port (0: a free port) and resolves to the bound URL. Idempotent. */
  listen(): Promise<URL>;
  /** The bound URL once listening, else null. */
  readonly url: URL | null;
  /** Stops accepting, lets requests in flight finish up to `graceMs` (default 5 s). Idempotent. */
  close(graceMs?: number): Promise<void>;
}

const COMMON_HEADERS = {
  'cache-control': 'no-cache, no-store, must-revalidate',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
} as const;

/**
 * The address the per-address rate limit counts: the caller as net/ resolves it (the proxy header
 * only from a trusted proxy, its right-most untrusted entry). When the caller cannot be known (the
 * header missing or garbled on a proxied connection) the socket's peer is counted instead, so an
 * unknown caller never escapes the limit.
 */
function clientAddress(request: IncomingMessage, trusted: TrustedProxy | undefined): string {
  const peer = request.socket.remoteAddress;
  return (
    resolveClientAddress(request.headers, peer, trusted) ??
    (peer === undefined ? null : normaliseAddress(peer)) ??
    'unknown'
  );
}

/** Creates the subscription server; call `listen()` to bind it. */
export function createSubServer(options: SubServerOptions): SubServer {
  const logger = options.logger;
  const observer = options.observer ?? NO_SUB_OBSERVER;
  const { config } = options;
  const trustedProxy = createTrustedProxy(config);
  const responder = createResponder({
    pool: options.pool,
    config,
    logger,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  let url: URL | null = null;
  let listening: Promise<URL> | null = null;
  let closed: Promise<void> | null = null;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now();
    const address = clientAddress(request, trustedProxy);
    let result: Answer;
    try {
      result = await responder.answer(request, address, url);
    } catch (thrown) {
      logger.error({ err: toError(thrown) }, 'subscription request failed');
      result = plain(503, 'temporarily unavailable; try again later', 'none', 'error', {
        'retry-after': '30',
      });
    }
    const body = Buffer.from(result.body, 'utf8');
    if (!response.headersSent) {
      response.writeHead(result.status, {
        ...COMMON_HEADERS,
        ...result.headers,
        'content-length': String(body.length),
      });
      response.end(request.method === 'HEAD' ? undefined : body);
    }
    try {
      observer.onFetch(result.format, result.outcome);
    } catch (thrown) {
      logger.warn({ err: toError(thrown) }, 'subscription observer threw; ignored');
    }
    const fields = {
      method: request.method,
      status: result.status,
      format: result.format,
      outcome: result.outcome,
      ms: Math.round(performance.now() - started),
      ...(result.userId === undefined ? {} : { userId: result.userId }),
    };
    if (result.status >= 500) {
      logger.error(fields, 'subscription answered');
    } else if (result.outcome === 'rate-limited') {
      logger.warn(fields, 'subscription answered');
    } else {
      logger.debug(fields, 'subscription answered');
    }
  }

  // Slow-loris limits shared by every listener (src/shared/http-server.ts): an app asks with a few
  // headers and no body.
  const server: Server = createServer(httpServerOptions(), (request, response) => {
    handle(request, response).catch((thrown: unknown) => {
      logger.error({ err: toError(thrown) }, 'subscription response failed');
      response.destroy();
    });
  });

  return {
    get url() {
      return url;
    },
    listen(): Promise<URL> {
      listening ??= listenOn(server, config.subPort, config.subHost).then((bound) => {
        url = bound;
        logger.info(
          { url: bound.href, publicUrl: config.subPublicUrl ?? null },
          'subscription server listening',
        );
        return bound;
      });
      return listening;
    },
    close(graceMs = 5_000): Promise<void> {
      closed ??= closeServer(server, { graceMs }).then(() => {
        logger.info('subscription server closed');
      });
      return closed;
    },
  };
}

/**
 * Starts the subscription server for `keywarden run`: binds it (the bound URL is logged) and closes
 * it when `signal` aborts. The caller still owns `close()` (idempotent).
 */
export async function startSubServer(
  options: SubServerOptions & { readonly signal?: AbortSignal },
): Promise<SubServer> {
  const server = createSubServer(options);
  await server.listen();
  const { signal, logger } = options;
  if (signal) {
    const stop = (): void => {
      server.close().catch((thrown: unknown) => {
        logger.error({ err: toError(thrown) }, 'subscription server did not close cleanly');
      });
    };
    if (signal.aborted) {
      stop();
    } else {
      signal.addEventListener('abort', stop, { once: true });
    }
  }
  return server;
}
