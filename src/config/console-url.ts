/** Where the web console is reached, for the login links the bot and the CLI hand out. */
import type { Config } from './settings.ts';

/** A login link works once, for this long (issue 14: 10 minutes). */
export const CONSOLE_LINK_TTL_MS = 10 * 60_000;

/** The console's base URL (ends in `/`): KEYWARDEN_CONSOLE_PUBLIC_URL, else the configured listener. */
export function consoleBaseUrl(
  config: Pick<Config, 'consolePublicUrl' | 'consoleHost' | 'consolePort'>,
  boundUrl?: string,
): string {
  if (config.consolePublicUrl !== undefined) {
    return config.consolePublicUrl.endsWith('/') ? config.consolePublicUrl : `${config.consolePublicUrl}/`;
  }
  if (boundUrl !== undefined) {
    return boundUrl;
  }
  const host = config.consoleHost.includes(':') ? `[${config.consoleHost}]` : config.consoleHost;
  return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${String(config.consolePort)}/`;
}

/** The one-time login link for a token. */
export function consoleLoginUrl(base: string, token: string): string {
  return `${base}login?token=${encodeURIComponent(token)}`;
}
