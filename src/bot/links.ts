/**
 * Connection links for a key, rendered from the inbound as the reconciler recorded it (`inbounds`
 * row: protocol, port, remark, settings, stream_settings = 3x-ui's streamSettings object). Pure: no
 * I/O, no clock, no randomness. The formats follow what 3x-ui's own subscription service emits, so a
 * link from the bot and one copied from the panel import the same way:
 *
 * - vless / trojan / ss: `scheme://userinfo@host:port?query#remark`; query keys sorted, values
 *   escaped like Go's url.QueryEscape; the remark is `<inbound remark>-<client email>`.
 * - vmess: `vmess://` + base64 of a two-space-indented JSON object with sorted keys.
 *
 * Where 3x-ui picks at random (one of several Reality serverNames / shortIds, a random spiderX), we
 * pick the first one and the configured spiderX, so the same key always renders the same link.
 */
import { err, ok, type ParseError, type Result } from '../domain/index.ts';

/** What a link is made of. */
export interface LinkInput {
  /** `inbounds.protocol`. */
  readonly protocol: string;
  /** Host clients connect to (`panels.public_host`, else the panel URL's host). */
  readonly host: string;
  readonly port: number;
  /** `inbounds.remark`. */
  readonly remark: string;
  /** `inbounds.settings` (unknown JSON). */
  readonly settings: unknown;
  /** `inbounds.stream_settings` (unknown JSON). */
  readonly streamSettings: unknown;
  readonly key: {
    readonly email: string;
    /** `vpn_keys.client_uuid`: the id of vless and vmess clients. */
    readonly clientUuid: string;
    /** `vpn_keys.secret`: the password of trojan and shadowsocks clients. */
    readonly secret: string;
    readonly flow: string;
  };
}

type Json = Readonly<Record<string, unknown>>;

const record = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const texts = (value: unknown): readonly string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];

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

/** 3x-ui's default remark model `-ieo`: inbound remark, client email, external proxy remark. */
const remarkOf = (input: LinkInput, proxyRemark = ''): string =>
  [input.remark, input.key.email, proxyRemark].filter((part) => part.length > 0).join('-');

/**
 * An inbound's first `externalProxy` entry (3x-ui's "external proxy": a CDN or relay in front of
 * the panel host), which 3x-ui's links use instead of the server address: its dest and port, and
 * `forceTls` (`same` keeps the inbound's security, `tls` / `none` override it).
 */
function externalProxyOf(
  stream: Json,
):
  | { readonly dest: string; readonly port: number; readonly forceTls: string; readonly remark: string }
  | undefined {
  const first: unknown = Array.isArray(stream['externalProxy'])
    ? (stream['externalProxy'] as unknown[])[0]
    : undefined;
  const proxy = record(first);
  const dest = text(proxy?.['dest']);
  const port = proxy?.['port'];
  if (
    proxy === undefined ||
    dest === undefined ||
    dest.length === 0 ||
    typeof port !== 'number' ||
    !Number.isInteger(port)
  ) {
    return undefined;
  }
  return { dest, port, forceTls: text(proxy['forceTls']) ?? 'same', remark: text(proxy['remark']) ?? '' };
}

/** The Host header among `headers` (case-insensitive; a list gives its first entry). */
function searchHost(headers: unknown): string {
  for (const [name, value] of Object.entries(record(headers) ?? {})) {
    if (name.toLowerCase() === 'host') {
      return text(value) ?? texts(value)[0] ?? '';
    }
  }
  return '';
}

