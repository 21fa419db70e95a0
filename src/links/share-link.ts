/**
 * Share links (`vless://`, `vmess://`, `trojan://`, `ss://`) of a key, rendered from its
 * {@link Connection}. The form is the one 3x-ui's own subscription service emits:
 *
 * - vless / trojan / ss: `scheme://userinfo@host:port?query#remark`; query keys sorted, values
 *   escaped like Go's url.QueryEscape; the remark is `<inbound remark>-<client email>`.
 * - vmess: `vmess://` + base64 of a two-space-indented JSON object with sorted keys.
 */
import { type ParseError, type Result } from '../domain/index.ts';
import { describeConnection, type Connection, type LinkInput } from './connection.ts';

/** Go's url.QueryEscape: everything but A-Z a-z 0-9 - _ . ~ is %XX-escaped, a space becomes `+`. */
function queryEscape(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** Go's fragment escaping (url.URL.EscapedFragment): keeps unreserved and `$&+,/:;=?@!()*`. */
function fragmentEscape(value: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(value)) {
    const c = String.fromCharCode(byte);
    out +=
      /[A-Za-z0-9\-_.~$&+,/:;=?@!()*]/.test(c) && byte < 0x80
        ? c
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Userinfo escaping: `@ / ? :` and anything outside the RFC's userinfo set. */
function userinfoEscape(value: string): string {
  return encodeURIComponent(value).replace(/%(2B|3D|24|26|2C|3B)/g, (escaped) => decodeURIComponent(escaped));
}

const hostPort = (host: string, port: number): string =>
  `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;

function encodeQuery(params: Readonly<Record<string, string>>): string {
  return Object.keys(params)
    .sort()
    .map((name) => `${queryEscape(name)}=${queryEscape(params[name] ?? '')}`)
    .join('&');
}

/** vless, trojan: network, transport, security and flow. */
function urlStyleParams(connection: Connection): Record<string, string> {
  const params: Record<string, string> = { type: connection.network, ...connection.transport };
  if (connection.security === 'tls' || connection.security === 'reality') {
    Object.assign(params, connection.tls, { security: connection.security });
  } else {
    params['security'] = 'none';
  }
  if (connection.flow.length > 0) {
    params['flow'] = connection.flow;
  }
  return params;
}

function vmessLink(connection: Connection): string {
  const transport = connection.transport;
  const network = connection.network;
  const object: Record<string, string | number | boolean> = {
    v: '2',
    add: connection.server,
    port: connection.port,
    type: 'none',
    net: network,
    id: connection.uuid,
    scy: 'auto',
    tls: connection.security,
    ps: connection.name,
  };
  if (network === 'tcp' || network === 'raw') {
    object['type'] = connection.tcpHeaderType;
  }
  if (transport['path'] !== undefined) {
    object['path'] = transport['path'];
  }
  if (transport['host'] !== undefined) {
    object['host'] = transport['host'];
  }
  if (network === 'kcp') {
    object['type'] = transport['headerType'] ?? 'none';
    object['path'] = transport['seed'] ?? '';
  }
  if (network === 'grpc') {
    object['path'] = transport['serviceName'] ?? '';
    object['authority'] = transport['authority'] ?? '';
    if (transport['mode'] === 'multi') {
      object['type'] = 'multi';
    }
  }
  if (network === 'xhttp') {
    object['mode'] = transport['mode'] ?? 'auto';
  }
  if (connection.security === 'tls') {
    for (const name of ['alpn', 'sni', 'fp'] as const) {
      const value = connection.tls[name];
      if (value !== undefined) {
        object[name] = value;
      }
    }
    if (connection.tls['allowInsecure'] === '1') {
      object['allowInsecure'] = true;
    }
  }
  const sorted = Object.fromEntries(
    Object.keys(object)
      .sort()
      .map((name) => [name, object[name]]),
  );
  // Go's encoder escapes <, > and & inside strings; do the same so the base64 matches byte for byte.
  const json = JSON.stringify(sorted, null, 2).replace(
    /[<>&]/g,
    (c) => `\\u00${c.charCodeAt(0).toString(16)}`,
  );
  return `vmess://${Buffer.from(json, 'utf8').toString('base64')}`;
}

/** Renders the share link of a described connection. */
export function formatShareLink(connection: Connection): string {
  const at = hostPort(connection.server, connection.port);
  const fragment = `#${fragmentEscape(connection.name)}`;
  switch (connection.protocol) {
    case 'vless': {
      const params = urlStyleParams(connection);
      params['encryption'] = connection.encryption;
      return `vless://${userinfoEscape(connection.uuid)}@${at}?${encodeQuery(params)}${fragment}`;
    }
    case 'trojan':
      return `trojan://${userinfoEscape(connection.password)}@${at}?${encodeQuery(urlStyleParams(connection))}${fragment}`;
    case 'vmess':
      return vmessLink(connection);
    case 'shadowsocks': {
      const userinfo =
        connection.serverPassword.length > 0 || connection.method.startsWith('2022-')
          ? `${connection.method}:${connection.serverPassword}:${connection.password}`
          : `${connection.method}:${connection.password}`;
      const params: Record<string, string> = { type: connection.network, ...connection.transport };
      if (connection.security === 'tls') {
        Object.assign(params, connection.tls, { security: 'tls' });
      }
      const encoded = Buffer.from(userinfo, 'utf8').toString('base64');
      return `ss://${userinfoEscape(encoded)}@${at}?${encodeQuery(params)}${fragment}`;
    }
  }
}

/**
 * Renders the connection link of one key. Fails (with the offending field) for a protocol we don't
 * render or settings too incomplete to make a working link.
 */
export function renderLink(input: LinkInput): Result<string, ParseError> {
  const connection = describeConnection(input);
  return connection.ok ? { ok: true, value: formatShareLink(connection.value) } : connection;
}
