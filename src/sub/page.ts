/**
 * The subscription page (issue 15): what a customer sees when they open their subscription URL in
 * a browser. Status and days left, usage, the QR code of the URL, per-app install and import
 * instructions, and the individual links. Every value is HTML-escaped; the page loads nothing
 * from elsewhere (the QR code is inline SVG, the style inline), and the server sends it with a
 * strict Content-Security-Policy and `Referrer-Policy: no-referrer` so the URL does not leak.
 */
import QRCode from 'qrcode';
import { CLIENT_APPS, formatShareLink, type ClientApp } from '../links/index.ts';
import type { SubscriptionSummary } from './summary.ts';
import type { SubLanguage, SubTexts } from './texts.ts';

/** Escapes text for HTML content and attribute values. */
export const escapeHtml = (value: string): string =>
  value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');

/** Bytes in binary units, one decimal: `1.5 GiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? String(value) : value.toFixed(1)} ${units[unit] ?? 'B'}`;
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:40rem;margin:1rem auto;padding:0 1rem;line-height:1.4}
.status{font-size:1.2rem;font-weight:600}.ok{color:#137333}.bad{color:#b3261e}
.qr svg{width:15rem;height:15rem}code{word-break:break-all;background:#f1f3f4;padding:.1rem .3rem;display:block}
a.button{display:inline-block;margin:.2rem 0;padding:.4rem .8rem;border-radius:.4rem;background:#1a73e8;color:#fff;text-decoration:none}
li{margin:.6rem 0}`;

/** The page shell with the given body. */
export function pageShell(language: SubLanguage, title: string, body: string): string {
  return `<!doctype html>
<html lang="${language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>${body}</body></html>
`;
}

function appItem(app: ClientApp, url: string, shopName: string, texts: SubTexts): string {
  const link = app.deepLink?.(url, shopName);
  const action =
    link === undefined
      ? `<div>${escapeHtml(texts.pasteHint)}</div>`
      : `<a class="button" href="${escapeHtml(link)}">${escapeHtml(texts.importButton(app.name))}</a>`;
  return `<li><b>${escapeHtml(app.name)}</b> <small>(${escapeHtml(app.platforms)})</small><br>${action}</li>`;
}

/** Renders the subscription page of `summary` for the subscription `url`. */
export async function renderPage(options: {
  readonly summary: SubscriptionSummary;
  readonly url: string;
  readonly shopName: string;
  readonly now: Date;
  readonly devices: { readonly count: number; readonly limit: number | null };
  readonly language: SubLanguage;
  readonly texts: SubTexts;
}): Promise<string> {
  const { summary, url, texts } = options;
  const qr = await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  const isActive = summary.state === 'active' || summary.state === 'no-keys';
  const status =
    summary.state === 'blocked' ? texts.statusBlocked : isActive ? texts.statusActive : texts.statusExpired;
  const endsAt = summary.expireSeconds > 0 ? new Date(summary.expireSeconds * 1000) : null;
  const daysLeft =
    endsAt !== null && isActive
      ? Math.max(0, Math.ceil((endsAt.getTime() - options.now.getTime()) / 86_400_000))
      : null;
  const when =
    endsAt === null ? '' : ` · ${texts.until(`${endsAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`)}`;
  const links =
    summary.connections.length === 0
      ? `<p>${escapeHtml(texts.noLinks)}</p>`
      : `<ol>${summary.connections
          .map(
            (connection) =>
              `<li>${escapeHtml(connection.name)}<code>${escapeHtml(formatShareLink(connection))}</code></li>`,
          )
          .join('')}</ol>`;
  const body = `<h1>${escapeHtml(options.shopName)}</h1>
<h2>${escapeHtml(texts.pageTitle)}</h2>
<p class="status ${isActive ? 'ok' : 'bad'}">${escapeHtml(status)}${escapeHtml(when)}</p>
${daysLeft === null ? '' : `<p>${escapeHtml(texts.daysLeft(daysLeft))}</p>`}
<p>${escapeHtml(texts.usage(formatBytes(summary.usedBytes), summary.totalBytes > 0 ? formatBytes(summary.totalBytes) : null))}</p>
<p>${escapeHtml(texts.devices(options.devices.count, options.devices.limit))}</p>
<p>${escapeHtml(texts.qrCaption)}</p>
<div class="qr">${qr}</div>
<code>${escapeHtml(url)}</code>
<h2>${escapeHtml(texts.appsTitle)}</h2>
<ul>${CLIENT_APPS.map((app) => appItem(app, url, options.shopName, texts)).join('')}</ul>
<h2>${escapeHtml(texts.linksTitle)}</h2>
${links}`;
  return pageShell(options.language, `${options.shopName} — ${texts.pageTitle}`, body);
}

/** A page that opens `app`'s import deep link (Telegram buttons can only carry https links). */
export function renderImportPage(options: {
  readonly app: ClientApp;
  readonly url: string;
  readonly shopName: string;
  readonly language: SubLanguage;
  readonly texts: SubTexts;
}): string | null {
  const link = options.app.deepLink?.(options.url, options.shopName);
  if (link === undefined) {
    return null;
  }
  const body = `<p>${escapeHtml(options.texts.openInApp(options.app.name))}</p>
<p><a class="button" href="${escapeHtml(link)}">${escapeHtml(options.texts.importButton(options.app.name))}</a></p>`;
  return pageShell(options.language, options.shopName, body).replace(
    '<meta name="robots" content="noindex">',
    `<meta name="robots" content="noindex"><meta http-equiv="refresh" content="0;url=${escapeHtml(link)}">`,
  );
}
