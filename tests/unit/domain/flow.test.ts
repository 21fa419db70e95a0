import { describe, expect, it } from 'vitest';
import { canKeepFlow, computeDesired, diffKey, keepableFlow } from '../../../src/domain/index.ts';
import { keyRecord, observedClient, observedInbound, POLICY } from '../../support/core-builders.ts';

const VISION = 'xtls-rprx-vision';

describe('canKeepFlow mirrors the panel gate (clientWithInboundFlow, xui-api.md §4.2)', () => {
  it.each([
    ['vless tcp reality', 'vless', { network: 'tcp', security: 'reality' }, {}, false, true],
    ['vless tcp tls', 'vless', { network: 'tcp', security: 'tls' }, {}, false, true],
    ['vless tcp none', 'vless', { network: 'tcp', security: 'none' }, {}, false, false],
    [
      'vless raw reality (raw does not count)',
      'vless',
      { network: 'raw', security: 'reality' },
      {},
      false,
      false,
    ],
    ['vless ws tls', 'vless', { network: 'ws', security: 'tls' }, {}, false, false],
    [
      'vless xhttp with VLESS encryption',
      'vless',
      { network: 'xhttp' },
      { decryption: 'mlkem768x25519plus' },
      false,
      true,
    ],
    ['vless xhttp without encryption', 'vless', { network: 'xhttp' }, { decryption: 'none' }, false, false],
    [
      'vless tcp reality with disableFlow (main)',
      'vless',
      { network: 'tcp', security: 'reality' },
      {},
      true,
      false,
    ],
    ['trojan tcp tls', 'trojan', { network: 'tcp', security: 'tls' }, {}, false, false],
  ])('%s', (_name, protocol, streamSettings, settings, isFlowDisabled, expected) => {
    expect(canKeepFlow(observedInbound({ protocol, streamSettings, settings, isFlowDisabled }))).toBe(
      expected,
    );
  });

  it("keeps the key's flow when the inbound is unknown, and an empty flow as it is", () => {
    expect(keepableFlow(VISION, null)).toBe(VISION);
    expect(
      keepableFlow('', observedInbound({ streamSettings: { network: 'tcp', security: 'reality' } })),
    ).toBe('');
  });
});

describe('desired flow on an inbound that cannot keep one', () => {
  it('asks for no flow, so the client the panel stored without one is not flow drift', () => {
    const inbound = observedInbound({ streamSettings: { network: 'ws', security: 'none' } });
    const desired = computeDesired(keyRecord(1, { flow: VISION }), POLICY, 0, inbound);
    expect(desired).toMatchObject({ kind: 'enabled', fields: { flow: '' } });
    expect(diffKey(desired, observedClient(1, { flow: '' }), inbound)).not.toContain('flow-mismatch');
  });

  it('still asks for the flow on a Reality inbound, and reports a client that lost it', () => {
    const inbound = observedInbound({ streamSettings: { network: 'tcp', security: 'reality' } });
    const desired = computeDesired(keyRecord(1, { flow: VISION }), POLICY, 0, inbound);
    expect(diffKey(desired, observedClient(1, { flow: '' }), inbound)).toContain('flow-mismatch');
  });
});

describe('panel-side renewal (main / 3.7+)', () => {
  it('counts a calendar renew day or a traffic reset cycle as reset-nonzero drift, also on a disabled key', () => {
    const inbound = observedInbound();
    const disabled = computeDesired(keyRecord(1, { isRevoked: true }), POLICY, 0, inbound);
    expect(
      diffKey(disabled, observedClient(1, { isClientEnabled: false, hasPanelRenewal: true }), inbound),
    ).toEqual(['reset-nonzero']);
    expect(diffKey(disabled, observedClient(1, { isClientEnabled: false }), inbound)).toEqual([]);
  });
});
