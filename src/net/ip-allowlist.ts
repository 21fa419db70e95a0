/**
 * Who is calling: an allowlist of addresses and CIDR blocks (IPv4 and IPv6), and the rule for
 * finding the caller's address behind our own reverse proxy. Used by every listener that acts on the
 * caller's address: the webhooks (YooKassa signs nothing, reference/payments.md §2.3) and the
 * subscription server's per-address rate limit.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { BlockList, isIP } from 'node:net';
import { err, ok, type Result } from '../domain/index.ts';

/** A compiled allowlist. */
export interface IpAllowlist {
  /** True when `address` (IPv4, IPv6 or IPv4-mapped IPv6) is inside one of the entries. */
  readonly allows: (address: string) => boolean;
  /** The entries as configured, for the start-up log. */
  readonly entries: readonly string[];
}

const MAPPED_V4 = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

/**
 * Normalises an address for matching: strips brackets and an IPv6 zone, and turns an IPv4-mapped
 * IPv6 address (`::ffff:185.71.76.1`, what a dual-stack socket reports for an IPv4 caller) into
 * plain IPv4. Returns null for anything that is not an IP address.
 */
export function normaliseAddress(raw: string): string | null {
  let address = raw.trim();
  if (address.startsWith('[') && address.endsWith(']')) {
    address = address.slice(1, -1);
  }
  const zone = address.indexOf('%');
  if (zone !== -1) {
    address = address.slice(0, zone);
  }
  const mapped = MAPPED_V4.exec(address);
  if (mapped?.[1] !== undefined) {
    address = mapped[1];
  }
  return isIP(address) === 0 ? null : address.toLowerCase();
}

/**
 * Compiles `entries` (addresses or `address/prefix` blocks). An entry that is not one is an error
 * naming it, so a typo in the setting stops start-up instead of silently allowing less (or more).
 */
export function createIpAllowlist(entries: readonly string[]): Result<IpAllowlist, string> {
  const list = new BlockList();
  for (const entry of entries) {
    const [rawAddress = '', prefixText, ...rest] = entry.split('/');
    const address = normaliseAddress(rawAddress);
    if (address === null || rest.length > 0) {
      return err(`${JSON.stringify(entry)} is not an IP address or CIDR block`);
    }
    const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    const maxPrefix = family === 'ipv4' ? 32 : 128;
    const prefix = prefixText === undefined ? maxPrefix : Number(prefixText);
    if (!/^\d{1,3}$/.test(prefixText ?? String(maxPrefix)) || prefix > maxPrefix) {
      return err(`${JSON.stringify(entry)} has a prefix length outside 0-${maxPrefix}`);
    }
    list.addSubnet(address, prefix, family);
  }
  return ok({
    entries: [...entries],
    allows: (raw) => {
      const address = normaliseAddress(raw);
      if (address === null) {
        return false;
      }
      return list.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');
    },
  });
}

/** Where the caller's address may be read from: a header, honoured only from our own proxies. */
export interface TrustedProxy {
  /** The header the proxies set (e.g. `x-forwarded-for` or `x-real-ip`). */
  readonly header: string;
  /** The proxies' addresses. */
  readonly proxies: IpAllowlist;
}

/**
 * The caller's address. Without a trusted proxy it is the socket's peer. With one, the header is
 * read only when the socket's peer is one of the proxies (anyone else could write any header), and
 * of its comma-separated entries (X-Forwarded-For, repeated headers joined in order) the right-most
 * one that is not itself a proxy is the caller: everything to its left was written by the caller.
 * Null when the header is absent on a proxied connection or an entry met on the way is not an
 * address: then we cannot know who called.
 */
export function resolveClientAddress(
  headers: IncomingHttpHeaders,
  socketAddress: string | undefined,
  trusted: TrustedProxy | undefined,
): string | null {
  const peer = socketAddress === undefined ? null : normaliseAddress(socketAddress);
  if (trusted === undefined || peer === null || !trusted.proxies.allows(peer)) {
    return peer;
  }
  const value = headers[trusted.header.toLowerCase()];
  const text = Array.isArray(value) ? value.join(',') : value;
  if (text === undefined) {
    return null;
  }
  const hops = text.split(',');
  let address: string | null = null;
  for (let index = hops.length - 1; index >= 0; index -= 1) {
    address = normaliseAddress(hops[index] ?? '');
    if (address === null || !trusted.proxies.allows(address)) {
      return address;
    }
  }
  // Every hop is one of our proxies: the left-most one is the closest thing to a caller we know.
  return address;
}
