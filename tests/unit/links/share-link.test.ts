import { describe, expect, it } from 'vitest';
import { renderLink, type LinkInput } from '../../../src/links/index.ts';

const KEY = {
  email: 'kw-42',
  clientUuid: '0f5c6a8e-3b1d-4c2a-9e7f-1a2b3c4d5e6f',
  secret: '9c1e7d3b5a2f4e6d8c0b1a2f3e4d5c6b',
  flow: '',
};

const input = (overrides: Partial<LinkInput>): LinkInput => ({
  protocol: 'vless',
  host: 'nl1.example.net',
  port: 443,
  remark: 'NL',
  settings: {},
  streamSettings: { network: 'tcp', security: 'none', tcpSettings: { header: { type: 'none' } } },
  key: KEY,
  ...overrides,
});

const REALITY = {
  network: 'tcp',
  security: 'reality',
  realitySettings: {
    show: false,
    dest: 'www.microsoft.com:443',
    serverNames: ['www.microsoft.com', 'microsoft.com'],
    privateKey: 'never-in-a-link',
    shortIds: ['6ba85179e30d4fc2', 'ab'],
    settings: {
      publicKey: 'Z84J2IelR9ch3k8VtlVhhs5ycBUlXA7wHBWcBrjqnAw',
      fingerprint: 'chrome',
      serverName: '',
      spiderX: '/',
    },
  },
  tcpSettings: { acceptProxyProtocol: false, header: { type: 'none' } },
};

const TLS_WS = {
  network: 'ws',
  security: 'tls',
  tlsSettings: {
    serverName: 'cdn.example.net',
    alpn: ['h2', 'http/1.1'],
    certificates: [{ certificateFile: '/root/cert.crt', keyFile: '/root/private.key' }],
    settings: { allowInsecure: false, fingerprint: 'firefox' },
  },
  wsSettings: { path: '/ws path', headers: { Host: 'cdn.example.net' } },
};

