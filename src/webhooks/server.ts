/**
 * The payment webhook server (DESIGN.md §6, issue 5): `node:http`, one route per enabled provider
 * (`POST /webhooks/yookassa`, `/webhooks/cryptobot`, `/webhooks/generic`) and `GET /healthz`.
 *
 * A webhook request goes through these steps; the first that fails answers, and nothing is written:
 *
 *   method (405) → route (404) → content type (415) → body ≤ limit (413) → verify (401/403)
 *   → JSON (400) → parse (400) → confirm with the provider API (502 unreachable, 409 disagrees)
 *   → plan and user known (422) → one transaction through the write path (503 if it fails)
 *
 * 2xx is sent only after the transaction committed, so a provider that got no 2xx delivers again,
 * and the unique (provider, external_id) key makes that delivery a no-op. 5xx means "retry later"
 * (the database, or the provider's own API, is unavailable); 4xx means "this request is wrong".
 * Errors are JSON `{error: {code, message}}`. Every log line carries the request id, which is also
 * sent back as `x-request-id`. Headers and bodies are never logged, so no secret is.
 *
 * This file routes requests and runs the server; dispatch.ts takes a webhook request through the
 * steps, payment-write.ts writes the event, http-io.ts reads bodies and shapes JSON answers.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type pg from 'pg';
import { ConfigError, type Config } from '../config/index.ts';
import { createIpAllowlist, createTrustedProxy } from '../net/index.ts';
import { closeServer, httpServerOptions, listenOn, toError, type Logger } from '../shared/index.ts';
import { createWebhookHandler } from './dispatch.ts';
import { failure, statusClass, type Answer } from './http-io.ts';
import { NO_OBSERVER, type WebhookObserver } from './observer.ts';
import { PROVIDER_NAMES, type ProviderName, type WebhookProvider } from './provider.ts';
import { createCryptoPayProvider } from './providers/cryptobot.ts';
import { createGenericProvider } from './providers/generic.ts';
import { createYooKassaProvider } from './providers/yookassa.ts';

/** The settings the webhook server reads. */
export type WebhookConfig = Pick<
  Config,
  | 'webhookHost'
  | 'webhookPort'
  | 'webhookMaxBodyBytes'
  | 'yookassaIpAllowlist'
  | 'trustedProxyHeader'
  | 'trustedProxies'
  | 'yookassaAllowTest'
  | 'yookassaShopId'
  | 'yookassaSecretKey'
  | 'yookassaApiRoot'
  | 'cryptoPayToken'
  | 'genericWebhookSecret'
  | 'paymentApiTimeoutMs'
>;

/** What the server needs. */
export interface WebhookServerOptions {
  readonly pool: pg.Pool;
  readonly config: WebhookConfig;
  /** A child logger; the server adds `component: 'webhooks'` and a `requestId` per request. */
  readonly logger: Logger;
  /** The fetch for provider API calls; global fetch by default (so msw can intercept it in tests). */
  readonly fetch?: typeof fetch;
  /** Metrics hooks; nothing is recorded by default. */
  readonly observer?: WebhookObserver;
}

