/**
 * Client apps a customer can import a subscription URL into, and their import deep links. One
 * table for the bot's buttons and the subscription page. The URL schemes are the apps' published
 * ones (docs/subscription.md cites each): a null `deepLink` means the app has none we could verify,
 * and the customer pastes the URL instead.
 */

/** Which subscription format an app reads. */
export type AppFormat = 'base64' | 'mihomo' | 'sing-box';

/** One client app. */
export interface ClientApp {
  readonly id: string;
  readonly name: string;
  readonly platforms: string;
  readonly format: AppFormat;
  /** The import deep link for `url` (the subscription URL) named `title`, or null. */
  readonly deepLink: ((url: string, title: string) => string) | null;
}

const enc = encodeURIComponent;

/** The subscription URL with the format pinned (apps that need one format get it explicitly). */
export const withFormat = (url: string, format: AppFormat): string =>
  format === 'base64' ? url : `${url}${url.includes('?') ? '&' : '?'}format=${format}`;

/** The apps we give instructions for, most common first. */
export const CLIENT_APPS: readonly ClientApp[] = [
  {
    id: 'happ',
    name: 'Happ',
    platforms: 'iOS, Android, Windows, macOS',
    format: 'base64',
    deepLink: (url) => `happ://add/${url}`,
  },
  {
    id: 'v2rayng',
    name: 'v2rayNG',
    platforms: 'Android',
    format: 'base64',
    deepLink: (url, title) => `v2rayng://install-sub?url=${enc(url)}&name=${enc(title)}`,
  },
  {
    id: 'streisand',
    name: 'Streisand',
    platforms: 'iOS, macOS',
    format: 'base64',
    deepLink: (url, title) => `streisand://import/${url}#${enc(title)}`,
  },
  {
    id: 'hiddify',
    name: 'Hiddify',
    platforms: 'Android, iOS, Windows, macOS, Linux',
    format: 'base64',
    deepLink: (url, title) => `hiddify://import/${url}#${enc(title)}`,
  },
  {
    id: 'singbox',
    name: 'sing-box (SFA, SFI, SFM)',
    platforms: 'Android, iOS, macOS',
    format: 'sing-box',
    deepLink: (url, title) =>
      `sing-box://import-remote-profile?url=${enc(withFormat(url, 'sing-box'))}#${enc(title)}`,
  },
  {
    id: 'clash',
    name: 'Clash Verge, FlClash, Clash Meta for Android',
    platforms: 'Windows, macOS, Linux, Android',
    format: 'mihomo',
    deepLink: (url, title) =>
      `clash://install-config?url=${enc(withFormat(url, 'mihomo'))}&name=${enc(title)}`,
  },
  { id: 'v2rayn', name: 'v2rayN', platforms: 'Windows, Linux, macOS', format: 'base64', deepLink: null },
  { id: 'shadowrocket', name: 'Shadowrocket', platforms: 'iOS', format: 'base64', deepLink: null },
];

/** The app with `id`, or undefined. */
export const clientAppById = (id: string): ClientApp | undefined => CLIENT_APPS.find((app) => app.id === id);
