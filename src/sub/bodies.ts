/**
 * The three subscription bodies, rendered from connections (the keys', or one placeholder):
 *
 * - base64: share links one per line, the whole text base64-encoded (v2rayN's subscription form).
 * - mihomo: a complete Clash Meta profile in YAML (written with the `yaml` package): the proxies,
 *   a `select` group (with a `url-test` group first when there are several), and `MATCH` to it.
 * - sing-box: a complete sing-box profile in JSON for sing-box 1.12+ (tun inbound, rule actions,
 *   typed DNS servers): a `selector` and a `urltest` over the outbounds, `final` to the selector.
 *
 * A connection a format cannot carry is left out of that format (`skipped`); if that leaves none,
 * the body says so with a placeholder, so the app never shows an empty profile without a reason.
 */
import { stringify } from 'yaml';
import {
  formatShareLink,
  toMihomoProxy,
  toSingBoxOutbound,
  type Connection,
  type MihomoProxy,
  type SingBoxOutbound,
} from '../links/index.ts';
import type { SubFormat } from './client-format.ts';
import { placeholderConnection } from './summary.ts';

/** A rendered body and how many connections the format could not carry. */
export interface RenderedBody {
  readonly body: string;
  readonly contentType: string;
  readonly extension: string;
  readonly skipped: number;
}

/** Base64 of the share links, one per line. */
export function renderBase64(connections: readonly Connection[]): RenderedBody {
  const text = connections.map((connection) => `${formatShareLink(connection)}\n`).join('');
  return {
    body: Buffer.from(text, 'utf8').toString('base64'),
    contentType: 'text/plain; charset=utf-8',
    extension: 'txt',
    skipped: 0,
  };
}

function collect<T>(
  connections: readonly Connection[],
  convert: (connection: Connection) => { ok: true; value: T } | { ok: false },
  emptyName: string,
): { readonly items: readonly T[]; readonly skipped: number } {
  const items: T[] = [];
  for (const connection of connections) {
    const converted = convert(connection);
    if (converted.ok) {
      items.push(converted.value);
    }
  }
  const skipped = connections.length - items.length;
  if (items.length === 0 && connections.length > 0) {
    const fallback = convert(placeholderConnection(emptyName));
    if (fallback.ok) {
      items.push(fallback.value);
    }
  }
  return { items, skipped };
}

/** A mihomo profile; `groupName` names the selection group (the shop name). */
export function renderMihomo(
  connections: readonly Connection[],
  groupName: string,
  unsupportedName: string,
): RenderedBody {
  const { items, skipped } = collect<MihomoProxy>(connections, toMihomoProxy, unsupportedName);
  const names = items.map((proxy) => String(proxy['name']));
  const auto = 'Auto';
  const groups =
    names.length === 0
      ? []
      : [
          {
            name: groupName,
            type: 'select',
            proxies: names.length > 1 ? [auto, ...names] : names,
          },
          ...(names.length > 1
            ? [
                {
                  name: auto,
                  type: 'url-test',
                  proxies: names,
                  url: 'https://www.gstatic.com/generate_204',
                  interval: 300,
                },
              ]
            : []),
        ];
  const document = {
    'mixed-port': 7890,
    'allow-lan': false,
    mode: 'rule',
    'log-level': 'warning',
    proxies: items,
    'proxy-groups': groups,
    rules: [names.length === 0 ? 'MATCH,REJECT' : `MATCH,${groupName}`],
  };
  return {
    body: stringify(document, { lineWidth: 0 }),
    contentType: 'text/yaml; charset=utf-8',
    extension: 'yaml',
    skipped,
  };
}

/** A sing-box profile (sing-box 1.12 or later). */
export function renderSingBox(connections: readonly Connection[], unsupportedName: string): RenderedBody {
  const { items, skipped } = collect<SingBoxOutbound>(connections, toSingBoxOutbound, unsupportedName);
  const tags = items.map((outbound) => String(outbound['tag']));
  const selector = 'proxy';
  const auto = 'auto';
  const outbounds: unknown[] =
    tags.length === 0
      ? [{ type: 'direct', tag: 'direct' }]
      : [
          {
            type: 'selector',
            tag: selector,
            outbounds: tags.length > 1 ? [auto, ...tags] : tags,
            default: tags.length > 1 ? auto : tags[0],
          },
          ...(tags.length > 1
            ? [
                {
                  type: 'urltest',
                  tag: auto,
                  outbounds: tags,
                  url: 'https://www.gstatic.com/generate_204',
                  interval: '5m',
                },
              ]
            : []),
          ...items,
          { type: 'direct', tag: 'direct' },
        ];
  const document = {
    log: { level: 'warn' },
    dns: {
      servers: [
        ...(tags.length === 0 ? [] : [{ type: 'https', tag: 'remote', server: '1.1.1.1', detour: selector }]),
        { type: 'local', tag: 'local' },
      ],
      final: tags.length === 0 ? 'local' : 'remote',
    },
    inbounds: [
      {
        type: 'tun',
        tag: 'tun-in',
        address: ['172.19.0.1/30', 'fdfe:dcba:9876::1/126'],
        auto_route: true,
        strict_route: true,
      },
    ],
    outbounds,
    route: {
      rules: [
        { action: 'sniff' },
        { protocol: 'dns', action: 'hijack-dns' },
        { ip_is_private: true, outbound: 'direct' },
        ...(tags.length === 0 ? [{ network: ['tcp', 'udp'], action: 'reject' }] : []),
      ],
      final: tags.length === 0 ? 'direct' : selector,
      auto_detect_interface: true,
      default_domain_resolver: 'local',
    },
  };
  return {
    body: `${JSON.stringify(document, null, 2)}\n`,
    contentType: 'application/json; charset=utf-8',
    extension: 'json',
    skipped,
  };
}

/** The body of `format` for `connections` (html is rendered by page.ts). */
export function renderBody(
  format: Exclude<SubFormat, 'html'>,
  connections: readonly Connection[],
  options: { readonly groupName: string; readonly unsupportedName: string },
): RenderedBody {
  switch (format) {
    case 'base64':
      return renderBase64(connections);
    case 'mihomo':
      return renderMihomo(connections, options.groupName, options.unsupportedName);
    case 'sing-box':
      return renderSingBox(connections, options.unsupportedName);
  }
}
