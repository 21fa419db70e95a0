/**
 * What a new inbound of the simulated panel holds when the seed does not say: protocol settings and
 * stream settings close to what the 3x-ui UI creates, so seeded inbounds render real connection links.
 */
import { randomBytes } from 'node:crypto';

/** Default stream settings per protocol (vless: TCP + Reality, vmess: WebSocket, trojan: TCP + TLS). */
export function defaultStreamSettings(protocol: string, port: number): Record<string, unknown> {
  switch (protocol) {
    case 'vless':
      return {
        network: 'tcp',
        security: 'reality',
        externalProxy: [],
        realitySettings: {
          show: false,
          xver: 0,
          target: 'www.example.com:443',
          serverNames: ['www.example.com'],
          privateKey: 'kFQyRz2-6yNsJ0b0b7Gk8uA0m3kq0dXy9xWfQm0vE1E',
          shortIds: ['6ba85179e30d4fc2'],
          settings: {
            publicKey: 'Jx3bD2m4sT1ZK6cF8mQ0Rr9YV5nWb7LhUo2Ea1pXgC0',
            fingerprint: 'chrome',
            serverName: '',
            spiderX: '/',
          },
        },
        tcpSettings: { acceptProxyProtocol: false, header: { type: 'none' } },
      };
    case 'vmess':
      return {
        network: 'ws',
        security: 'none',
        wsSettings: { acceptProxyProtocol: false, path: `/ws${String(port)}`, host: '', headers: {} },
      };
    case 'trojan':
      return {
        network: 'tcp',
        security: 'tls',
        tlsSettings: {
          serverName: 'vpn.example.com',
          alpn: ['h2', 'http/1.1'],
          certificates: [{ certificateFile: '/root/cert.crt', keyFile: '/root/private.key' }],
          settings: { fingerprint: 'chrome', allowInsecure: false },
        },
        tcpSettings: { acceptProxyProtocol: false, header: { type: 'none' } },
      };
    default:
      return { network: 'tcp', security: 'none', tcpSettings: { header: { type: 'none' } } };
  }
}

/** Default protocol settings (everything but `clients`). */
export function defaultSettings(protocol: string): Record<string, unknown> {
  switch (protocol) {
    case 'vless':
      return { decryption: 'none', fallbacks: [] };
    case 'trojan':
      return { fallbacks: [] };
    case 'shadowsocks':
      return {
        method: '2022-blake3-aes-128-gcm',
        password: randomBytes(16).toString('base64'),
        network: 'tcp,udp',
      };
    default:
      return {};
  }
}
