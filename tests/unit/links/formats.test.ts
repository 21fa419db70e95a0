import { describe, expect, it } from 'vitest';
import {
  describeConnection,
  toMihomoProxy,
  toSingBoxOutbound,
  type Connection,
  type LinkInput,
} from '../../../src/links/index.ts';

const KEY = { email: 'kw-7', clientUuid: '0f5c6a8e-3b1d-4c2a-9e7f-1a2b3c4d5e6f', secret: 'pw', flow: '' };

function connection(overrides: Partial<LinkInput>): Connection {
  const described = describeConnection({
    protocol: 'vmess',
    host: 'h.example.net',
    port: 443,
    remark: 'R',
    settings: {},
    streamSettings: { network: 'tcp', security: 'none' },
    key: KEY,
    ...overrides,
  });
  if (!described.ok) {
    throw new Error(JSON.stringify(described.error));
  }
  return described.value;
}

describe('mihomo proxies and sing-box outbounds from one connection', () => {
  it('renders VMess over gRPC with TLS', () => {
    const c = connection({
      streamSettings: {
        network: 'grpc',
        security: 'tls',
        tlsSettings: {
          serverName: 'g.example.net',
          settings: { fingerprint: 'chrome', allowInsecure: true },
        },
        grpcSettings: { serviceName: 'svc' },
      },
    });
    expect(toMihomoProxy(c)).toEqual({
      ok: true,
      value: {
        name: 'R-kw-7',
        server: 'h.example.net',
        port: 443,
        udp: true,
        type: 'vmess',
        uuid: KEY.clientUuid,
        alterId: 0,
        cipher: 'auto',
        tls: true,
        servername: 'g.example.net',
        'client-fingerprint': 'chrome',
        'skip-cert-verify': true,
        network: 'grpc',
        'grpc-opts': { 'grpc-service-name': 'svc' },
      },
    });
    expect(toSingBoxOutbound(c)).toEqual({
      ok: true,
      value: {
        type: 'vmess',
        tag: 'R-kw-7',
        server: 'h.example.net',
        server_port: 443,
        uuid: KEY.clientUuid,
        security: 'auto',
        alter_id: 0,
        tls: {
          enabled: true,
          server_name: 'g.example.net',
          insecure: true,
          utls: { enabled: true, fingerprint: 'chrome' },
        },
        transport: { type: 'grpc', service_name: 'svc' },
      },
    });
  });

  it('renders HTTPUpgrade as mihomo ws with v2ray-http-upgrade and as sing-box httpupgrade', () => {
    const c = connection({
      protocol: 'vless',
      settings: { encryption: 'none' },
      streamSettings: {
        network: 'httpupgrade',
        security: 'none',
        httpupgradeSettings: { path: '/up', host: 'u.example' },
      },
    });
    const mihomo = toMihomoProxy(c);
    expect(mihomo.ok && mihomo.value['ws-opts']).toEqual({
      path: '/up',
      'v2ray-http-upgrade': true,
      headers: { Host: 'u.example' },
    });
    const singBox = toSingBoxOutbound(c);
    expect(singBox.ok && singBox.value['transport']).toEqual({
      type: 'httpupgrade',
      path: '/up',
      host: 'u.example',
    });
  });

  it('renders Shadowsocks 2022 with the server key before the user key', () => {
    const c = connection({
      protocol: 'shadowsocks',
      settings: { method: '2022-blake3-aes-128-gcm', password: 'c2VydmVy' },
      key: { ...KEY, secret: 'dXNlcg==' },
    });
    const mihomo = toMihomoProxy(c);
    expect(mihomo.ok && [mihomo.value['type'], mihomo.value['cipher'], mihomo.value['password']]).toEqual([
      'ss',
      '2022-blake3-aes-128-gcm',
      'c2VydmVy:dXNlcg==',
    ]);
    const singBox = toSingBoxOutbound(c);
    expect(singBox.ok && singBox.value['password']).toBe('c2VydmVy:dXNlcg==');
  });

  it('refuses what a format cannot carry, naming why (mKCP, XHTTP, SS over WebSocket)', () => {
    const kcp = connection({ streamSettings: { network: 'kcp', security: 'none' } });
    expect(toMihomoProxy(kcp).ok).toBe(false);
    expect(toSingBoxOutbound(kcp).ok).toBe(false);
    const xhttp = connection({ protocol: 'vless', streamSettings: { network: 'xhttp', security: 'tls' } });
    expect(toSingBoxOutbound(xhttp)).toMatchObject({ ok: false, error: { path: 'stream_settings.network' } });
    const ssWs = connection({
      protocol: 'shadowsocks',
      settings: { method: 'aes-128-gcm' },
      streamSettings: { network: 'ws' },
    });
    expect(toMihomoProxy(ssWs).ok).toBe(false);
  });

  it('gives Reality a uTLS fingerprint even when the inbound sets none', () => {
    const c = connection({
      protocol: 'vless',
      streamSettings: {
        network: 'tcp',
        security: 'reality',
        realitySettings: { serverNames: ['a.example'], shortIds: ['ab'], settings: { publicKey: 'PK' } },
      },
    });
    const singBox = toSingBoxOutbound(c);
    expect(singBox.ok && singBox.value['tls']).toMatchObject({
      utls: { enabled: true, fingerprint: 'chrome' },
    });
    const mihomo = toMihomoProxy(c);
    expect(mihomo.ok && mihomo.value['client-fingerprint']).toBe('chrome');
  });
});
