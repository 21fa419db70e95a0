/**
 * Which body a request gets (issue 15): `?format=` wins; then the User-Agent of known apps; then a
 * browser (Accept: text/html) gets the page; everything else gets base64 share links, which every
 * V2Ray-family app reads (v2rayN, v2rayNG, Happ, Streisand, Shadowrocket, NekoBox, Hiddify).
 */

/** A body format. */
export type SubFormat = 'base64' | 'mihomo' | 'sing-box' | 'html';

/** Every format, for metrics and docs. */
export const SUB_FORMATS = ['base64', 'mihomo', 'sing-box', 'html'] as const satisfies readonly SubFormat[];

const OVERRIDES: Readonly<Record<string, SubFormat>> = {
  base64: 'base64',
  v2ray: 'base64',
  links: 'base64',
  clash: 'mihomo',
  mihomo: 'mihomo',
  'clash-meta': 'mihomo',
  'sing-box': 'sing-box',
  singbox: 'sing-box',
  json: 'sing-box',
  html: 'html',
};

/**
 * App rules, first match wins. Hiddify comes first: its User-Agent names ClashMeta and sing-box as
 * well ("HiddifyNext/2.5 (android) like ClashMeta v2ray sing-box"), and it reads share links.
 */
const USER_AGENT_RULES: ReadonlyArray<readonly [RegExp, SubFormat]> = [
  [/hiddify/i, 'base64'],
  [/clash|mihomo|stash|flclash|koala/i, 'mihomo'],
  [/sing-box|\bsf[aimt]\b|karing/i, 'sing-box'],
  [/v2rayn|v2rayng|happ|streisand|shadowrocket|nekobox|nekoray|v2raytun|v2box|foxray|incy/i, 'base64'],
];

/** The outcome: a format, or a bad `?format=` value. */
export type FormatChoice =
  { readonly kind: 'format'; readonly format: SubFormat } | { readonly kind: 'unknown-format' };

/** Picks the format of one request. */
export function pickFormat(request: {
  readonly formatParam: string | null;
  readonly userAgent: string;
  readonly accept: string;
}): FormatChoice {
  if (request.formatParam !== null) {
    const format = OVERRIDES[request.formatParam.toLowerCase()];
    return format === undefined ? { kind: 'unknown-format' } : { kind: 'format', format };
  }
  for (const [pattern, format] of USER_AGENT_RULES) {
    if (pattern.test(request.userAgent)) {
      return { kind: 'format', format };
    }
  }
  if (/\btext\/html\b/i.test(request.accept)) {
    return { kind: 'format', format: 'html' };
  }
  return { kind: 'format', format: 'base64' };
}
