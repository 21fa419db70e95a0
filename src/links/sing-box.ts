/**
 * A key's connection as a sing-box outbound (SFA, SFI, SFM, Karing, Hiddify in sing-box mode).
 * Field names follow sing-box's configuration reference: outbound `vless` (`uuid`, `flow`,
 * `packet_encoding`), `vmess` (`uuid`, `security`, `alter_id`), `trojan` (`password`),
 * `shadowsocks` (`method`, `password`); outbound TLS (`enabled`, `server_name`, `insecure`, `alpn`,
 * `utls.fingerprint`, `reality.public_key`, `reality.short_id`); V2Ray transports `ws`
 * (`path`, `headers`), `grpc` (`service_name`), `httpupgrade` (`host`, `path`). Pure. A connection
 * sing-box cannot carry faithfully (mKCP, XHTTP, the TCP HTTP header obfuscation, VLESS encryption,
 * Shadowsocks over a transport or TLS) is refused with the reason, and left out of the document.
 */
import { err, ok, type ParseError, type Result } from '../domain/index.ts';
import type { Connection } from './connection.ts';

/** One sing-box outbound, ready to be written as JSON. */
export type SingBoxOutbound = Readonly<Record<string, unknown>>;

function transportOf(connection: Connection): Result<Record<string, unknown> | null, ParseError> {
  const t = connection.transport;
  const host = t['host'] ?? '';
  switch (connection.network) {
    case 'tcp':
    case 'raw':
      return t['headerType'] === 'http'
        ? err({
            path: 'stream_settings.tcpSettings.header',
            expected: 'no HTTP header obfuscation for sing-box',
          })
        : ok(null);
    case 'ws':
      return ok({
        type: 'ws',
        path: t['path'] ?? '/',
        ...(host.length > 0 ? { headers: { Host: host } } : {}),
      });
    case 'httpupgrade':
      return ok({ type: 'httpupgrade', path: t['path'] ?? '/', ...(host.length > 0 ? { host } : {}) });
    case 'grpc':
      return ok({ type: 'grpc', service_name: t['serviceName'] ?? '' });
    default:
      return err({
        path: 'stream_settings.network',
        expected: 'tcp, raw, ws, httpupgrade or grpc for sing-box',
      });
  }
}

function tlsOf(connection: Connection): Record<string, unknown> | null {
  const tls = connection.tls;
  if (connection.security !== 'tls' && connection.security !== 'reality') {
    return null;
  }
  const fingerprint = tls['fp'] !== undefined && tls['fp'].length > 0 ? tls['fp'] : undefined;
  const out: Record<string, unknown> = { enabled: true };
  if (tls['sni'] !== undefined && tls['sni'].length > 0) {
    out['server_name'] = tls['sni'];
  }
  if (connection.security === 'tls') {
    if (tls['allowInsecure'] === '1') {
      out['insecure'] = true;
    }
    if (tls['alpn'] !== undefined && tls['alpn'].length > 0) {
      out['alpn'] = tls['alpn'].split(',');
    }
    if (fingerprint !== undefined) {
      out['utls'] = { enabled: true, fingerprint };
    }
  } else {
    // Reality needs uTLS in sing-box; 3x-ui's default fingerprint is chrome.
    out['utls'] = { enabled: true, fingerprint: fingerprint ?? 'chrome' };
    out['reality'] = { enabled: true, public_key: tls['pbk'] ?? '', short_id: tls['sid'] ?? '' };
  }
  return out;
}

/** Renders a connection as a sing-box outbound tagged with its name, or says why sing-box cannot carry it. */
export function toSingBoxOutbound(connection: Connection): Result<SingBoxOutbound, ParseError> {
  const base = { tag: connection.name, server: connection.server, server_port: connection.port };
  if (connection.protocol === 'shadowsocks') {
    if (connection.security !== 'none' || (connection.network !== 'tcp' && connection.network !== 'raw')) {
      return err({ path: 'stream_settings', expected: 'plain TCP for Shadowsocks in sing-box' });
    }
    const password =
      connection.serverPassword.length > 0
        ? `${connection.serverPassword}:${connection.password}`
        : connection.password;
    return ok({ type: 'shadowsocks', ...base, method: connection.method, password });
  }
  if (connection.protocol === 'vmess' && connection.security === 'reality') {
    return err({ path: 'stream_settings.security', expected: 'none or tls for VMess' });
  }
  if (connection.protocol === 'vless' && connection.encryption !== 'none' && connection.encryption !== '') {
    return err({
      path: 'settings.encryption',
      expected: 'none (VLESS encryption is not rendered for sing-box)',
    });
  }
  if (connection.protocol === 'trojan' && connection.flow.length > 0) {
    return err({ path: 'flow', expected: 'no XTLS flow for Trojan in sing-box' });
  }
  const transport = transportOf(connection);
  if (!transport.ok) {
    return transport;
  }
  const tls = tlsOf(connection);
  const tail = {
    ...(tls === null ? {} : { tls }),
    ...(transport.value === null ? {} : { transport: transport.value }),
  };
  switch (connection.protocol) {
    case 'vless':
      return ok({
        type: 'vless',
        ...base,
        uuid: connection.uuid,
        ...(connection.flow.length > 0 ? { flow: connection.flow } : {}),
        packet_encoding: 'xudp',
        ...tail,
      });
    case 'vmess':
      return ok({ type: 'vmess', ...base, uuid: connection.uuid, security: 'auto', alter_id: 0, ...tail });
    case 'trojan':
      return ok({ type: 'trojan', ...base, password: connection.password, ...tail });
  }
}