/** A running (or ready) webhook server. */
export interface WebhookServer {
  /** The providers that are on, in route order. */
  readonly providers: readonly ProviderName[];
  /** Binds the configured host and port (0: a free port) and resolves to the bound URL. Idempotent. */
  listen(): Promise<URL>;
  /** The bound URL once listening, else null. */
  readonly url: URL | null;
  /**
   * Stops accepting connections, lets requests in flight finish (up to `graceMs`, default 5 s, then
   * drops them and aborts provider API calls), and resolves when the server is closed. Idempotent.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * Builds the enabled providers from the settings: YooKassa when its shop id and secret key are set
 * (it signs nothing, so every notification is re-fetched from its API with them; the source
 * allowlist is checked first), Crypto Pay when its token is set, the generic webhook when its
 * secret is set. Throws ConfigError on settings that cannot work.
 */
export function createProviders(
  config: WebhookConfig,
  fetchImpl?: typeof fetch,
): ReadonlyMap<ProviderName, WebhookProvider> {
  const providers = new Map<ProviderName, WebhookProvider>();
  if ((config.yookassaShopId === undefined) !== (config.yookassaSecretKey === undefined)) {
    throw new ConfigError([
      {
        env:
          config.yookassaShopId === undefined
            ? 'KEYWARDEN_YOOKASSA_SHOP_ID'
            : 'KEYWARDEN_YOOKASSA_SECRET_KEY',
        message: 'KEYWARDEN_YOOKASSA_SHOP_ID and KEYWARDEN_YOOKASSA_SECRET_KEY must be set together',
      },
    ]);
  }
  if (config.yookassaShopId !== undefined && config.yookassaSecretKey !== undefined) {
    const allowlist = createIpAllowlist(config.yookassaIpAllowlist);
    if (!allowlist.ok) {
      throw new ConfigError([{ env: 'KEYWARDEN_YOOKASSA_ALLOWED_IPS', message: allowlist.error }]);
    }
    providers.set(
      'yookassa',
      createYooKassaProvider({
        allowlist: allowlist.value,
        credentials: {
          shopId: config.yookassaShopId,
          secretKey: config.yookassaSecretKey,
          apiRoot: config.yookassaApiRoot,
        },
        allowTest: config.yookassaAllowTest,
        timeoutMs: config.paymentApiTimeoutMs,
        ...(fetchImpl === undefined ? {} : { fetch: fetchImpl }),
      }),
    );
  }
  if (config.cryptoPayToken !== undefined) {
    providers.set('cryptobot', createCryptoPayProvider({ token: config.cryptoPayToken }));
  }
  if (config.genericWebhookSecret !== undefined) {
    providers.set('generic', createGenericProvider({ secret: config.genericWebhookSecret }));
  }
  return providers;
}

/** Creates the webhook server; call `listen()` to bind it. */
export function createWebhookServer(options: WebhookServerOptions): WebhookServer {
  const logger = options.logger.child({ component: 'webhooks' });
  const observer = options.observer ?? NO_OBSERVER;
  const providers = createProviders(options.config, options.fetch);
  const trustedProxy = createTrustedProxy(options.config);
  const { pool, config } = options;
  const closing = new AbortController();
  let url: URL | null = null;
  let listening: Promise<URL> | null = null;
  let closed: Promise<void> | null = null;

  const safely = (report: () => void): void => {
    try {
      report();
    } catch (thrown) {
      logger.warn({ err: toError(thrown) }, 'webhook observer threw; ignored');
    }
  };

  const handleWebhook = createWebhookHandler({
    pool,
    config,
    observer,
    closing,
    safely,
    trustedProxy,
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now();
    const requestId = randomUUID();
    // The path only, without parsing the whole target: a request line like `GET //` is not a valid URL.
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const match = /^\/webhooks\/([a-z0-9_-]+)\/?$/.exec(path);
    const name = match?.[1];
    const provider =
      name !== undefined && (PROVIDER_NAMES as readonly string[]).includes(name)
        ? providers.get(name as ProviderName)
        : undefined;
    const label = provider?.name ?? 'none';
    const log = logger.child({ requestId, ...(provider ? { provider: provider.name } : {}) });
    let answer: Answer;
    try {
      if (path === '/healthz') {
        answer =
          request.method === 'GET' || request.method === 'HEAD'
            ? { status: 200, body: { status: 'ok' } }
            : failure(405, 'method-not-allowed', '/healthz accepts GET only', { allow: 'GET, HEAD' });
      } else if (!provider) {
        answer = failure(
          404,
          'not-found',
          name !== undefined && (PROVIDER_NAMES as readonly string[]).includes(name)
            ? `the ${name} webhook is not configured`
            : 'no such endpoint',
        );
      } else {
        answer = await handleWebhook(provider, request, log);
      }
    } catch (thrown) {
      log.error({ err: toError(thrown) }, 'webhook handler failed');
      answer = failure(500, 'internal-error', 'the request could not be handled; deliver it again later');
    }
    const payload = JSON.stringify(answer.body);
    if (!response.headersSent) {
      response.writeHead(answer.status, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(payload),
        'x-request-id': requestId,
        ...answer.headers,
      });
      response.end(request.method === 'HEAD' ? undefined : payload);
    }
    safely(() => {
      observer.onRequest(label, statusClass(answer.status));
    });
    const fields = {
      method: request.method,
      path,
      status: answer.status,
      ms: Math.round(performance.now() - started),
      ...(answer.reason === undefined ? {} : { reason: answer.reason }),
    };
    if (answer.status >= 500) {
      log.error(fields, 'webhook answered');
    } else if (answer.status >= 400) {
      log.warn(fields, 'webhook answered');
    } else if (path === '/healthz') {
      log.debug(fields, 'webhook answered');
    } else {
      log.info(fields, 'webhook answered');
    }
  }

  // Slow-loris limits (shared by every server): a provider sends a small body quickly.
  const server: Server = createServer(httpServerOptions(), (request, response) => {
    handle(request, response).catch((thrown: unknown) => {
      logger.error({ err: toError(thrown) }, 'webhook response failed');
      response.destroy();
    });
  });

  return {
    providers: [...providers.keys()],
    get url() {
      return url;
    },
    listen(): Promise<URL> {
      listening ??= listenOn(server, config.webhookPort, config.webhookHost).then((bound) => {
        url = bound;
        for (const name of PROVIDER_NAMES) {
          const enabled = providers.get(name);
          if (enabled) {
            logger.info(
              { provider: name, route: `/webhooks/${name}`, checks: enabled.description },
              'webhook provider on',
            );
          } else {
            logger.info({ provider: name }, 'webhook provider off (not configured)');
          }
        }
        logger.info({ url: bound.href, providers: [...providers.keys()] }, 'webhook server listening');
        return bound;
      });
      return listening;
    },
    close(graceMs = 5_000): Promise<void> {
      // Requests still in flight when the grace runs out are dropped, and their provider API calls
      // aborted (closing); once closed, nothing is left to abort.
      const abort = (): void => {
        closing.abort();
      };
      closed ??= closeServer(server, { graceMs, onForce: abort })
        .then(() => {
          logger.info('webhook server closed');
        })
        .finally(abort);
      return closed;
    },
  };
}
