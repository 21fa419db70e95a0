import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { grantPeriod, listDevices } from '../../../src/db/index.ts';
import { createSubServer, type SubServer, type SubObserver } from '../../../src/sub/index.ts';
import { useTestDatabase } from '../../support/database.ts';
import { capturingLogger, knownCustomer, subConfig } from './fixture.ts';

const database = useTestDatabase();
const servers: SubServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(
  overrides: Parameters<typeof subConfig>[0] = {},
  extra: { now?: () => number; observer?: SubObserver } = {},
): Promise<string> {
  const server = createSubServer({
    pool: database().pool,
    config: subConfig(overrides),
    logger: capturingLogger().logger,
    ...extra,
  });
  servers.push(server);
  return (await server.listen()).href;
}

const fetchAs = (
  base: string,
  token: string,
  headers: Record<string, string>,
  query = '',
): Promise<Response> =>
  fetch(`${base}sub/${token}${query}`, { headers: { 'user-agent': 'Happ/3.7.0', ...headers } });

const linkCount = async (response: Response): Promise<number> =>
  Buffer.from(await response.text(), 'base64')
    .toString('utf8')
    .split('\n')
    .filter((line) => line.length > 0).length;

describe('device limit (plans.max_devices, apps that send x-hwid)', () => {
  it('serves two devices, answers the third with the empty list and x-hwid-max-devices-reached', async () => {
    const base = await start();
    const { token, userId } = await knownCustomer(database().pool, { maxDevices: 2 });
    const first = await fetchAs(base, token, { 'x-hwid': 'device-one-0001', 'x-device-model': 'Pixel 8' });
    expect(first.headers.get('x-hwid-active')).toBe('true');
    expect(await linkCount(first)).toBe(2);
    const second = await fetchAs(base, token, { 'x-hwid': 'device-two-0002' });
    expect(second.headers.get('x-hwid-limit')).toBe('true');
    expect(await linkCount(second)).toBe(2);
    const third = await fetchAs(base, token, { 'x-hwid': 'device-three-03' });
    expect(third.status).toBe(200);
    expect(third.headers.get('x-hwid-max-devices-reached')).toBe('true');
    expect(third.headers.get('announce')).toMatch(/^base64:/);
    expect(third.headers.get('subscription-userinfo')).toMatch(/^upload=0; download=\d+/);
    expect(await third.text()).toBe('');
    const yaml = parseYaml(
      await (await fetchAs(base, token, { 'x-hwid': 'device-three-03' }, '?format=mihomo')).text(),
    ) as { proxies: unknown[] };
    expect(yaml.proxies).toEqual([]);
    const singBox = JSON.parse(
      await (await fetchAs(base, token, { 'x-hwid': 'device-three-03' }, '?format=sing-box')).text(),
    ) as { outbounds: Array<{ type: string }>; route: { rules: Array<{ action?: string }> } };
    expect(singBox.outbounds.map((outbound) => outbound.type)).toEqual(['direct']);
    expect(singBox.route.rules.at(-1)?.action).toBe('reject');
    // A known device keeps working, and the list holds exactly the two admitted ones.
    expect(await linkCount(await fetchAs(base, token, { 'x-hwid': 'device-one-0001' }))).toBe(2);
    expect((await listDevices(database().pool, userId)).map((device) => device.deviceModel)).toEqual([
      'Pixel 8',
      null,
    ]);
  });

  it('does not limit apps that send no x-hwid, and says so', async () => {
    const base = await start();
    const { token } = await knownCustomer(database().pool, { maxDevices: 1 });
    await fetchAs(base, token, { 'x-hwid': 'only-device-01' });
    const anonymous = await fetchAs(base, token, {});
    expect(anonymous.headers.get('x-hwid-not-supported')).toBe('true');
    expect(await linkCount(anonymous)).toBe(2);
    // An id shorter than 6 characters counts as none (as in 3x-ui).
    const tooShort = await fetchAs(base, token, { 'x-hwid': 'abc' });
    expect(tooShort.headers.get('x-hwid-not-supported')).toBe('true');
    expect(await linkCount(tooShort)).toBe(2);
  });

  it('keeps the devices through a renewal, so a renewal never frees a slot', async () => {
    const base = await start();
    const pool = database().pool;
    const { token, userId } = await knownCustomer(pool, { maxDevices: 1 });
    await fetchAs(base, token, { 'x-hwid': 'first-device-1' });
    await grantPeriod(pool, { userId, source: 'admin', durationMs: 30 * 86_400_000 });
    const other = await fetchAs(base, token, { 'x-hwid': 'second-device-2' });
    expect(other.headers.get('x-hwid-max-devices-reached')).toBe('true');
  });

  it('sends no device headers for a plan without a limit, but still records devices', async () => {
    const base = await start();
    const { token, userId } = await knownCustomer(database().pool, { maxDevices: null });
    const response = await fetchAs(base, token, { 'x-hwid': 'free-device-01' });
    expect(response.headers.get('x-hwid-active')).toBeNull();
    expect(await listDevices(database().pool, userId)).toHaveLength(1);
  });
});

