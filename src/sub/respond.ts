/**
 * One subscription request, step by step (issue 15). The first step that fails answers:
 *
 *   method (405) → route (404) → per-address rate limit (429) → token shape and lookup by its
 *   SHA-256, compared in constant time (404, the same answer for a malformed, unknown or rotated
 *   token) → per-token rate limit (429) → format from `?format=`, User-Agent, Accept (400 for an
 *   unknown `?format=`) → the customer's view, one read-only transaction (the caller answers 503 if
 *   the database fails) → device gate for apps that send `x-hwid` (over the plan's limit: the empty
 *   list and `x-hwid-max-devices-reached: true`, as 3x-ui answers) → body and headers.
 *
 * Nothing about other customers is ever read. The token never reaches a log line: rate limits key
 * on the token's hash, and answers carry only the customer's id for the log.
 */
import type { IncomingMessage } from 'node:http';
import type pg from 'pg';
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
import type { Logger } from '../shared/index.ts';
import { renderBody } from './bodies.ts';
import { pickFormat, type SubFormat } from './client-format.ts';
import type { FetchOutcome } from './observer.ts';
import { renderImportPage, renderPage } from './page.ts';
import { createRateLimiter } from './rate-limit.ts';
import type { SubConfig } from './server.ts';
import { summarize, userinfoOf } from './summary.ts';
import { pickSubLanguage, subTexts } from './texts.ts';

/** The answer to one request, and what to log and count about it. */
export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly format: SubFormat | 'none';
  readonly outcome: FetchOutcome;
  readonly userId?: UserId;
}

const HTML_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
} as const;

/** A plain-text answer. */
export const plain = (
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

/** Answers subscription requests for the server; holds the rate limiters. */
export function createResponder(options: {
  readonly pool: pg.Pool;
  readonly config: SubConfig;
  readonly logger: Logger;
  readonly now?: () => number;
}): { answer(request: IncomingMessage, address: string, url: URL | null): Promise<Answer> } {
  const { pool, config, logger } = options;
  const limiterClock = options.now === undefined ? {} : { now: options.now };
  const perIp = createRateLimiter({ perMinute: config.subRatePerIp, ...limiterClock });
  const perToken = createRateLimiter({ perMinute: config.subRatePerToken, ...limiterClock });
  const updateHours = String(Math.max(1, Math.round(config.subUpdateIntervalMs / 3_600_000)));

  function publicUrlOf(request: IncomingMessage, token: string, url: URL | null): string {
    if (config.subPublicUrl !== undefined) {
      return `${config.subPublicUrl}sub/${token}`;
    }
    const host = headerText(request, 'host');
    const safeHost = host !== null && /^[A-Za-z0-9.:[\]-]+$/.test(host) ? host : (url?.host ?? 'localhost');
    return `http://${safeHost}/sub/${token}`;
  }

  async function answer(request: IncomingMessage, address: string, url: URL | null): Promise<Answer> {
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
    const subscriptionUrl = publicUrlOf(request, token, url);
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
    // As 3x-ui does, an id shorter than 6 characters counts as no id at all.
    const sentHwid = headerText(request, 'x-hwid')?.trim() ?? '';
    const hwid = sentHwid.length >= 6 ? sentHwid : '';
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

  return { answer };
}
