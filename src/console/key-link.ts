/** Connection links of keys for the console and the CLI, by the link renderer the bot and the subscription server use (one definition). */
import { renderLink } from '../links/index.ts';
import type { KeyDetail } from '../db/index.ts';

/** The key's connection link, or null when its inbound has not been observed or cannot be rendered. */
export function keyLink(key: KeyDetail): string | null {
  if (key.link === null) {
    return null;
  }
  const rendered = renderLink({
    protocol: key.link.protocol,
    host: key.link.host,
    port: key.link.port,
    remark: key.link.remark,
    key: { email: key.email, clientUuid: key.link.clientUuid, secret: key.link.secret, flow: key.link.flow },
    settings: key.link.settings,
    streamSettings: key.link.streamSettings,
  });
  return rendered.ok ? rendered.value : null;
}