describe('failures', () => {
  it('answers 503 with Retry-After when the database cannot be reached, and logs it without the token', async () => {
    const dead = new pg.Pool({
      connectionString: 'postgres://postgres@127.0.0.1:1/none',
      connectionTimeoutMillis: 500,
    });
    dead.on('error', () => undefined);
    const logs = capturingLogger();
    const server = createSubServer({ pool: dead, config: subConfig(), logger: logs.logger });
    servers.push(server);
    const base = (await server.listen()).href;
    const token = 'E'.repeat(32);
    const response = await fetch(`${base}sub/${token}`);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('30');
    expect(logs.lines()).toContain('subscription request failed');
    expect(logs.lines()).not.toContain(token);
    await dead.end();
  });
});

describe('rate limits', () => {
  it('answers 429 with Retry-After past the per-token rate, and recovers as time passes', async () => {
    let clock = 0;
    const base = await start({ subRatePerToken: 3 }, { now: () => clock });
    const { token } = await knownCustomer(database().pool);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      statuses.push((await fetchAs(base, token, {})).status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await fetchAs(base, token, {});
    expect(limited.headers.get('retry-after')).toBe('20');
    clock += 20_000;
    expect((await fetchAs(base, token, {})).status).toBe(200);
  });

  it('limits one address across tokens, unknown ones included', async () => {
    const base = await start({ subRatePerIp: 5 }, { now: () => 0 });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      statuses.push((await fetch(`${base}sub/${'B'.repeat(31)}${String(i)}`)).status);
    }
    expect(statuses).toEqual([404, 404, 404, 404, 404, 429]);
  });

  it('ignores the proxy header from a peer that is not a trusted proxy, so rotating it evades nothing', async () => {
    // The test client connects from 127.0.0.1, which is not in the proxies: it is a direct client.
    const base = await start(
      { subRatePerIp: 3, trustedProxyHeader: 'x-forwarded-for', trustedProxies: ['10.0.0.1'] },
      { now: () => 0 },
    );
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const response = await fetch(`${base}sub/${'D'.repeat(32)}`, {
        headers: { 'x-forwarded-for': `203.0.113.${String(i + 1)}` },
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([404, 404, 404, 429]);
  });

  it('limits each real client behind a trusted proxy by its right-most untrusted address', async () => {
    // 127.0.0.1 is the configured proxy: the header is read, and of it the right-most address that
    // is not a proxy is the client; whatever the client wrote to the left of it changes nothing.
    const base = await start(
      { subRatePerIp: 3, trustedProxyHeader: 'x-forwarded-for', trustedProxies: ['127.0.0.1'] },
      { now: () => 0 },
    );
    const via = (forwardedFor: string | undefined): Promise<number> =>
      fetch(`${base}sub/${'F'.repeat(32)}`, {
        headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
      }).then((response) => response.status);
    const first: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      first.push(await via(`198.51.100.${String(i + 1)}, 203.0.113.7`));
    }
    expect(first).toEqual([404, 404, 404, 429]);
    // Another client through the same proxy has its own budget.
    expect(await via('203.0.113.8')).toBe(404);
    // Without the header the client cannot be known: the proxy itself is counted, not a free pass.
    const unknown: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      unknown.push(await via(undefined));
    }
    expect(unknown).toEqual([404, 404, 404, 429]);
  });

  it('refuses a proxy header without trusted proxies, naming the setting', () => {
    expect(() =>
      createSubServer({
        pool: database().pool,
        config: subConfig({ trustedProxyHeader: 'x-forwarded-for', trustedProxies: [] }),
        logger: capturingLogger().logger,
      }),
    ).toThrow(/KEYWARDEN_TRUSTED_PROXIES/);
  });

  it('counts fetches by format and outcome for the metric', async () => {
    const events: string[] = [];
    const base = await start(
      {},
      { observer: { onFetch: (format, outcome) => events.push(`${format}:${outcome}`) } },
    );
    const { token } = await knownCustomer(database().pool);
    await fetchAs(base, token, {}, '?format=mihomo');
    await fetch(`${base}sub/${'C'.repeat(32)}`);
    expect(events).toEqual(['mihomo:ok', 'none:not-found']);
  });
});
