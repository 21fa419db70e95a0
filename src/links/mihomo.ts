/**
 * A key's connection as a mihomo (Clash Meta) proxy: the entry of a `proxies:` list that Clash
 * Verge, FlClash, Clash Meta for Android and Stash load. Field names follow mihomo's proxy options
 * (adapter/outbound: `VlessOption`, `VmessOption`, `TrojanOption`, `ShadowSocksOption`; transport
 * options `ws-opts`, `grpc-opts`, `http-opts`; `reality-opts` with `public-key` and `short-id`).
 * Pure. A connection mihomo cannot carry faithfully (mKCP, XHTTP, VLESS encryption, Shadowsocks
 * over a transport or TLS) is refused with the reason, and left out of the document.
 */
import { err, ok, type ParseError, type Result } from '../domain/index.ts';
import type { Connection } from './connection.ts';

/** One mihomo proxy, ready to be written as YAML. */
export type MihomoProxy = Readonly<Record<string, unknown>>;

const refuse = (path: string, expected: string): Result<MihomoProxy, ParseError> => err({ path, expected });

/** The transport part (`network` and its options), or a refusal. */
function transportOf(connection: Connection): Result<Record<string, unknown>, ParseError> {
  const t = connection.transport;
  const host = t['host'] ?? '';
  switch (connection.network) {
    case 'tcp':
    case 'raw':
      if (t['headerType'] === 'http') {
        return ok({
          network: 'http',
          'http-opts': {
            method: 'GET',
            path: [t['path'] ?? '/'],
            ...(host.length > 0 ? { headers: { Host: [host] } } : {}),
          },
        });
      }
      return ok({ network: 'tcp' });
    case 'ws':
      return ok({
        network: 'ws',
        'ws-opts': { path: t['path'] ?? '/', ...(host.length > 0 ? { headers: { Host: host } } : {}) },
      });
    case 'httpupgrade':
      return ok({
        network: 'ws',
        'ws-opts': {
          path: t['path'] ?? '/',
          'v2ray-http-upgrade': true,
          ...(host.length > 0 ? { headers: { Host: host } } : {}),
        },
      });
    case 'grpc':
      return ok({ network: 'grpc', 'grpc-opts': { 'grpc-service-name': t['serviceName'] ?? '' } });
    default:
      return err({
        path: 'stream_settings.network',
        expected: 'tcp, raw, ws, httpupgrade or grpc for mihomo',
      });
  }
}

/** TLS or Reality fields; `sniKey` is `servername` (vless, vmess) or `sni` (trojan). */
function securityOf(connection: Connection, sniKey: 'servername' | 'sni'): Record<string, unknown> {
  const tls = connection.tls;
  const fields: Record<string, unknown> = {};
  if (connection.security !== 'tls' && connection.security !== 'reality') {
    return fields;
  }
  if (sniKey === 'servername') {
    fields['tls'] = true;
  }
  if (tls['sni'] !== undefined && tls['sni'].length > 0) {
    fields[sniKey] = tls['sni'];
  }
  if (tls['fp'] !== undefined && tls['fp'].length > 0) {
    fields['client-fingerprint'] = tls['fp'];
  }
  if (connection.security === 'tls') {
    if (tls['alpn'] !== undefined && tls['alpn'].length > 0) {
      fields['alpn'] = tls['alpn'].split(',');
    }
    if (tls['allowInsecure'] === '1') {
      fields['skip-cert-verify'] = true;
    }
  } else {
    fields['reality-opts'] = { 'public-key': tls['pbk'] ?? '', 'short-id': tls['sid'] ?? '' };
    // Reality needs a uTLS fingerprint; 3x-ui's default is chrome.
    fields['client-fingerprint'] ??= 'chrome';
  }
  return fields;
}

/** Renders a connection as a mihomo proxy, or says why mihomo cannot carry it. */
export function toMihomoProxy(connection: Connection): Result<MihomoProxy, ParseError> {
  const base = { name: connection.name, server: connection.server, port: connection.port, udp: true };
  if (connection.protocol === 'shadowsocks') {
    if (connection.security !== 'none' || (connection.network !== 'tcp' && connection.network !== 'raw')) {
      return refuse('stream_settings', 'plain TCP for Shadowsocks in mihomo');
    }
    const password =
      connection.serverPassword.length > 0
        ? `${connection.serverPassword}:${connection.password}`
        : connection.password;
    return ok({ ...base, type: 'ss', cipher: connection.method, password });
  }
  if (connection.protocol === 'vmess' && connection.security === 'reality') {
    return refuse('stream_settings.security', 'none or tls for VMess');
  }
  if (connection.protocol === 'vless' && connection.encryption !== 'none' && connection.encryption !== '') {
    return refuse('settings.encryption', 'none (VLESS encryption is not rendered for mihomo)');
  }
  const transport = transportOf(connection);
  if (!transport.ok) {
    return transport;
  }
  switch (connection.protocol) {
    case 'vless':
      return ok({
        ...base,
        type: 'vless',
        uuid: connection.uuid,
        ...(connection.flow.length > 0 ? { flow: connection.flow } : {}),
        'packet-encoding': 'xudp',
        ...securityOf(connection, 'servername'),
        ...transport.value,
      });
    case 'vmess':
      return ok({
        ...base,
        type: 'vmess',
        uuid: connection.uuid,
        alterId: 0,
        cipher: 'auto',
        ...securityOf(connection, 'servername'),
        ...transport.value,
      });
    case 'trojan':
      if (connection.security === 'none') {
        return refuse('stream_settings.security', 'tls or reality for Trojan in mihomo');
      }
      if (connection.flow.length > 0) {
        return refuse('flow', 'no XTLS flow for Trojan in mihomo');
      }
      return ok({
        ...base,
        type: 'trojan',
        password: connection.password,
        ...securityOf(connection, 'sni'),
        ...transport.value,
      });
  }
}
