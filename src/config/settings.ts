/**
 * Every setting keywarden reads from the environment, in one table: variable, parser, default, doc.
 * The Config type is derived from this table, so a setting is declared exactly once. `.env.example`
 * and the README's configuration table list the same variables (a test keeps them in step).
 */
import { parseDurationMs } from '../shared/duration.ts';

/** Parses one raw environment value; returns the value or a description of the expected form. */
type Parser<T> = (raw: string) => { ok: true; value: T } | { ok: false; expected: string };

/** One environment variable. */
export interface Setting<T> {
  readonly env: string;
  readonly parse: Parser<T>;
  /** Raw default, parsed like a user value; undefined means the setting is optional (value undefined). */
  readonly default?: string;
  /** Required settings stop start-up when missing. */
  readonly required?: boolean;
  /** Secrets are never printed (config dumps show `[set]`). */
  readonly secret?: boolean;
  readonly doc: string;
}

const okv = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
const bad = (expected: string): { ok: false; expected: string } => ({ ok: false, expected });

const duration: Parser<number> = (raw) => {
  // A bare 0 is the same in every unit, and settings documented as "0 turns it off" take it (DESIGN.md §7).
  const ms = raw.trim() === '0' ? 0 : parseDurationMs(raw);
  return ms === undefined ? bad('a duration with a unit, like 250ms, 90s, 5m, 24h or 30d') : okv(ms);
};
const positiveDuration: Parser<number> = (raw) => {
  const parsed = duration(raw);
  return parsed.ok && parsed.value <= 0 ? bad('a duration greater than zero, like 90s or 5m') : parsed;
};
const integer =
  (min: number, max: number): Parser<number> =>
  (raw) => {
    const value = Number(raw);
    return /^-?\d+$/.test(raw.trim()) && value >= min && value <= max
      ? okv(value)
      : bad(`a whole number from ${min} to ${max}`);
  };
const oneOf =
  <const T extends string>(...values: readonly T[]): Parser<T> =>
  (raw) =>
    (values as readonly string[]).includes(raw) ? okv(raw as T) : bad(`one of ${values.join(', ')}`);
const text: Parser<string> = (raw) => (raw.length > 0 ? okv(raw) : bad('a non-empty string'));
const url: Parser<string> = (raw) => {
  try {
    const parsed = new URL(raw);
    return okv(parsed.href);
  } catch {
    // Not a URL: say what we expected instead of the URL parser's message.
    return bad('an absolute URL');
  }
};
const postgresUrl: Parser<string> = (raw) =>
  /^postgres(ql)?:\/\//.test(raw) ? okv(raw) : bad('a postgres:// or postgresql:// connection URL');
const host: Parser<string> = (raw) =>
  /^[A-Za-z0-9.:[\]-]+$/.test(raw) ? okv(raw) : bad('a host name or IP address');
const components: Parser<ReadonlySet<'reconciler' | 'bot' | 'webhooks' | 'sub' | 'console'>> = (raw) => {
  const all = ['reconciler', 'bot', 'webhooks', 'sub', 'console'] as const;
  const parts = raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  const unknown = parts.filter((part) => !(all as readonly string[]).includes(part));
  return unknown.length > 0 || parts.length === 0
    ? bad(`a comma-separated list of ${all.join(', ')}`)
    : okv(new Set(parts as ReadonlyArray<(typeof all)[number]>));
};
const telegramIds: Parser<ReadonlySet<number>> = (raw) => {
  const parts = raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  return parts.every((part) => /^\d{1,16}$/.test(part))
    ? okv(new Set(parts.map(Number)))
    : bad('a comma-separated list of numeric Telegram user ids');
};
const cidrList: Parser<readonly string[]> = (raw) => {
  const parts = raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  return parts.every((part) => /^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(part))
    ? okv(parts)
    : bad('a comma-separated list of IP addresses or CIDR blocks');
};

const flag: Parser<boolean> = (raw) => {
  const value = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(value)) {
    return okv(true);
  }
  return ['0', 'false', 'no', 'off'].includes(value) ? okv(false) : bad('true or false');
};

const sharedSecret: Parser<string> = (raw) =>
  raw.length >= 16 ? okv(raw) : bad('at least 16 characters (e.g. `openssl rand -hex 32`)');

