/**
 * From a key row and its observed inbound to a {@link LinkInput}: the one mapping the bot and the
 * subscription service share, so a key's link is the same wherever it is shown.
 */
import type { LinkInput } from './connection.ts';

/** A key with what the reconciler last observed of its inbound (null while unobserved). */
export interface KeyWithInbound {
  readonly email: string;
  readonly clientUuid: string;
  readonly secret: string;
  readonly flow: string;
  readonly inbound: {
    readonly protocol: string;
    readonly port: number;
    readonly remark: string;
    readonly settings: unknown;
    readonly streamSettings: unknown;
    /** Host clients connect to: see {@link connectHostOf}. */
    readonly host: string;
  } | null;
}

/** The link input of a key, or null while its inbound is unobserved or has no host to connect to. */
export function linkInputOf(key: KeyWithInbound): LinkInput | null {
  if (key.inbound === null || key.inbound.host.length === 0) {
    return null;
  }
  return {
    protocol: key.inbound.protocol,
    host: key.inbound.host,
    port: key.inbound.port,
    remark: key.inbound.remark,
    settings: key.inbound.settings,
    streamSettings: key.inbound.streamSettings,
    key: { email: key.email, clientUuid: key.clientUuid, secret: key.secret, flow: key.flow },
  };
}

/** The host clients connect to: `panels.public_host`, else the host of `panels.base_url` ('' if unparseable). */
export function connectHostOf(publicHost: string | null, baseUrl: string): string {
  if (publicHost !== null && publicHost.length > 0) {
    return publicHost;
  }
  try {
    return new URL(baseUrl).hostname.replace(/^\[|\]$/g, '');
  } catch {
    // base_url is checked to be http(s)://...; an unparseable one leaves the link host empty.
    return '';
  }
}
