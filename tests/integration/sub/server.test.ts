import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { linkOf } from '../../../src/bot/handlers/keys.ts';
import { listLiveKeys } from '../../../src/bot/queries/keys.ts';
import { grantPeriod, rotateSubscriptionToken, subscriptionTokenOf } from '../../../src/db/index.ts';
import { createSubServer, type SubServer } from '../../../src/sub/index.ts';
import { insertUser } from '../../support/builders.ts';
import { useTestDatabase } from '../../support/database.ts';
import { capturingLogger, GIB, knownCustomer, SECRET, subConfig } from './fixture.ts';

const database = useTestDatabase();
const GOLDEN = new URL('../../fixtures/subscription/', import.meta.url);

/** Compares with a golden file (UPDATE_GOLDEN=1 rewrites it). */
function expectGolden(name: string, actual: string): void {
  const file = new URL(name, GOLDEN);
  if (process.env['UPDATE_GOLDEN'] === '1' || !existsSync(file)) {
    if (process.env['UPDATE_GOLDEN'] !== '1') {
      throw new Error(`golden file ${name} is missing; run with UPDATE_GOLDEN=1 to write it`);
    }
    writeFileSync(file, actual);
  }
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

/** Parses one share link back into its parts; throws if it is not a link we serve. */
function parseLink(link: string): { scheme: string; name: string; server: string; port: number } {
  if (link.startsWith('vmess://')) {
    const json = JSON.parse(Buffer.from(link.slice(8), 'base64').toString('utf8')) as Record<string, unknown>;
    return {
      scheme: 'vmess',
      name: String(json['ps']),
      server: String(json['add']),
      port: Number(json['port']),
    };
  }
  const url = new URL(link);
  expect(['vless:', 'trojan:', 'ss:']).toContain(url.protocol);
  expect(url.port).toMatch(/^\d+$/);
  return {
    scheme: url.protocol.slice(0, -1),
    name: decodeURIComponent(url.hash.slice(1)),
    server: url.hostname,
    port: Number(url.port),
  };
}

const linksOf = (body: string): string[] =>
  Buffer.from(body, 'base64')
    .toString('utf8')
    .split('\n')
    .filter((line) => line.length > 0);

let server: SubServer;
let base: string;
let customer: Awaited<ReturnType<typeof knownCustomer>>;
const logs = capturingLogger();

beforeAll(async () => {
  const pool = database().pool;
  customer = await knownCustomer(pool);
  server = createSubServer({ pool, config: subConfig(), logger: logs.logger });
  base = (await server.listen()).href;
});
afterAll(async () => {
  await server.close();
});

const get = (token: string, init: RequestInit & { query?: string } = {}): Promise<Response> =>
  fetch(`${base}sub/${token}${init.query ?? ''}`, init);

describe('subscription server: bodies', () => {
  it('serves base64 share links of exactly the enabled keys, equal to what the bot shows', async () => {
    const response = await get(customer.token, { headers: { 'user-agent': 'v2rayNG/1.9.30' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const body = await response.text();
    const links = linksOf(body);
    expect(links.map(parseLink)).toEqual([
      { scheme: 'vless', name: 'NL-alice-nl', server: 'nl1.example.net', port: 40_001 },
      { scheme: 'trojan', name: 'DE-alice-de', server: 'de1.example.net', port: 40_002 },
    ]);
    const botLinks = (await listLiveKeys(database().pool, customer.userId))
      .filter((key) => key.email !== 'alice-off')
      .map(linkOf);
    expect(links).toEqual(botLinks);
    expectGolden('known-customer.base64.txt', Buffer.from(body, 'base64').toString('utf8'));
  });

  it('serves a mihomo profile to Clash apps that loads as YAML with every proxy in the group', async () => {
    const response = await get(customer.token, { headers: { 'user-agent': 'clash-verge/v2.2.3' } });
    expect(response.headers.get('content-type')).toBe('text/yaml; charset=utf-8');
    const text = await response.text();
    expectGolden('known-customer.mihomo.yaml', text);
    const profile = parseYaml(text) as {
      proxies: Array<Record<string, unknown>>;
      'proxy-groups': Array<{ name: string; proxies: string[] }>;
      rules: string[];
    };
    expect(profile.proxies.map((proxy) => [proxy['type'], proxy['name']])).toEqual([
      ['vless', 'NL-alice-nl'],
      ['trojan', 'DE-alice-de'],
    ]);
    expect(profile.proxies[0]).toMatchObject({
      server: 'nl1.example.net',
      port: 40_001,
      uuid: '0f5c6a8e-3b1d-4c2a-9e7f-1a2b3c4d5e6f',
      flow: 'xtls-rprx-vision',
      tls: true,
      servername: 'www.microsoft.com',
      'client-fingerprint': 'chrome',
      'reality-opts': {
        'public-key': 'Z84J2IelR9ch3k8VtlVhhs5ycBUlXA7wHBWcBrjqnAw',
        'short-id': '6ba85179e30d4fc2',
      },
      network: 'tcp',
    });
    expect(profile.proxies[1]).toMatchObject({
      password: 'trojan-password-1',
      sni: 'de.example.net',
      alpn: ['h2', 'http/1.1'],
      network: 'ws',
      'ws-opts': { path: '/ws', headers: { Host: 'de.example.net' } },
    });
    expect(profile['proxy-groups'][0]!.proxies).toEqual(['Auto', 'NL-alice-nl', 'DE-alice-de']);
    expect(profile.rules).toEqual(['MATCH,Acme VPN']);
  });

  it('serves a sing-box profile to sing-box apps that parses as JSON with the right outbounds', async () => {
    const response = await get(customer.token, { headers: { 'user-agent': 'SFA/1.12.8 (Android 14)' } });
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const text = await response.text();
    expectGolden('known-customer.sing-box.json', text);
    const profile = JSON.parse(text) as {
      outbounds: Array<Record<string, unknown>>;
      route: { final: string };
    };
    const byTag = new Map(profile.outbounds.map((outbound) => [outbound['tag'], outbound]));
    expect(byTag.get('NL-alice-nl')).toEqual({
      type: 'vless',
      tag: 'NL-alice-nl',
      server: 'nl1.example.net',
      server_port: 40_001,
      uuid: '0f5c6a8e-3b1d-4c2a-9e7f-1a2b3c4d5e6f',
      flow: 'xtls-rprx-vision',
      packet_encoding: 'xudp',
      tls: {
        enabled: true,
        server_name: 'www.microsoft.com',
        utls: { enabled: true, fingerprint: 'chrome' },
        reality: {
          enabled: true,
          public_key: 'Z84J2IelR9ch3k8VtlVhhs5ycBUlXA7wHBWcBrjqnAw',
          short_id: '6ba85179e30d4fc2',
        },
      },
    });
    expect(byTag.get('DE-alice-de')).toMatchObject({
      type: 'trojan',
      password: 'trojan-password-1',
      tls: { enabled: true, server_name: 'de.example.net', alpn: ['h2', 'http/1.1'] },
      transport: { type: 'ws', path: '/ws', headers: { Host: 'de.example.net' } },
    });
    expect(byTag.get('proxy')).toMatchObject({
      type: 'selector',
      outbounds: ['auto', 'NL-alice-nl', 'DE-alice-de'],
    });
    expect(profile.route.final).toBe('proxy');
  });

  it('lets ?format= override the User-Agent', async () => {
    const response = await get(customer.token, {
      query: '?format=sing-box',
      headers: { 'user-agent': 'v2rayNG/1.9.30' },
    });
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect((await get(customer.token, { query: '?format=nonsense' })).status).toBe(400);
  });

  it('gives Hiddify share links although its User-Agent names ClashMeta and sing-box', async () => {
    const response = await get(customer.token, {
      headers: { 'user-agent': 'HiddifyNext/2.5.7 (android) like ClashMeta v2ray sing-box' },
    });
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
  });
});

describe('subscription server: headers', () => {
  it('reports usage this period across all keys, the plan quota and the coverage end', async () => {
    const response = await get(customer.token, { headers: { 'user-agent': 'Happ/3.7.0' } });
    expect(response.headers.get('subscription-userinfo')).toBe(
      `upload=0; download=${5 * GIB}; total=${10 * GIB}; expire=${Math.floor(customer.endsAt.getTime() / 1000)}`,
    );
    expect(response.headers.get('profile-update-interval')).toBe('12');
    expect(response.headers.get('profile-title')).toBe(
      `base64:${Buffer.from('Acme VPN').toString('base64')}`,
    );
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="Acme VPN.txt"; filename*=UTF-8''Acme%20VPN.txt`,
    );
    expect(response.headers.get('support-url')).toBe('https://t.me/acme_support');
    expect(response.headers.get('profile-web-page-url')).toBe(
      `https://sub.example.com/sub/${customer.token}`,
    );
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('announce')).toBeNull();
  });

  it('answers HEAD with the same headers and no body', async () => {
    const head = await get(customer.token, { method: 'HEAD', headers: { 'user-agent': 'Happ/3.7.0' } });
    const full = await get(customer.token, { headers: { 'user-agent': 'Happ/3.7.0' } });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect(head.headers.get('subscription-userinfo')).toBe(full.headers.get('subscription-userinfo'));
    expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(await full.text())));
    expect((await get(customer.token, { method: 'POST' })).status).toBe(405);
  });
});

