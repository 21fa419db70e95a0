/**
 * What a connection to one key is made of, read from the inbound as the reconciler recorded it
 * (`inbounds` row: protocol, port, remark, settings, stream_settings = 3x-ui's streamSettings
 * object). Pure: no I/O, no clock, no randomness. Every client format keywarden serves is rendered
 * from this one description (share links in share-link.ts, mihomo proxies in mihomo.ts, sing-box
 * outbounds in sing-box.ts), so the formats cannot disagree about a key.
 *
 * The parameters follow what 3x-ui's own subscription service emits, so a link from keywarden and
 * one copied from the panel import the same way. Where 3x-ui picks at random (one of several Reality
 * serverNames / shortIds, a random spiderX), we pick the first one and the configured spiderX, so
 * the same key always renders the same connection.
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

/** TLS parameters as share links carry them: sni, alpn, fp, allowInsecure. */
function tlsParams(stream: Json): Record<string, string> {
  const tls = record(stream['tlsSettings']) ?? {};
  const inner = record(tls['settings']) ?? {};
  const params: Record<string, string> = {};
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

/** Reality parameters as share links carry them: sni, pbk, sid, fp, pqv, spx (first serverName and shortId). */
function realityParams(stream: Json): Record<string, string> {
  const reality = record(stream['realitySettings']) ?? {};
  const inner = record(reality['settings']) ?? {};
  const params: Record<string, string> = {};
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

/** The protocols keywarden renders. */
export const CONNECTION_PROTOCOLS = ['vless', 'vmess', 'trojan', 'shadowsocks'] as const;
export type ConnectionProtocol = (typeof CONNECTION_PROTOCOLS)[number];

/**
 * One key's connection, every field resolved (external proxy applied, first Reality serverName and
 * shortId picked). Parameter records use share-link names, so each format maps from one vocabulary.
 */
export interface Connection {
  readonly protocol: ConnectionProtocol;
  /** `<inbound remark>-<client email>[-<external proxy remark>]` (3x-ui's remark model `-ieo`). */
  readonly name: string;
  readonly server: string;
  readonly port: number;
  /** Stream network as 3x-ui writes it: tcp, raw, ws, grpc, httpupgrade, xhttp, kcp, ... */
  readonly network: string;
  /** Stream security as written (none, tls, reality); shadowsocks carries only `tls` or `none`. */
  readonly security: string;
  /** Transport parameters by share-link name: path, host, headerType, serviceName, authority, mode, seed. */
  readonly transport: Readonly<Record<string, string>>;
  /**
   * TLS parameters (sni, alpn, fp, allowInsecure) when security is tls; Reality parameters (sni,
   * pbk, sid, fp, pqv, spx) when it is reality; empty otherwise.
   */
  readonly tls: Readonly<Record<string, string>>;
  /** The header type of a tcp/raw stream (`none`, `http`, or '' when unset); '' for other networks. */
  readonly tcpHeaderType: string;
  /** vless, vmess: the client id. */
  readonly uuid: string;
  /** trojan: the password; shadowsocks: the user key. */
  readonly password: string;
  /** vless, trojan: XTLS flow, only over tcp/raw with TLS or Reality (else ''). */
  readonly flow: string;
  /** vless: `settings.encryption` (`none` unless VLESS encryption is on). */
  readonly encryption: string;
  /** shadowsocks: the method. */
  readonly method: string;
  /** shadowsocks 2022: the server key that goes before the user key (else ''). */
  readonly serverPassword: string;
}

const isProtocol = (value: string): value is ConnectionProtocol =>
  (CONNECTION_PROTOCOLS as readonly string[]).includes(value);

/**
 * Describes the connection of one key. Fails (with the offending field) for a protocol we don't
 * render or settings too incomplete to make a working connection.
 */
export function describeConnection(given: LinkInput): Result<Connection, ParseError> {
  const original = record(given.streamSettings);
  if (original === undefined) {
    return err({ path: 'stream_settings', expected: 'an object' });
  }
  if (!isProtocol(given.protocol)) {
    return err({ path: 'protocol', expected: 'vless, vmess, trojan or shadowsocks' });
  }
  const protocol = given.protocol;
  const proxy = externalProxyOf(original);
  const input: LinkInput = proxy === undefined ? given : { ...given, host: proxy.dest, port: proxy.port };
  const stream: Json =
    proxy === undefined || proxy.forceTls === 'same' ? original : { ...original, security: proxy.forceTls };
  const network = text(stream['network']) ?? 'tcp';
  const settings = record(input.settings) ?? {};
  const rawSecurity = text(stream['security']) ?? 'none';
  const security = protocol === 'shadowsocks' ? (rawSecurity === 'tls' ? 'tls' : 'none') : rawSecurity;
  const tls =
    security === 'tls'
      ? tlsParams(stream)
      : security === 'reality' && protocol !== 'vmess'
        ? realityParams(stream)
        : {};
  const isTcp = network === 'tcp' || network === 'raw';
  let tcpHeaderType = '';
  if (isTcp) {
    const tcp =
      record(stream[network === 'raw' ? 'rawSettings' : 'tcpSettings']) ??
      record(stream['tcpSettings']) ??
      {};
    tcpHeaderType = text(record(tcp['header'])?.['type']) ?? '';
  }
  let method = '';
  let serverPassword = '';
  if (protocol === 'shadowsocks') {
    method = text(settings['method']) ?? '';
    if (method.length === 0) {
      return err({ path: 'settings.method', expected: 'a shadowsocks method' });
    }
    // SS-2022 multi-user inbounds need the server key before the user key (xui-api.md §4.2).
    serverPassword = method.startsWith('2022-') ? (text(settings['password']) ?? '') : '';
  }
  const hasFlow =
    (protocol === 'vless' || protocol === 'trojan') &&
    (security === 'tls' || security === 'reality') &&
    isTcp &&
    input.key.flow.length > 0;
  return ok({
    protocol,
    name: remarkOf(input, proxy?.remark),
    server: input.host,
    port: input.port,
    network,
    security,
    transport: transportParams(stream, network),
    tls,
    tcpHeaderType,
    uuid: input.key.clientUuid,
    password: input.key.secret,
    flow: hasFlow ? input.key.flow : '',
    encryption: protocol === 'vless' ? (text(settings['encryption']) ?? 'none') : '',
    method,
    serverPassword,
  });
}
