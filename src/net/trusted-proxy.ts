/**
 * The trusted reverse proxy from the settings, shared by every listener that reads the caller's
 * address (KEYWARDEN_TRUSTED_PROXY_HEADER, KEYWARDEN_TRUSTED_PROXIES).
 */
import { ConfigError, type Config } from '../config/index.ts';
import { createIpAllowlist, type TrustedProxy } from './ip-allowlist.ts';

/**
 * The trusted proxy from the settings, or undefined when no header is configured. A header without
 * KEYWARDEN_TRUSTED_PROXIES is refused: anyone could then claim any address by sending it.
 */
export function createTrustedProxy(
  config: Pick<Config, 'trustedProxyHeader' | 'trustedProxies'>,
): TrustedProxy | undefined {
  if (config.trustedProxyHeader === undefined) {
    return undefined;
  }
  if (config.trustedProxies.length === 0) {
    throw new ConfigError([
      {
        env: 'KEYWARDEN_TRUSTED_PROXIES',
        message:
          'is required with KEYWARDEN_TRUSTED_PROXY_HEADER: list the addresses of your reverse proxies (e.g. 127.0.0.1)',
      },
    ]);
  }
  const proxies = createIpAllowlist(config.trustedProxies);
  if (!proxies.ok) {
    throw new ConfigError([{ env: 'KEYWARDEN_TRUSTED_PROXIES', message: proxies.error }]);
  }
  return { header: config.trustedProxyHeader, proxies: proxies.value };
}