describe('subscription server: who gets what', () => {
  it('gives an expired customer one placeholder entry saying why, in their language', async () => {
    const pool = database().pool;
    const userId = await insertUser(pool);
    await pool.query(`update users set language = 'ru' where id = $1`, [userId]);
    await pool.query(
      `insert into subscription_periods (user_id, source, starts_at, ends_at)
       values ($1, 'admin', now() - interval '40 days', now() - interval '10 days')`,
      [userId],
    );
    const token = await subscriptionTokenOf(pool, userId, SECRET);
    const response = await get(token, { headers: { 'user-agent': 'Happ/3.7.0' } });
    const links = linksOf(await response.text());
    expect(links).toHaveLength(1);
    expect(parseLink(links[0]!)).toMatchObject({
      name: 'Подписка истекла — продлите в @acme_vpn_bot',
      port: 1,
    });
    const userinfo = response.headers.get('subscription-userinfo') ?? '';
    expect(userinfo).toMatch(/^upload=0; download=0; total=0; expire=\d+$/);
    const english = await get(token, { headers: { 'user-agent': 'Happ/3.7.0', 'accept-language': 'en-US' } });
    expect(parseLink(linksOf(await english.text())[0]!).name).toBe(
      'Subscription expired — renew in @acme_vpn_bot',
    );
    const yaml = parseYaml(await (await get(token, { query: '?format=mihomo' })).text()) as {
      proxies: Array<{ name: string }>;
    };
    expect(yaml.proxies.map((proxy) => proxy.name)).toEqual(['Подписка истекла — продлите в @acme_vpn_bot']);
  });

  it('answers 404 alike for unknown, malformed and rotated tokens, and serves the new one at once', async () => {
    const pool = database().pool;
    const userId = await insertUser(pool);
    await grantPeriod(pool, { userId, source: 'admin', durationMs: 86_400_000 });
    const old = await subscriptionTokenOf(pool, userId, SECRET);
    expect((await get(old)).status).toBe(200);
    const rotated = await rotateSubscriptionToken(pool, userId, SECRET);
    const gone = await get(old);
    expect(gone.status).toBe(404);
    expect((await get(rotated)).status).toBe(200);
    const malformed = await get('not-a-token');
    const unknown = await get('A'.repeat(32));
    expect([malformed.status, unknown.status]).toEqual([404, 404]);
    expect(await malformed.text()).toBe(await gone.text());
  });

  it('shows a browser the page: status, usage, QR, apps and escaped links', async () => {
    const response = await get(customer.token, {
      headers: {
        accept: 'text/html,application/xhtml+xml',
        'user-agent': 'Mozilla/5.0',
        'accept-language': 'en',
      },
    });
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await response.text();
    expect(html).toContain('Active');
    expect(html).toContain('Used: 5.0 GiB of 10.0 GiB');
    expect(html).toContain('<svg');
    expect(html).toContain('happ://add/https://sub.example.com/sub/');
    expect(html).toContain('NL-alice-nl');
    expect(html).toContain('&amp;flow=xtls-rprx-vision');
    expect(html).not.toContain('<script');
  });

  it('serves an import page that opens the app (Telegram buttons carry only https links)', async () => {
    const response = await fetch(`${base}sub/${customer.token}/import/happ`);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain(`content="0;url=happ://add/https://sub.example.com/sub/${customer.token}"`);
    const clash = await (await fetch(`${base}sub/${customer.token}/import/clash`)).text();
    expect(clash).toContain(
      `clash://install-config?url=${encodeURIComponent(`https://sub.example.com/sub/${customer.token}?format=mihomo`)}`,
    );
    expect((await fetch(`${base}sub/${customer.token}/import/v2rayn`)).status).toBe(404);
    expect((await fetch(`${base}sub/${'D'.repeat(32)}/import/happ`)).status).toBe(404);
  });

  it('never writes the token into a log line', () => {
    expect(logs.lines()).not.toContain(customer.token);
  });
});
