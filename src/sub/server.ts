/**
 * The subscription URL server (issue 15, DESIGN.md §6): `GET`/`HEAD /sub/<token>` on its own
 * listener. One URL per customer, across every panel, in the format the asking app reads.
 *
 * A request goes through these steps; the first that fails answers:
 *
 *   method (405) → route (404) → per-address rate limit (429) → token shape and lookup by its
 *   SHA-256, compared in constant time (404, the same answer for a malformed, unknown or rotated
 *   token) → per-token rate limit (429) → format from `?format=`, User-Agent, Accept (400 for an
 *   unknown `?format=`) → the customer's view, one read-only transaction (503 if the database
 *   fails) → device gate for apps that send `x-hwid` (over the plan's limit: the empty list and
 *   `x-hwid-max-devices-reached: true`, as 3x-ui answers) → body and headers (HEAD: headers only).
 *
 * Nothing about other customers is ever read. The token never reaches a log line (the path is not
 * logged; rate limits key on the token's hash). `GET /healthz` answers 200 for probes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import type { Config } from '../config/index.ts';
import {
  admitDevice,
  findSubscriptionUser,
  hashSubscriptionToken,
  isSubscriptionTokenShaped,
  listDevices,
  readSubscriptionView,
  type DeviceAdmission,
} from '../db/index.ts';
import type { UserId } from '../domain/index.ts';
import { clientAppById } from '../links/index.ts';
import { toError, type Logger } from '../shared/index.ts';
import { renderBody } from './bodies.ts';
import { pickFormat, type SubFormat } from './client-format.ts';
import { NO_SUB_OBSERVER, type FetchOutcome, type SubObserver } from './observer.ts';
import { renderImportPage, renderPage } from './page.ts';
import { createRateLimiter, type RateLimiter } from './rate-limit.ts';
import { summarize, userinfoOf } from './summary.ts';
import { pickSubLanguage, subTexts } from './texts.ts';

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

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly format: SubFormat | 'none';
  readonly outcome: FetchOutcome;
  readonly userId?: UserId;
}

const COMMON_HEADERS = {
  'cache-control': 'no-cache, no-store, must-revalidate',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
} as const;

const HTML_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
} as const;

const plain = (
  status: number,
  message: string,
  format: SubFormat | 'none',
  outcome: FetchOutcome,
  extra: Record<string, string> = {},
): Answer => ({
  status,
  headers: { 'content-type': 'text/plain; charset=utf-8', ...extra },
  body: `${message}\n`,
  format,
  outcome,
});

/** The client's address: the trusted proxy header's first entry when configured, else the socket's. */
function clientAddress(request: IncomingMessage, header: string | undefined): string {
  if (header !== undefined) {
    const value = request.headers[header.toLowerCase()];
    const first = (Array.isArray(value) ? value[0] : value)?.split(',')[0]?.trim();
    if (first !== undefined && first.length > 0) {
      return first;
    }
  }
  return (request.socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
}

const headerText = (request: IncomingMessage, name: string): string | null => {
  const value = request.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined ? null : text;
};

/** `Content-Disposition` with an ASCII fallback and the UTF-8 name (RFC 6266 / RFC 5987). */
function contentDisposition(title: string, extension: string): string {
  const ascii = title.replace(/[^\x20-\x7e]|["\\]/g, '_').trim() || 'subscription';
  return `attachment; filename="${ascii}.${extension}"; filename*=UTF-8''${encodeURIComponent(`${title}.${extension}`)}`;
}

/** Creates the subscription server; call `listen()` to bind it. */
export function createSubServer(options: SubServerOptions): SubServer {
  const logger = options.logger;
  const observer = options.observer ?? NO_SUB_OBSERVER;
  const { pool, config } = options;
  const limiterClock = options.now === undefined ? {} : { now: options.now };
  const perIp: RateLimiter = createRateLimiter({ perMinute: config.subRatePerIp, ...limiterClock });
  const perToken: RateLimiter = createRateLimiter({ perMinute: config.subRatePerToken, ...limiterClock });
  const updateHours = String(Math.max(1, Math.round(config.subUpdateIntervalMs / 3_600_000)));
  let url: URL | null = null;
  let listening: Promise<URL> | null = null;
  let closed: Promise<void> | null = null;

  function publicUrlOf(request: IncomingMessage, token: string): string {
    if (config.subPublicUrl !== undefined) {
      return `${config.subPublicUrl}sub/${token}`;
    }
    const host = headerText(request, 'host');
    const safeHost = host !== null && /^[A-Za-z0-9.:[\]-]+$/.test(host) ? host : (url?.host ?? 'localhost');
    return `http://${safeHost}/sub/${token}`;
  }

  async function answer(request: IncomingMessage, address: string): Promise<Answer> {
    const method = request.method ?? 'GET';
    const target = new URL(request.url ?? '/', 'http://subscription.invalid');
    if (target.pathname === '/healthz') {
      return plain(200, 'ok', 'none', 'ok');
    }
    const match = /^\/sub\/([^/]+)(?:\/import\/([a-z0-9-]{1,32}))?\/?$/.exec(target.pathname);
    if (method !== 'GET' && method !== 'HEAD') {
      return plain(405, 'method not allowed', 'none', 'bad-request', { allow: 'GET, HEAD' });
    }
    if (match === null) {
      return plain(404, 'not found', 'none', 'not-found');
    }
    const limitedIp = perIp.take(address);
    if (!limitedIp.allowed) {
      return plain(429, 'too many requests', 'none', 'rate-limited', {
        'retry-after': String(limitedIp.retryAfterSeconds),
      });
    }
    const token = match[1] ?? '';
    const tokenHash = hashSubscriptionToken(token);
    const userId = isSubscriptionTokenShaped(token) ? await findSubscriptionUser(pool, tokenHash) : null;
    if (userId === null) {
      return plain(404, 'not found', 'none', 'not-found');
    }
    const limitedToken = perToken.take(tokenHash.toString('hex'));
    if (!limitedToken.allowed) {
      return {
        ...plain(429, 'too many requests', 'none', 'rate-limited', {
          'retry-after': String(limitedToken.retryAfterSeconds),
        }),
        userId,
      };
    }
    const view = await readSubscriptionView(pool, userId, config.graceMs);
    if (view === null) {
      return plain(404, 'not found', 'none', 'not-found');
    }
    const language = pickSubLanguage(headerText(request, 'accept-language'), view.language);
    const texts = subTexts(language);
    const subscriptionUrl = publicUrlOf(request, token);
    const shopName = config.subTitle;
    const summary = summarize(view, texts, config.subBotUsername);
    const importApp = match[2];
    if (importApp !== undefined) {
      const app = clientAppById(importApp);
      const page =
        app === undefined ? null : renderImportPage({ app, url: subscriptionUrl, shopName, language, texts });
      return page === null
        ? plain(404, 'not found', 'html', 'not-found')
        : { status: 200, headers: { ...HTML_HEADERS }, body: page, format: 'html', outcome: 'ok', userId };
    }
    const choice = pickFormat({
      formatParam: target.searchParams.get('format'),
      userAgent: headerText(request, 'user-agent') ?? '',
      accept: headerText(request, 'accept') ?? '',
    });
    if (choice.kind === 'unknown-format') {
      return {
        ...plain(400, 'unknown format; use base64, mihomo, sing-box or html', 'none', 'bad-request'),
        userId,
      };
    }
    const format = choice.format;
    const limit = view.plan?.maxDevices ?? null;
    if (format === 'html') {
      const devices = await listDevices(pool, userId);
      const page = await renderPage({
        summary,
        url: subscriptionUrl,
        shopName,
        now: view.now,
        devices: { count: devices.length, limit },
        language,
        texts,
      });
      return { status: 200, headers: { ...HTML_HEADERS }, body: page, format, outcome: 'ok', userId };
    }
    const headers: Record<string, string> = {
      'subscription-userinfo': userinfoOf(summary),
      'profile-update-interval': updateHours,
      'profile-title': `base64:${Buffer.from(shopName, 'utf8').toString('base64')}`,
      'profile-web-page-url': subscriptionUrl,
      ...(config.subSupportUrl === undefined ? {} : { 'support-url': config.subSupportUrl }),
      ...(config.subAnnounce === undefined
        ? {}
        : { announce: `base64:${Buffer.from(config.subAnnounce, 'utf8').toString('base64')}` }),
    };
    const hwid = headerText(request, 'x-hwid')?.trim() ?? '';
    let admission: DeviceAdmission | null = null;
    if (hwid.length > 0) {
      admission = await admitDevice(
        pool,
        userId,
        {
          hwid: hwid.slice(0, 256),
          deviceOs: headerText(request, 'x-device-os'),
          osVersion: headerText(request, 'x-ver-os'),
          deviceModel: headerText(request, 'x-device-model'),
          userAgent: headerText(request, 'user-agent'),
        },
        limit,
      );
    }
    if (limit !== null) {
      headers['x-hwid-active'] = 'true';
      if (hwid.length === 0) {
        // Only apps that send x-hwid can be limited (docs/subscription.md says so plainly).
        headers['x-hwid-not-supported'] = 'true';
      } else if (admission !== null && admission.registered >= limit) {
        headers['x-hwid-limit'] = 'true';
      }
    }
    const unsupportedName = texts.placeholderUnsupported;
    if (admission?.kind === 'over-limit') {
      const empty = renderBody(format, [], { groupName: shopName, unsupportedName });
      headers['x-hwid-max-devices-reached'] = 'true';
      headers['announce'] =
        `base64:${Buffer.from(texts.announceDeviceLimit(config.subBotUsername), 'utf8').toString('base64')}`;
      return {
        status: 200,
        headers: {
          ...headers,
          'content-type': empty.contentType,
          'content-disposition': contentDisposition(shopName, empty.extension),
        },
        body: empty.body,
        format,
        outcome: 'device-limit',
        userId,
      };
    }
    const served = summary.placeholder === null ? summary.connections : [summary.placeholder];
    const rendered = renderBody(format, served, { groupName: shopName, unsupportedName });
    if (summary.unrenderable > 0 || rendered.skipped > 0) {
      logger.warn(
        { userId, format, unrenderable: summary.unrenderable, skipped: rendered.skipped },
        'some keys left out of the subscription',
      );
    }
    return {
      status: 200,
      headers: {
        ...headers,
        'content-type': rendered.contentType,
        'content-disposition': contentDisposition(shopName, rendered.extension),
      },
      body: rendered.body,
      format,
      outcome: summary.placeholder === null ? 'ok' : 'placeholder',
      userId,
    };
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now();
    const address = clientAddress(request, config.trustedProxyHeader);
    let result: Answer;
    try {
      result = await answer(request, address);
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

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((thrown: unknown) => {
      logger.error({ err: toError(thrown) }, 'subscription response failed');
      response.destroy();
    });
  });
  // Slow-loris limits: an app asks with a few headers and no body.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  return {
    get url() {
      return url;
    },
    listen(): Promise<URL> {
      listening ??= new Promise<URL>((resolve, reject) => {
        const onError = (error: Error): void => {
          reject(error);
        };
        server.once('error', onError);
        server.listen(config.subPort, config.subHost, () => {
          server.off('error', onError);
          const bound = server.address() as AddressInfo;
          const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
          url = new URL(`http://${host}:${bound.port}/`);
          logger.info(
            { url: url.href, publicUrl: config.subPublicUrl ?? null },
            'subscription server listening',
          );
          resolve(url);
        });
      });
      return listening;
    },
    close(graceMs = 5_000): Promise<void> {
      closed ??= new Promise<void>((resolve, reject) => {
        if (!server.listening) {
          resolve();
          return;
        }
        const force = setTimeout(() => {
          server.closeAllConnections();
        }, graceMs);
        server.close((error) => {
          clearTimeout(force);
          if (error) {
            reject(error);
          } else {
            logger.info('subscription server closed');
            resolve();
          }
        });
        server.closeIdleConnections();
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