const SECRET_KEY_FORM = /^(?:[0-9a-fA-F]{64}|[A-Za-z0-9+/_-]{43}=?)$/;
const secretKey: Parser<string> = (raw) =>
  SECRET_KEY_FORM.test(raw.trim())
    ? okv(raw.trim())
    : bad('32 random bytes as 64 hex digits or base64 (`openssl rand -hex 32`)');
const secretKeyList: Parser<readonly string[]> = (raw) => {
  const parts = raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  return parts.every((part) => SECRET_KEY_FORM.test(part))
    ? okv(parts)
    : bad('a comma-separated list of keys, each 64 hex digits or base64 of 32 bytes');
};

const botWebhookSecret: Parser<string> = (raw) =>
  /^[A-Za-z0-9_-]{1,256}$/.test(raw) ? okv(raw) : bad('1 to 256 characters of A-Z, a-z, 0-9, _ and -');
const checkoutLinks: Parser<ReadonlyArray<{ readonly label: string; readonly url: string }>> = (raw) => {
  const parts = raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  const links: Array<{ label: string; url: string }> = [];
  for (const part of parts) {
    const at = part.indexOf('=');
    const label = part.slice(0, at).trim();
    const target = part.slice(at + 1).trim();
    if (at <= 0 || label.length === 0 || !/^https?:\/\/\S+$/.test(target)) {
      return bad('a comma-separated list of Label=https://... entries');
    }
    links.push({ label, url: target });
  }
  return okv(links);
};

const currencyCode: Parser<string> = (raw) =>
  /^[A-Z0-9]{2,10}$/.test(raw)
    ? okv(raw)
    : bad('a currency or asset code of 2-10 of A-Z and 0-9, like RUB or USDT');
const assetList: Parser<readonly string[]> = (raw) => {
  const parts = raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  return parts.length > 0 && parts.every((part) => /^[A-Z0-9]{2,10}$/.test(part))
    ? okv(parts)
    : bad('a comma-separated list of asset codes, like USDT,TON');
};
const yookassaReceipt: Parser<'off' | 'email' | 'phone' | 'email-or-phone'> = oneOf(
  'off',
  'email',
  'phone',
  'email-or-phone',
);

const dayList: Parser<readonly number[]> = (raw) => {
  const parts = raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  return parts.length > 0 && parts.every((part) => /^[1-9]\d?$/.test(part))
    ? okv(parts.map(Number))
    : bad('a comma-separated list of whole days from 1 to 99, like 3,1');
};
const tokenSecret: Parser<string> = (raw) =>
  raw.length >= 32 ? okv(raw) : bad('at least 32 characters (e.g. `openssl rand -base64 48`)');
const publicBaseUrl: Parser<string> = (raw) => {
  const parsed = url(raw);
  return parsed.ok && /^https?:\/\//.test(parsed.value)
    ? okv(parsed.value.endsWith('/') ? parsed.value : `${parsed.value}/`)
    : bad('an absolute http(s) URL, like https://sub.example.com/');
};
const botUsername: Parser<string> = (raw) => {
  const name = raw.replace(/^@/, '');
  return /^[A-Za-z0-9_]{5,32}$/.test(name) ? okv(name) : bad('a Telegram bot username, like my_vpn_bot');
};

const setting = <const D extends Setting<unknown>>(definition: D): D => definition;

