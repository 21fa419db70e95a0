/**
 * Source-address checks for providers that sign nothing (YooKassa, reference/payments.md §2.3):
 * an allowlist of addresses and CIDR blocks, IPv4 and IPv6, and the rule for finding the caller's
 * address behind our own reverse proxy.
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

/**
 * The caller's address. Without a trusted proxy header it is the socket's peer. With one, it is the
 * header's value, and of a comma-separated list (X-Forwarded-For) the LAST entry: the one our own
 * proxy appended, since everything before it was written by the caller. Null when the header is
 * configured but absent or not an address: the request did not come through our proxy.
 */
export function resolveClientAddress(
  headers: IncomingHttpHeaders,
  socketAddress: string | undefined,
  trustedProxyHeader: string | undefined,
): string | null {
  if (trustedProxyHeader === undefined) {
    return socketAddress === undefined ? null : normaliseAddress(socketAddress);
  }
  const value = headers[trustedProxyHeader.toLowerCase()];
  const text = Array.isArray(value) ? value[value.length - 1] : value;
  const last = text?.split(',').pop();
  return last === undefined ? null : normaliseAddress(last);
}