/** Transport parameters (path, host, serviceName, ...) by network, as 3x-ui writes them. */
function transportParams(stream: Json, network: string): Record<string, string> {
  const params: Record<string, string> = {};
  const settings = (name: string): Json => record(stream[name]) ?? {};
  const pathAndHost = (name: string): void => {
    const s = settings(name);
    params['path'] = text(s['path']) ?? '';
    const host = text(s['host']);
    params['host'] = host !== undefined && host.length > 0 ? host : searchHost(s['headers']);
  };
  switch (network) {
    case 'tcp':
    case 'raw': {
      const header =
        record(settings(network === 'raw' ? 'rawSettings' : 'tcpSettings')['header']) ??
        record(settings('tcpSettings')['header']) ??
        {};
      if (header['type'] === 'http') {
        const request = record(header['request']) ?? {};
        params['path'] = texts(request['path'])[0] ?? '/';
        params['host'] = searchHost(request['headers']);
        params['headerType'] = 'http';
      }
      break;
    }
    case 'kcp': {
      const kcp = settings('kcpSettings');
      params['headerType'] = text(record(kcp['header'])?.['type']) ?? 'none';
      params['seed'] = text(kcp['seed']) ?? '';
      break;
    }
    case 'ws':
      pathAndHost('wsSettings');
      break;
    case 'httpupgrade':
      pathAndHost('httpupgradeSettings');
      break;
    case 'xhttp':
      pathAndHost('xhttpSettings');
      params['mode'] = text(settings('xhttpSettings')['mode']) ?? 'auto';
      break;
    case 'grpc': {
      const grpc = settings('grpcSettings');
      params['serviceName'] = text(grpc['serviceName']) ?? '';
      params['authority'] = text(grpc['authority']) ?? '';
      if (grpc['multiMode'] === true) {
        params['mode'] = 'multi';
      }
      break;
    }
    default:
      break;
  }
  return params;
}

/** TLS parameters: security, sni, alpn, fp, allowInsecure. */
function tlsParams(stream: Json): Record<string, string> {
  const tls = record(stream['tlsSettings']) ?? {};
  const inner = record(tls['settings']) ?? {};
  const params: Record<string, string> = { security: 'tls' };
  const alpn = texts(tls['alpn']);
  if (alpn.length > 0) {
    params['alpn'] = alpn.join(',');
  }
  const sni = text(tls['serverName']);
  if (sni !== undefined) {
    params['sni'] = sni;
  }
  const fp = text(inner['fingerprint']);
  if (fp !== undefined) {
    params['fp'] = fp;
  }
  if (inner['allowInsecure'] === true) {
    params['allowInsecure'] = '1';
  }
  return params;
}

/** Reality parameters: security, sni, pbk, sid, fp, pqv, spx (first serverName and shortId). */
function realityParams(stream: Json): Record<string, string> {
  const reality = record(stream['realitySettings']) ?? {};
  const inner = record(reality['settings']) ?? {};
  const params: Record<string, string> = { security: 'reality' };
  const sni = texts(reality['serverNames'])[0];
  if (sni !== undefined) {
    params['sni'] = sni;
  }
  const pbk = text(inner['publicKey']);
  if (pbk !== undefined) {
    params['pbk'] = pbk;
  }
  const sid = texts(reality['shortIds'])[0];
  if (sid !== undefined) {
    params['sid'] = sid;
  }
  const fp = text(inner['fingerprint']);
  if (fp !== undefined && fp.length > 0) {
    params['fp'] = fp;
  }
  const pqv = text(inner['mldsa65Verify']);
  if (pqv !== undefined && pqv.length > 0) {
    params['pqv'] = pqv;
  }
  const spiderX = text(inner['spiderX']);
  params['spx'] = spiderX !== undefined && spiderX.length > 0 ? spiderX : '/';
  return params;
}

function encodeQuery(params: Readonly<Record<string, string>>): string {
  return Object.keys(params)
    .sort()
    .map((name) => `${queryEscape(name)}=${queryEscape(params[name] ?? '')}`)
    .join('&');
}