describe('renderLink, against links in the form 3x-ui generates', () => {
  it('renders VLESS over Reality with Vision (sorted query, first serverName and shortId)', () => {
    const link = renderLink(
      input({
        settings: { clients: [], decryption: 'none', encryption: 'none' },
        streamSettings: REALITY,
        key: { ...KEY, flow: 'xtls-rprx-vision' },
      }),
    );
    expect(link).toEqual({
      ok: true,
      value:
        'vless://0f5c6a8e-3b1d-4c2a-9e7f-1a2b3c4d5e6f@nl1.example.net:443?encryption=none&flow=xtls-rprx-vision&fp=chrome' +
        '&pbk=Z84J2IelR9ch3k8VtlVhhs5ycBUlXA7wHBWcBrjqnAw&security=reality&sid=6ba85179e30d4fc2&sni=www.microsoft.com' +
        '&spx=%2F&type=tcp#NL-kw-42',
    });
  });

  it('renders VLESS over WebSocket with TLS (alpn, sni, fp, path and host escaped like Go)', () => {
    const link = renderLink(
      input({
        settings: { encryption: 'none' },
        streamSettings: TLS_WS,
        key: { ...KEY, flow: 'xtls-rprx-vision' },
      }),
    );
    expect(link).toEqual({
      ok: true,
      value:
        'vless://0f5c6a8e-3b1d-4c2a-9e7f-1a2b3c4d5e6f@nl1.example.net:443?alpn=h2%2Chttp%2F1.1&encryption=none&fp=firefox' +
        '&host=cdn.example.net&path=%2Fws+path&security=tls&sni=cdn.example.net&type=ws#NL-kw-42',
    });
  });

  it('renders VLESS over gRPC without security', () => {
    const link = renderLink(
      input({
        port: 2053,
        remark: '',
        settings: { encryption: 'none' },
        streamSettings: {
          network: 'grpc',
          security: 'none',
          grpcSettings: { serviceName: 'svc', authority: '', multiMode: true },
        },
      }),
    );
    expect(link).toEqual({
      ok: true,
      value:
        'vless://0f5c6a8e-3b1d-4c2a-9e7f-1a2b3c4d5e6f@nl1.example.net:2053?authority=&encryption=none&mode=multi' +
        '&security=none&serviceName=svc&type=grpc#kw-42',
    });
  });

  it('renders Trojan over TCP with TLS, the key secret as password', () => {
    const link = renderLink(
      input({
        protocol: 'trojan',
        remark: 'DE 1',
        settings: { clients: [] },
        streamSettings: {
          network: 'tcp',
          security: 'tls',
          tlsSettings: {
            serverName: 'de.example.net',
            alpn: [],
            settings: { allowInsecure: true, fingerprint: 'chrome' },
          },
          tcpSettings: { header: { type: 'none' } },
        },
      }),
    );
    expect(link).toEqual({
      ok: true,
      value:
        'trojan://9c1e7d3b5a2f4e6d8c0b1a2f3e4d5c6b@nl1.example.net:443?allowInsecure=1&fp=chrome&security=tls' +
        '&sni=de.example.net&type=tcp#DE%201-kw-42',
    });
  });

  it('renders Trojan over Reality', () => {
    const link = renderLink(input({ protocol: 'trojan', streamSettings: REALITY }));
    expect(link).toEqual({
      ok: true,
      value:
        'trojan://9c1e7d3b5a2f4e6d8c0b1a2f3e4d5c6b@nl1.example.net:443?fp=chrome&pbk=Z84J2IelR9ch3k8VtlVhhs5ycBUlXA7wHBWcBrjqnAw' +
        '&security=reality&sid=6ba85179e30d4fc2&sni=www.microsoft.com&spx=%2F&type=tcp#NL-kw-42',
    });
  });

  it('renders Shadowsocks (classic method: method:password in base64)', () => {
    const link = renderLink(
      input({
        protocol: 'shadowsocks',
        port: 8388,
        settings: { method: 'chacha20-ietf-poly1305', password: '', network: 'tcp,udp', clients: [] },
        streamSettings: { network: 'tcp', security: 'none', tcpSettings: { header: { type: 'none' } } },
        key: { ...KEY, secret: 'p4ss' },
      }),
    );
    // base64("chacha20-ietf-poly1305:p4ss")
    expect(link).toEqual({
      ok: true,
      value: 'ss://Y2hhY2hhMjAtaWV0Zi1wb2x5MTMwNTpwNHNz@nl1.example.net:8388?type=tcp#NL-kw-42',
    });
  });

  it('renders Shadowsocks 2022 (method:server key:user key in base64)', () => {
    const link = renderLink(
      input({
        protocol: 'shadowsocks',
        port: 8388,
        settings: { method: '2022-blake3-aes-128-gcm', password: 'c2VydmVya2V5c2VydmVya2V5', clients: [] },
        streamSettings: { network: 'tcp', security: 'none' },
        key: { ...KEY, secret: 'dXNlcmtleXVzZXJrZXl1c2U=' },
      }),
    );
    const encoded = Buffer.from(
      '2022-blake3-aes-128-gcm:c2VydmVya2V5c2VydmVya2V5:dXNlcmtleXVzZXJrZXl1c2U=',
    ).toString('base64');
    expect(link).toEqual({ ok: true, value: `ss://${encoded}@nl1.example.net:8388?type=tcp#NL-kw-42` });
  });

  it('renders VMess over WebSocket with TLS as base64 of indented JSON with sorted keys', () => {
    const link = renderLink(input({ protocol: 'vmess', settings: { clients: [] }, streamSettings: TLS_WS }));
    const expectedJson = [
      '{',
      '  "add": "nl1.example.net",',
      '  "alpn": "h2,http/1.1",',
      '  "fp": "firefox",',
      '  "host": "cdn.example.net",',
      '  "id": "0f5c6a8e-3b1d-4c2a-9e7f-1a2b3c4d5e6f",',
      '  "net": "ws",',
      '  "path": "/ws path",',
      '  "port": 443,',
      '  "ps": "NL-kw-42",',
      '  "scy": "auto",',
      '  "sni": "cdn.example.net",',
      '  "tls": "tls",',
      '  "type": "none",',
      '  "v": "2"',
      '}',
    ].join('\n');
    expect(link).toEqual({ ok: true, value: `vmess://${Buffer.from(expectedJson).toString('base64')}` });
  });

  it('renders VMess over plain TCP with the header type and no TLS fields', () => {
    const link = renderLink(
      input({
        protocol: 'vmess',
        remark: '',
        streamSettings: { network: 'tcp', security: 'none', tcpSettings: { header: { type: 'none' } } },
      }),
    );
    expect(link.ok).toBe(true);
    const json = JSON.parse(
      Buffer.from((link.ok ? link.value : '').slice('vmess://'.length), 'base64').toString('utf8'),
    ) as unknown;
    expect(json).toEqual({
      add: 'nl1.example.net',
      id: KEY.clientUuid,
      net: 'tcp',
      port: 443,
      ps: 'kw-42',
      scy: 'auto',
      tls: 'none',
      type: 'none',
      v: '2',
    });
  });

  it('uses the first external proxy for address, port and security, and adds its remark', () => {
    const link = renderLink(
      input({
        settings: { encryption: 'none' },
        streamSettings: {
          ...TLS_WS,
          externalProxy: [
            { forceTls: 'none', dest: 'relay.example.org', port: 8080, remark: 'relay' },
            { forceTls: 'same', dest: 'other.example.org', port: 443, remark: 'other' },
          ],
        },
      }),
    );
    expect(link).toEqual({
      ok: true,
      value:
        'vless://0f5c6a8e-3b1d-4c2a-9e7f-1a2b3c4d5e6f@relay.example.org:8080?encryption=none&host=cdn.example.net' +
        '&path=%2Fws+path&security=none&type=ws#NL-kw-42-relay',
    });
  });

  it('brackets an IPv6 host', () => {
    const link = renderLink(input({ host: '2001:db8::1', settings: { encryption: 'none' } }));
    expect(link.ok && link.value.startsWith(`vless://${KEY.clientUuid}@[2001:db8::1]:443?`)).toBe(true);
  });

  it('refuses a protocol it cannot render, naming the field', () => {
    expect(renderLink(input({ protocol: 'wireguard' }))).toEqual({
      ok: false,
      error: { path: 'protocol', expected: 'vless, vmess, trojan or shadowsocks' },
    });
  });

  it('refuses stream settings that are not an object', () => {
    expect(renderLink(input({ streamSettings: 'tcp' })).ok).toBe(false);
  });
});