/** The settings table. Keys are the Config's field names. */
export const SETTINGS = {
  // — database and process
  databaseUrl: setting({
    env: 'DATABASE_URL',
    parse: postgresUrl,
    secret: true,
    doc: 'PostgreSQL connection URL. Unset: `keywarden start` runs the demo on an embedded PostgreSQL.',
  }),
  databasePoolSize: setting({
    env: 'KEYWARDEN_DB_POOL_SIZE',
    parse: integer(1, 100),
    default: '10',
    doc: 'Connections in the main pool.',
  }),
  logLevel: setting({
    env: 'KEYWARDEN_LOG_LEVEL',
    parse: oneOf('trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'),
    default: 'info',
    doc: 'Log level.',
  }),
  logFormat: setting({
    env: 'KEYWARDEN_LOG_FORMAT',
    parse: oneOf('json', 'pretty'),
    default: 'json',
    doc: '`json` (one object a line, for log shippers) or `pretty` (one readable line an event).',
  }),
  components: setting({
    env: 'KEYWARDEN_COMPONENTS',
    parse: components,
    default: 'reconciler,bot,webhooks',
    doc: 'Which parts `keywarden run` starts, comma-separated: reconciler, bot, webhooks, sub (the subscription URL server), console (the web admin console, off unless named).',
  }),
  shutdownTimeoutMs: setting({
    env: 'KEYWARDEN_SHUTDOWN_TIMEOUT',
    parse: positiveDuration,
    default: '15s',
    doc: 'How long a graceful shutdown may take before the process exits anyway.',
  }),
  httpHost: setting({
    env: 'KEYWARDEN_HTTP_HOST',
    parse: host,
    default: '0.0.0.0',
    doc: 'Address of the metrics and health server.',
  }),
  httpPort: setting({
    env: 'KEYWARDEN_HTTP_PORT',
    parse: integer(0, 65535),
    default: '9464',
    doc: 'Port of `/metrics`, `/healthz`, `/readyz`; 0 picks a free port (the bound URL is logged).',
  }),

  metricsToken: setting({
    env: 'KEYWARDEN_METRICS_TOKEN',
    parse: sharedSecret,
    secret: true,
    doc: 'When set, `/metrics` requires `Authorization: Bearer <token>` (at least 16 characters); `/healthz` and `/readyz` stay open. Bind the port to a private address either way.',
  }),

  // — reconciler
  mode: setting({
    env: 'KEYWARDEN_MODE',
    parse: oneOf('enforce', 'observe'),
    default: 'enforce',
    doc: '`enforce` applies changes; `observe` plans and reports but writes nothing to any panel.',
  }),
  resyncIntervalMs: setting({
    env: 'KEYWARDEN_RESYNC_INTERVAL',
    parse: positiveDuration,
    default: '5m',
    doc: 'Period of the full resync of every panel (jittered by ±10 %).',
  }),
  graceMs: setting({
    env: 'KEYWARDEN_GRACE',
    parse: duration,
    default: '0s',
    doc: 'Access continues this long after a period ends (e.g. `24h`). 0: access ends exactly at the end.',
  }),
  expiryMarginMs: setting({
    env: 'KEYWARDEN_EXPIRY_MARGIN',
    parse: duration,
    doc: "When set, enabled clients get the panel expiryTime = coverage end + this margin, so the panel's own job disables them even if keywarden is down. Unset: expiryTime 0 (never).",
  }),
  workers: setting({
    env: 'KEYWARDEN_WORKERS',
    parse: integer(1, 64),
    default: '4',
    doc: 'Reconcile requests processed at once.',
  }),
  valveMin: setting({
    env: 'KEYWARDEN_VALVE_MIN',
    parse: integer(0, 1_000_000),
    default: '10',
    doc: 'Safety valve: disables are held when, with those applied within VALVE_WINDOW, they exceed max(this, VALVE_PERCENT % of enabled keys).',
  }),
  valvePercent: setting({
    env: 'KEYWARDEN_VALVE_PERCENT',
    parse: integer(0, 100),
    default: '20',
    doc: 'Safety valve percentage, per panel and globally.',
  }),
  valveWindowMs: setting({
    env: 'KEYWARDEN_VALVE_WINDOW',
    parse: positiveDuration,
    default: '10m',
    doc: 'Safety valve window: disables already applied within it count against the limit, per panel and globally, so a stream of separate changes is held like one big plan.',
  }),
  leaseTimeoutMs: setting({
    env: 'KEYWARDEN_LEASE_TIMEOUT',
    parse: positiveDuration,
    default: '10s',
    doc: 'A replica that cannot confirm its panel locks for this long stops writing to those panels.',
  }),
  listenerProbeIntervalMs: setting({
    env: 'KEYWARDEN_LISTENER_PROBE_INTERVAL',
    parse: positiveDuration,
    default: '5s',
    doc: 'The NOTIFY listener sends itself a notification this often; one that does not come back within the same time counts as a frozen connection: reconnect and full pass.',
  }),

  // — panels
  panelTimeoutMs: setting({
    env: 'KEYWARDEN_PANEL_TIMEOUT',
    parse: positiveDuration,
    default: '10s',
    doc: 'Timeout of one HTTP call to a panel (connect, headers and body each).',
  }),
  panelConcurrency: setting({
    env: 'KEYWARDEN_PANEL_CONCURRENCY',
    parse: integer(1, 16),
    default: '1',
    doc: 'Writes in flight per panel. Keep 1 for 3x-ui before v3.1, which loses concurrent writes.',
  }),
  panelWritesPerSecond: setting({
    env: 'KEYWARDEN_PANEL_WRITES_PER_SECOND',
    parse: integer(0, 10_000),
    default: '0',
    doc: 'Cap on write calls per second per panel; 0 means no cap.',
  }),
  writeQuietMs: setting({
    env: 'KEYWARDEN_WRITE_QUIET',
    parse: positiveDuration,
    default: '60s',
    doc: "After a write to a panel times out, its inbound (with PANEL_CONCURRENCY=1 the whole panel) gets no other write until a read shows the write's outcome or this long has passed: longer than the panel's own handling time, so a late write cannot land after a newer one.",
  }),

  // — Telegram bot
  telegramBotToken: setting({
    env: 'TELEGRAM_BOT_TOKEN',
    parse: text,
    secret: true,
    doc: 'Bot token from @BotFather. Unset: the bot part is off.',
  }),
  telegramApiRoot: setting({
    env: 'KEYWARDEN_TELEGRAM_API_ROOT',
    parse: url,
    default: 'https://api.telegram.org',
    doc: 'Bot API root, for a self-hosted telegram-bot-api server.',
  }),
  adminTelegramIds: setting({
    env: 'KEYWARDEN_ADMIN_IDS',
    parse: telegramIds,
    default: '',
    doc: 'Telegram user ids allowed to use the admin commands, comma-separated.',
  }),
  trialDurationMs: setting({
    env: 'KEYWARDEN_TRIAL_DURATION',
    parse: positiveDuration,
    doc: 'Length of the free trial the bot offers once per user (e.g. `3d`). Unset: no trial.',
  }),
  telegramWebhookUrl: setting({
    env: 'KEYWARDEN_TELEGRAM_WEBHOOK_URL',
    parse: url,
    doc: 'Public HTTPS URL Telegram posts bot updates to. Unset: the bot uses long polling.',
  }),
  telegramWebhookSecret: setting({
    env: 'KEYWARDEN_TELEGRAM_WEBHOOK_SECRET',
    parse: botWebhookSecret,
    secret: true,
    doc: 'Secret token Telegram sends in `X-Telegram-Bot-Api-Secret-Token` (1-256 of A-Z a-z 0-9 _ -); required in webhook mode.',
  }),
  telegramWebhookHost: setting({
    env: 'KEYWARDEN_TELEGRAM_WEBHOOK_HOST',
    parse: host,
    default: '0.0.0.0',
    doc: 'Address the bot webhook server listens on (webhook mode only).',
  }),
  telegramWebhookPort: setting({
    env: 'KEYWARDEN_TELEGRAM_WEBHOOK_PORT',
    parse: integer(0, 65535),
    default: '8443',
    doc: 'Port of the bot webhook server (webhook mode only); 0 picks a free port.',
  }),
  botMessagesPerSecond: setting({
    env: 'KEYWARDEN_BOT_MESSAGES_PER_SECOND',
    parse: integer(1, 30),
    default: '25',
    doc: 'Cap on outbox messages the bot sends per second (Telegram allows about 30).',
  }),
  outboxIntervalMs: setting({
    env: 'KEYWARDEN_OUTBOX_INTERVAL',
    parse: positiveDuration,
    default: '5s',
    doc: 'How often the bot looks for outbox messages to deliver and expiry reminders to queue.',
  }),
  starsSweepIntervalMs: setting({
    env: 'KEYWARDEN_STARS_SWEEP_INTERVAL',
    parse: duration,
    default: '10m',
    doc: 'How often the bot reads its Telegram Star transactions to record payments and refunds whose update was lost; 0 turns the sweep off.',
  }),
  checkoutLinks: setting({
    env: 'KEYWARDEN_CHECKOUT_LINKS',
    parse: checkoutLinks,
    default: '',
    doc: 'Extra checkout buttons under each plan, `Label=https://...` comma-separated; `{user}` and `{plan}` in the URL are replaced by our user id and plan code.',
  }),

  orderLifetimeMs: setting({
    env: 'KEYWARDEN_ORDER_LIFETIME',
    parse: positiveDuration,
    default: '1h',
    doc: 'How long a customer has to pay an order the bot created; then it expires (a payment that still arrives later is honoured).',
  }),

  yookassaCurrency: setting({
    env: 'KEYWARDEN_YOOKASSA_CURRENCY',
    parse: currencyCode,
    default: 'RUB',
    doc: 'Currency of the card payments the bot creates with YooKassa; plans need a price in it (plans.price or plan_prices). Card payments are on when the shop id and secret key are set.',
  }),
  yookassaReturnUrl: setting({
    env: 'KEYWARDEN_YOOKASSA_RETURN_URL',
    parse: url,
    doc: "Where YooKassa sends the customer after paying. Unset: the bot's own t.me link.",
  }),
  yookassaReceipt: setting({
    env: 'KEYWARDEN_YOOKASSA_RECEIPT',
    parse: yookassaReceipt,
    default: 'off',
    doc: "54-FZ receipts: `off`, or which contact the bot asks the customer for and sends in the payment's receipt: `email`, `phone` or `email-or-phone`.",
  }),
  yookassaVatCode: setting({
    env: 'KEYWARDEN_YOOKASSA_VAT_CODE',
    parse: integer(1, 12),
    default: '1',
    doc: "The receipt item's `vat_code` (YooKassa's table; 1 = no VAT).",
  }),
  cryptoPayApiRoot: setting({
    env: 'KEYWARDEN_CRYPTOPAY_API_ROOT',
    parse: url,
    default: 'https://pay.crypt.bot/api/',
    doc: 'Crypto Pay API root (testnet: https://testnet-pay.crypt.bot/api/).',
  }),
  cryptoPayCurrency: setting({
    env: 'KEYWARDEN_CRYPTOPAY_CURRENCY',
    parse: currencyCode,
    default: 'USD',
    doc: 'Which plan price crypto invoices are made in: a fiat code (a fiat invoice payable in KEYWARDEN_CRYPTOPAY_ASSETS) or an asset like USDT. Crypto payments are on when KEYWARDEN_CRYPTOPAY_TOKEN is set.',
  }),
  cryptoPayAssets: setting({
    env: 'KEYWARDEN_CRYPTOPAY_ASSETS',
    parse: assetList,
    default: 'USDT,TON',
    doc: 'Assets a customer may pay a fiat-priced Crypto Pay invoice with.',
  }),

  autorenewLeadMs: setting({
    env: 'KEYWARDEN_AUTORENEW_LEAD',
    parse: positiveDuration,
    default: '24h',
    doc: "How long before a customer's coverage ends autopay charges their saved card (YooKassa).",
  }),
  autorenewRetryMs: setting({
    env: 'KEYWARDEN_AUTORENEW_RETRY',
    parse: positiveDuration,
    default: '6h',
    doc: 'Wait after a declined automatic charge before the next attempt (a new order each time).',
  }),
  autorenewAttempts: setting({
    env: 'KEYWARDEN_AUTORENEW_ATTEMPTS',
    parse: integer(1, 10),
    default: '3',
    doc: 'Automatic charge attempts per coverage end before autopay waits for the customer.',
  }),

  reminderDays: setting({
    env: 'KEYWARDEN_REMINDER_DAYS',
    parse: dayList,
    default: '3,1',
    doc: "Days before the end of a customer's coverage at which the bot reminds them (once per period each; none when the coverage extends further).",
  }),

  // — payment webhooks
  webhookHost: setting({
    env: 'KEYWARDEN_WEBHOOK_HOST',
    parse: host,
    default: '0.0.0.0',
    doc: 'Address of the payment webhook server.',
  }),
  webhookPort: setting({
    env: 'KEYWARDEN_WEBHOOK_PORT',
    parse: integer(0, 65535),
    default: '8080',
    doc: 'Port of the payment webhook server; 0 picks a free port.',
  }),
  yookassaIpAllowlist: setting({
    env: 'KEYWARDEN_YOOKASSA_ALLOWED_IPS',
    parse: cidrList,
    default:
      '185.71.76.0/27,185.71.77.0/27,77.75.153.0/25,77.75.154.128/25,77.75.156.11,77.75.156.35,2a02:5180::/32',
    doc: "Source addresses YooKassa notifications may come from (YooKassa's published list).",
  }),
  trustedProxyHeader: setting({
    env: 'KEYWARDEN_TRUSTED_PROXY_HEADER',
    parse: text,
    doc: 'Header your reverse proxy sets to the client address (e.g. `x-forwarded-for`). Honoured only on connections from KEYWARDEN_TRUSTED_PROXIES (required with it). Unset: the socket address is used.',
  }),
  yookassaShopId: setting({
    env: 'KEYWARDEN_YOOKASSA_SHOP_ID',
    parse: text,
    doc: 'YooKassa shop id. The YooKassa webhook is on only when this and KEYWARDEN_YOOKASSA_SECRET_KEY are set; every notification is re-fetched from the API with them.',
  }),
  yookassaSecretKey: setting({
    env: 'KEYWARDEN_YOOKASSA_SECRET_KEY',
    parse: text,
    secret: true,
    doc: 'YooKassa secret key (see KEYWARDEN_YOOKASSA_SHOP_ID).',
  }),
  yookassaApiRoot: setting({
    env: 'KEYWARDEN_YOOKASSA_API_ROOT',
    parse: url,
    default: 'https://api.yookassa.ru/v3/',
    doc: 'YooKassa API root.',
  }),
  cryptoPayToken: setting({
    env: 'KEYWARDEN_CRYPTOPAY_TOKEN',
    parse: text,
    secret: true,
    doc: 'Crypto Pay app token; enables the Crypto Pay webhook (signature keyed by its SHA-256).',
  }),
  genericWebhookSecret: setting({
    env: 'KEYWARDEN_WEBHOOK_SECRET',
    parse: sharedSecret,
    secret: true,
    doc: 'Shared secret of the generic signed webhook (`X-Keywarden-Signature: sha256=<hex>`), at least 16 characters; enables it.',
  }),
  paymentApiTimeoutMs: setting({
    env: 'KEYWARDEN_PAYMENT_API_TIMEOUT',
    parse: positiveDuration,
    default: '10s',
    doc: 'Timeout of one call to a payment provider API (the YooKassa re-fetch); on timeout the webhook answers 502 and the provider retries.',
  }),
  webhookMaxBodyBytes: setting({
    env: 'KEYWARDEN_WEBHOOK_MAX_BODY_BYTES',
    parse: integer(1024, 16 * 1024 * 1024),
    default: '65536',
    doc: 'Largest webhook body accepted, in bytes; larger bodies are answered 413.',
  }),

  trustedProxies: setting({
    env: 'KEYWARDEN_TRUSTED_PROXIES',
    parse: cidrList,
    default: '',
    doc: 'Addresses or CIDR blocks of your reverse proxies, comma-separated. KEYWARDEN_TRUSTED_PROXY_HEADER is read only on connections from them, and its right-most address that is not one of them is the caller.',
  }),
  yookassaAllowTest: setting({
    env: 'KEYWARDEN_YOOKASSA_ALLOW_TEST',
    parse: flag,
    default: 'false',
    doc: 'Accept YooKassa payments marked `test: true` (a test shop). Leave off in production.',
  }),

  // — secrets at rest
  secretKey: setting({
    env: 'KEYWARDEN_SECRET_KEY',
    parse: secretKey,
    secret: true,
    doc: 'Key that encrypts stored panel passwords and tokens (AES-256-GCM): 32 random bytes as 64 hex digits or base64 (`openssl rand -hex 32`). Unset: they are stored in plain text and start-up warns. After setting or changing it, run `keywarden rekey`.',
  }),
  secretKeyPrevious: setting({
    env: 'KEYWARDEN_SECRET_KEY_PREVIOUS',
    parse: secretKeyList,
    secret: true,
    doc: 'Former values of KEYWARDEN_SECRET_KEY, comma-separated, still used to read credentials until `keywarden rekey` has re-encrypted them with the current key.',
  }),

  // — subscription URLs
  subHost: setting({
    env: 'KEYWARDEN_SUB_HOST',
    parse: host,
    default: '0.0.0.0',
    doc: 'Address of the subscription URL server (`/sub/<token>`).',
  }),
  subPort: setting({
    env: 'KEYWARDEN_SUB_PORT',
    parse: integer(0, 65535),
    default: '8090',
    doc: 'Port of the subscription URL server; 0 picks a free port.',
  }),
  subPublicUrl: setting({
    env: 'KEYWARDEN_SUB_PUBLIC_URL',
    parse: publicBaseUrl,
    doc: 'Public base URL of the subscription server as customers reach it (e.g. `https://sub.example.com/`); links shown in the bot are `<this>sub/<token>`. Unset: the bot shows no subscription URL.',
  }),
  subTokenSecret: setting({
    env: 'KEYWARDEN_SUB_TOKEN_SECRET',
    parse: tokenSecret,
    secret: true,
    doc: 'Secret the subscription tokens are derived from (at least 32 characters). Needed wherever URLs are shown (bot, CLI, demo); changing it changes every URL.',
  }),
  subTitle: setting({
    env: 'KEYWARDEN_SUB_TITLE',
    parse: text,
    default: 'VPN',
    doc: 'Shop name shown as the profile title in client apps (`profile-title`) and on the subscription page.',
  }),
  subUpdateIntervalMs: setting({
    env: 'KEYWARDEN_SUB_UPDATE_INTERVAL',
    parse: positiveDuration,
    default: '12h',
    doc: 'How often client apps should refresh the subscription (`profile-update-interval`, sent in whole hours, at least 1).',
  }),
  subSupportUrl: setting({
    env: 'KEYWARDEN_SUB_SUPPORT_URL',
    parse: url,
    doc: 'Support link shown by client apps (`support-url`), e.g. `https://t.me/my_support`. Unset: not sent.',
  }),
  subAnnounce: setting({
    env: 'KEYWARDEN_SUB_ANNOUNCE',
    parse: text,
    doc: "Announcement shown by apps that support it (Happ's `announce`, up to 200 characters). Unset: not sent.",
  }),
  subBotUsername: setting({
    env: 'KEYWARDEN_SUB_BOT_USERNAME',
    parse: botUsername,
    doc: 'The bot\'s username, named in the placeholder entry of an expired subscription ("renew in @bot"). Unset: "renew in the bot".',
  }),
  subRatePerToken: setting({
    env: 'KEYWARDEN_SUB_RATE_PER_TOKEN',
    parse: integer(1, 100_000),
    default: '30',
    doc: 'Fetches of one subscription URL allowed per minute; more are answered 429.',
  }),
  subRatePerIp: setting({
    env: 'KEYWARDEN_SUB_RATE_PER_IP',
    parse: integer(1, 100_000),
    default: '60',
    doc: 'Requests to the subscription server allowed per client address per minute (unknown tokens included); more are answered 429.',
  }),

  // — admin CLI
  panelPassword: setting({
    env: 'KEYWARDEN_PANEL_PASSWORD',
    parse: text,
    secret: true,
    doc: '`keywarden panels add`: the panel password, instead of --password.',
  }),
  panelToken: setting({
    env: 'KEYWARDEN_PANEL_TOKEN',
    parse: text,
    secret: true,
    doc: '`keywarden panels add`: the panel API token, instead of --token.',
  }),

  // — operator's console (web)
  consoleHost: setting({
    env: 'KEYWARDEN_CONSOLE_HOST',
    parse: host,
    default: '127.0.0.1',
    doc: 'Address of the web console (component `console`). Keep it on loopback or behind an HTTPS reverse proxy.',
  }),
  consolePort: setting({
    env: 'KEYWARDEN_CONSOLE_PORT',
    parse: integer(0, 65535),
    default: '9470',
    doc: 'Port of the web console; 0 picks a free port (the bound URL is logged).',
  }),
  consolePublicUrl: setting({
    env: 'KEYWARDEN_CONSOLE_PUBLIC_URL',
    parse: url,
    doc: 'URL admins open the console at (behind a proxy: `https://admin.example.com/`); login links start with it. Unset: `http://CONSOLE_HOST:CONSOLE_PORT/`.',
  }),
  consoleSessionIdleMs: setting({
    env: 'KEYWARDEN_CONSOLE_SESSION_IDLE',
    parse: positiveDuration,
    default: '30m',
    doc: 'A console session ends after this long without a request.',
  }),
  consoleSessionMaxMs: setting({
    env: 'KEYWARDEN_CONSOLE_SESSION_MAX',
    parse: positiveDuration,
    default: '12h',
    doc: 'A console session ends this long after login, however active.',
  }),
} as const;

/** The parsed value type of one setting. */
type ValueOf<S> = S extends { readonly parse: Parser<infer T> } ? T : never;
/** Optional settings (no default, not required) may be undefined. */
type FieldOf<S> = S extends { readonly default: string }
  ? ValueOf<S>
  : S extends { readonly required: true }
    ? ValueOf<S>
    : ValueOf<S> | undefined;

/** The process configuration: parsed once at start, frozen. */
export type Config = { readonly [K in keyof typeof SETTINGS]: FieldOf<(typeof SETTINGS)[K]> };
