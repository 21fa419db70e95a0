/**
 * Which XTLS flow a client can keep on an inbound. 3x-ui (v3.3.0+, `clientWithInboundFlow`) stores a
 * client's `flow` only on a vless inbound over `tcp` (not `raw`) with TLS or Reality, or over `xhttp`
 * with VLESS encryption; main also drops it on an inbound with `disableFlow` (xui-api.md §4.2). A key
 * that asks for a flow elsewhere would be rewritten by the panel on every write, and the reconciler
 * would fight it forever, so the desired flow is what the inbound can keep.
 */
import type { ObservedInbound } from './observed.ts';

function isVlessEncryption(value: unknown): boolean {
  return typeof value === 'string' && value !== '' && value !== 'none';
}

/** Whether a client on `inbound` keeps an XTLS flow (the panel's gate, applied to every generation). */
export function canKeepFlow(inbound: ObservedInbound): boolean {
  if (inbound.protocol !== 'vless' || inbound.isFlowDisabled) {
    return false;
  }
  const network = inbound.streamSettings['network'];
  const security = inbound.streamSettings['security'];
  if (network === 'tcp') {
    return security === 'tls' || security === 'reality';
  }
  if (network === 'xhttp') {
    return (
      isVlessEncryption(inbound.settings['encryption']) || isVlessEncryption(inbound.settings['decryption'])
    );
  }
  return false;
}

/** The flow to ask for: the key's, or '' where the inbound cannot keep one; the key's when the inbound is unknown. */
export function keepableFlow(flow: string, inbound: ObservedInbound | null | undefined): string {
  if (flow === '' || inbound === null || inbound === undefined) {
    return flow;
  }
  return canKeepFlow(inbound) ? flow : '';
}