/** vless, trojan: network, security and flow (Vision only over tcp/raw with TLS or Reality). */
function urlStyleParams(
  input: LinkInput,
  stream: Json,
  network: string,
  withFlow: boolean,
): Record<string, string> {
  const security = text(stream['security']) ?? 'none';
  const params: Record<string, string> = { type: network, ...transportParams(stream, network) };
  if (security === 'tls') {
    Object.assign(params, tlsParams(stream));
  } else if (security === 'reality') {
    Object.assign(params, realityParams(stream));
  } else {
    params['security'] = 'none';
  }
  if (
    withFlow &&
    (security === 'tls' || security === 'reality') &&
    (network === 'tcp' || network === 'raw') &&
    input.key.flow.length > 0
  ) {
    params['flow'] = input.key.flow;
  }
  return params;
}

function vmessLink(input: LinkInput, stream: Json, network: string, remark: string): string {
  const transport = transportParams(stream, network);
  const security = text(stream['security']) ?? 'none';
  const object: Record<string, string | number | boolean> = {
    v: '2',
    add: input.host,
    port: input.port,
    type: 'none',
    net: network,
    id: input.key.clientUuid,
    scy: 'auto',
    tls: security,
    ps: remark,
  };
  if (network === 'tcp' || network === 'raw') {
    const tcp =
      record(stream[network === 'raw' ? 'rawSettings' : 'tcpSettings']) ??
      record(stream['tcpSettings']) ??
      {};
    object['type'] = text(record(tcp['header'])?.['type']) ?? '';
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
  if (security === 'tls') {
    const tls = tlsParams(stream);
    for (const name of ['alpn', 'sni', 'fp'] as const) {
      const value = tls[name];
      if (value !== undefined) {
        object[name] = value;
      }
    }
    if (tls['allowInsecure'] === '1') {
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

/**
 * Renders the connection link of one key. Fails (with the offending field) for a protocol we don't
 * render or settings too incomplete to make a working link.
 */
export function renderLink(given: LinkInput): Result<string, ParseError> {
  const original = record(given.streamSettings);
  if (original === undefined) {
    return err({ path: 'stream_settings', expected: 'an object' });
  }
  const proxy = externalProxyOf(original);
  const input: LinkInput = proxy === undefined ? given : { ...given, host: proxy.dest, port: proxy.port };
  const stream: Json =
    proxy === undefined || proxy.forceTls === 'same' ? original : { ...original, security: proxy.forceTls };
  const remark = remarkOf(input, proxy?.remark);
  const network = text(stream['network']) ?? 'tcp';
  const at = hostPort(input.host, input.port);
  const fragment = `#${fragmentEscape(remark)}`;
  const settings = record(input.settings) ?? {};
  switch (input.protocol) {
    case 'vless': {
      const params = urlStyleParams(input, stream, network, true);
      params['encryption'] = text(settings['encryption']) ?? 'none';
      return ok(`vless://${userinfoEscape(input.key.clientUuid)}@${at}?${encodeQuery(params)}${fragment}`);
    }
    case 'trojan': {
      const params = urlStyleParams(input, stream, network, true);
      return ok(`trojan://${userinfoEscape(input.key.secret)}@${at}?${encodeQuery(params)}${fragment}`);
    }
    case 'vmess':
      return ok(vmessLink(input, stream, network, remark));
    case 'shadowsocks': {
      const method = text(settings['method']);
      if (method === undefined || method.length === 0) {
        return err({ path: 'settings.method', expected: 'a shadowsocks method' });
      }
      // SS-2022 multi-user inbounds need the server key before the user key (xui-api.md §4.2).
      const serverPassword = text(settings['password']) ?? '';
      const userinfo = method.startsWith('2022-')
        ? `${method}:${serverPassword}:${input.key.secret}`
        : `${method}:${input.key.secret}`;
      const params: Record<string, string> = { type: network, ...transportParams(stream, network) };
      if (text(stream['security']) === 'tls') {
        Object.assign(params, tlsParams(stream));
      }
      const encoded = Buffer.from(userinfo, 'utf8').toString('base64');
      return ok(`ss://${userinfoEscape(encoded)}@${at}?${encodeQuery(params)}${fragment}`);
    }
    default:
      return err({ path: 'protocol', expected: 'vless, vmess, trojan or shadowsocks' });
  }
}
