/**
 * One webhook request for an enabled provider, step by step (see server.ts): method, content type,
 * body limit, verify, JSON, parse, confirm with the provider API, then the write path.
 */
import type { IncomingMessage } from 'node:http';
import type pg from 'pg';
import { assertNever } from '../domain/index.ts';
import { resolveClientAddress, type TrustedProxy } from '../net/index.ts';
import { toError, type Logger } from '../shared/index.ts';
import { failure, parseJson, readBody, type Answer } from './http-io.ts';
import type { WebhookObserver } from './observer.ts';
import { applyPaymentEvent } from './payment-write.ts';
import type { WebhookProvider } from './provider.ts';
import type { WebhookConfig } from './server.ts';

/** What handling a webhook request needs (from the server). */
export interface WebhookHandlerOptions {
  readonly pool: pg.Pool;
  readonly config: Pick<WebhookConfig, 'webhookMaxBodyBytes'>;
  /** Where the caller's address comes from behind our reverse proxy; undefined: the socket. */
  readonly trustedProxy: TrustedProxy | undefined;
  readonly observer: WebhookObserver;
  /** Aborted when the server closes: provider API calls stop. */
  readonly closing: AbortController;
  /** Runs an observer hook, logging (not throwing) what it throws. */
  readonly safely: (report: () => void) => void;
}

/** Handles one webhook request for an enabled provider. */
export type HandleWebhook = (
  provider: WebhookProvider,
  request: IncomingMessage,
  log: Logger,
) => Promise<Answer>;

/** Creates the webhook request handler. */
export function createWebhookHandler(options: WebhookHandlerOptions): HandleWebhook {
  const { pool, config, observer, closing, safely, trustedProxy } = options;

  /** Handles one webhook request for an enabled provider. */
  async function handleWebhook(
    provider: WebhookProvider,
    request: IncomingMessage,
    log: Logger,
  ): Promise<Answer> {
    if (request.method !== 'POST') {
      return failure(405, 'method-not-allowed', 'webhooks accept POST only', { allow: 'POST' });
    }
    const mediaType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (mediaType !== 'application/json') {
      return failure(415, 'unsupported-media-type', 'the body must be application/json');
    }
    const read = await readBody(request, config.webhookMaxBodyBytes);
    if (read.kind === 'too-large') {
      return failure(413, 'body-too-large', `the body exceeds ${config.webhookMaxBodyBytes} bytes`, {
        connection: 'close',
      });
    }
    if (read.kind === 'aborted') {
      return failure(400, 'body-incomplete', 'the request body was not received completely');
    }
    const clientAddress = resolveClientAddress(request.headers, request.socket.remoteAddress, trustedProxy);
    const json = parseJson(read.body);
    const verification = provider.verify({
      headers: request.headers,
      clientAddress,
      rawBody: read.body,
      json,
      receivedAt: new Date(),
    });
    if (verification.kind === 'rejected') {
      log.warn({ clientAddress, code: verification.code }, 'webhook refused: not from the provider');
      return failure(verification.status, verification.code, verification.reason);
    }
    if (json === undefined) {
      return failure(400, 'invalid-json', 'the body is not valid UTF-8 JSON');
    }
    const parsed = provider.parse(json);
    if (!parsed.ok) {
      return failure(400, 'invalid-body', `${parsed.error.path}: expected ${parsed.error.expected}`);
    }
    let event = parsed.value;
    if (provider.confirm) {
      const confirmation = await provider.confirm(event, { logger: log, signal: closing.signal });
      switch (confirmation.kind) {
        case 'confirmed':
          event = confirmation.event;
          break;
        case 'unavailable':
          log.warn(
            { err: confirmation.cause, reason: confirmation.reason },
            'provider API unavailable; asking for a retry',
          );
          return failure(
            502,
            'provider-unavailable',
            `could not confirm with ${provider.name}: ${confirmation.reason}`,
          );
        case 'disagrees':
          safely(() => {
            observer.onPayment(provider.name, 'rejected');
          });
          return failure(409, 'not-confirmed', confirmation.reason);
        case 'invalid':
          return failure(
            400,
            'invalid-object',
            `${confirmation.error.path}: expected ${confirmation.error.expected}`,
          );
        default:
          return assertNever(confirmation, 'confirmation');
      }
    }
    try {
      const { answer, outcome } = await applyPaymentEvent(pool, provider.name, event, log);
      safely(() => {
        observer.onPayment(provider.name, outcome);
      });
      return answer;
    } catch (thrown) {
      log.error({ err: toError(thrown), externalId: event.externalId }, 'could not write the payment event');
      return failure(
        503,
        'storage-unavailable',
        'the payment could not be stored now; deliver it again later',
      );
    }
  }

  return handleWebhook;
}
