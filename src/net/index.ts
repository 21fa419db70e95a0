export {
  createIpAllowlist,
  normaliseAddress,
  resolveClientAddress,
  type IpAllowlist,
  type TrustedProxy,
} from './ip-allowlist.ts';
export { createTrustedProxy } from './trusted-proxy.ts';
