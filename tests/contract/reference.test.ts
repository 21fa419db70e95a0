/**
 * Facts of reference/xui-api.md that quirks.test.ts and versions.test.ts do not pin, one test each,
 * against the simulated panels (docs/xui-compat.md maps every fact to its test). Each test pins the
 * simulator's answer (checked against the Go source) and, where keywarden depends on it, the client's.
 */
import { request as httpRequest } from 'node:http';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { asClientEmail, asInboundId, canKeepFlow } from '../../src/domain/index.ts';
import { checkPanel } from '../../src/panels/index.ts';
import { createPanelClient, PanelAuthError } from '../../src/xui/index.ts';
import {
  PROFILE_TRAITS,
  VERSION_PROFILES,
  type SimulatedPanel,
  type SimulatedPanelOptions,
} from '../../src/simulator/index.ts';
import { observedInbound } from '../support/core-builders.ts';
import { connectionTo, startFake, testClientOptions, type ContractTarget } from './targets.ts';

const DAY_MS = 86_400_000;
const TOKEN = 'tok-secret-123';
const signal = (): AbortSignal => AbortSignal.timeout(10_000);
const open: ContractTarget[] = [];

async function fake(options: SimulatedPanelOptions): Promise<ContractTarget & { panel: SimulatedPanel }> {
  // v2 releases have no API tokens: their client logs in with the password.
  const hasTokens = options.profile === undefined || PROFILE_TRAITS[options.profile].hasApiTokens;
  const target = await startFake(options, hasTokens ? 'token' : 'password');
  open.push(target);
  if (target.panel === undefined) {
    throw new Error('expected a simulated panel');
  }
  return { ...target, panel: target.panel };
}

afterEach(async () => {
  for (const target of open.splice(0)) {
    await target.close();
  }
});

/** One Bearer call to the simulator's API; the parsed envelope, or null for an empty body. */
async function api(
  panel: SimulatedPanel,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<{ status: number; envelope: { success: boolean; msg: string; obj: unknown } | null }> {
  const response = await fetch(`${panel.url}panel/api/${path}`, {
    method,
    headers: {
      ...(panel.model.traits.hasApiTokens
        ? { authorization: `Bearer ${TOKEN}` }
        : { cookie: await v2Session(panel) }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    redirect: 'manual',
  });
  const text = await response.text();
  return {
    status: response.status,
    envelope: text === '' ? null : (JSON.parse(text) as { success: boolean; msg: string; obj: unknown }),
  };
}

/** A cookie session on a v2 panel (no CSRF there): the `3x-ui=…` pair. */
async function v2Session(panel: SimulatedPanel): Promise<string> {
  const login = await fetch(`${panel.url}login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'username=admin&password=correct+horse',
  });
  return (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

/** A GET with an explicit Host header (fetch does not let a caller set one). */
function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { host } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('§1 base URL and webDomain', () => {
  it('refuses a request for another host with 403 and an empty body before routing; the client and the check name it', async () => {
    const { panel } = await fake({ generation: 'g2', webDomain: 'panel.example.com' });
    const port = new URL(panel.url).port;
    expect(await getWithHost(panel.url, `127.0.0.1:${port}`)).toEqual({ status: 403, body: '' });
    expect(await getWithHost(`${new URL(panel.url).origin}/nowhere`, '127.0.0.1')).toEqual({
      status: 403,
      body: '',
    });
    // The configured domain (port stripped) passes: the login page.
    expect((await getWithHost(panel.url, `panel.example.com:${port}`)).status).toBe(200);

    const client = createPanelClient(
      connectionTo(panel, { kind: 'token', token: TOKEN }),
      testClientOptions(),
    );
    const failure = await client.observe(signal()).catch((thrown: unknown) => thrown);
    await client.close();
    expect(failure).toBeInstanceOf(PanelAuthError);
    expect(failure).toMatchObject({ reason: 'forbidden', status: 403 });

    const checked = await checkPanel(
      {
        name: 'domain',
        baseUrl: panel.url,
        auth: { kind: 'token', token: TOKEN },
        tlsSkipVerify: false,
        caPem: undefined,
      },
      { timeoutMs: 5_000, logger: pino({ level: 'silent' }), signal: signal() },
    );
    expect(checked).toMatchObject({ ok: false, problem: 'host-refused' });
  });

  it('serves the login page at the base path and nothing outside panel/api/ to an API caller', async () => {
    const { panel } = await fake({ generation: 'g2' });
    const page = await fetch(panel.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await api(panel, 'GET', '../panel/inbounds')).toMatchObject({ status: 404, envelope: null });
  });
});

describe('§2.1 login', () => {
  it('takes the form as urlencoded or JSON and answers HTTP 200 with the documented messages', async () => {
    const { panel } = await fake({ generation: 'g1', csrf: false });
    const login = async (type: string, body: string): Promise<{ status: number; text: string }> => {
      const response = await fetch(`${panel.url}login`, {
        method: 'POST',
        headers: { 'content-type': type },
        body,
      });
      return { status: response.status, text: await response.text() };
    };
    const form = await login('application/x-www-form-urlencoded', 'username=admin&password=correct+horse');
    const json = await login(
      'application/json',
      JSON.stringify({ username: 'admin', password: 'correct horse' }),
    );
    const wrong = await login('application/json', JSON.stringify({ username: 'admin', password: 'nope' }));
    for (const answer of [form, json]) {
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.text)).toEqual({
        success: true,
        msg: 'You have successfully logged into your account.',
        obj: null,
      });
    }
    expect(wrong.status).toBe(200);
    expect(JSON.parse(wrong.text)).toEqual({
      success: false,
      msg: 'Invalid username or password or two-factor code.',
      obj: null,
    });
  });
});

describe('§2.2 CSRF', () => {
  it('hands out the token with an anonymous session, refuses login without it, and keeps it across login', async () => {
    const { panel } = await fake({ generation: 'g2' });
    const anonymous = await fetch(`${panel.url}csrf-token`);
    const cookie = (anonymous.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect(cookie).toMatch(/^3x-ui=./);
    const token = ((await anonymous.json()) as { success: boolean; obj: string }).obj;
    const body = JSON.stringify({ username: 'admin', password: 'correct horse' });
    const bare = await fetch(`${panel.url}login`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body,
    });
    expect({ status: bare.status, text: await bare.text() }).toEqual({ status: 403, text: '' });
    const login = await fetch(`${panel.url}login`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': token },
      body,
    });
    expect(((await login.json()) as { success: boolean }).success).toBe(true);
    // The same token still works after login (it changes only when the session cookie is lost).
    const write = await fetch(`${panel.url}panel/api/clients/bulkEnable`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': token },
      body: JSON.stringify({ emails: ['anchor'] }),
    });
    expect(((await write.json()) as { success: boolean }).success).toBe(true);
    // GETs need no token; Bearer calls skip CSRF (the api() helper sends none).
    expect((await api(panel, 'POST', 'clients/bulkDisable', { emails: ['anchor'] })).envelope?.success).toBe(
      true,
    );
  });
});

describe('§3 envelopes and binding errors', () => {
  it('answers malformed JSON and a body over 10 MiB with HTTP 200 success:false, never a status', async () => {
    const { panel } = await fake({ generation: 'g2' });
    const malformed = await api(panel, 'POST', 'clients/add', '{"client": {');
    expect(malformed.status).toBe(200);
    expect(malformed.envelope).toMatchObject({
      success: false,
      msg: expect.stringMatching(/^Something went wrong \(/) as unknown,
    });
    const wrongType = await api(panel, 'POST', 'clients/add', {
      client: { email: 'typed', enable: 'yes' },
      inboundIds: [1],
    });
    expect(wrongType.envelope?.msg).toContain(
      'json: cannot unmarshal string into Go struct field Client.enable of type bool',
    );
    const huge = await api(panel, 'POST', 'clients/add', {
      client: { email: 'big', comment: 'x'.repeat(10 * 1024 * 1024) },
    });
    expect(huge.status).toBe(200);
    expect(huge.envelope).toMatchObject({ success: false });
    expect(huge.envelope?.msg).toContain('request body too large');
  });

  it('words a gorm not-found as `(record not found)` and answers jsonObj with an empty msg', async () => {
    const { panel } = await fake({ generation: 'g2' });
    expect((await api(panel, 'GET', 'clients/get/ghost')).envelope).toEqual({
      success: false,
      msg: 'Obtain (record not found)',
      obj: null,
    });
    expect((await api(panel, 'GET', 'inbounds/get/99')).envelope?.msg).toContain('record not found');
    expect((await api(panel, 'GET', 'clients/get/anchor')).envelope).toMatchObject({
      success: true,
      msg: '',
    });
  });
});

describe('§4.2 client fields and email rules on G2', () => {
  it('refuses `/`, `\\`, the space and control characters in an email or subId, and nothing else', async () => {
    const { panel } = await fake({ generation: 'g2' });
    const add = (email: string, subId = ''): ReturnType<typeof api> =>
      api(panel, 'POST', 'clients/add', { client: { email, subId }, inboundIds: [1] });
    for (const email of ['a/b', 'a\\b', 'a b', 'a\tb', 'a\u007fb']) {
      expect((await add(email)).envelope?.msg).toContain(
        `client email contains an invalid character: ${email}`,
      );
    }
    expect((await add('ok-1', 'sub/1')).envelope?.msg).toContain(
      'client subId contains an invalid character',
    );
    // A non-breaking space is not in the panel's list (hasForbiddenClientChar).
    expect((await add('nbsp\u00a0ok')).envelope?.success).toBe(true);
    expect((await add('   ')).envelope?.msg).toContain('client email is required');
  });

  it('fills an empty subId with a UUID on add, keeps one subId per email, and attaches an email whose subId matches', async () => {
    const { panel } = await fake({ generation: 'g2' });
    expect(
      (await api(panel, 'POST', 'clients/add', { client: { email: 'fresh' }, inboundIds: [1] })).envelope
        ?.success,
    ).toBe(true);
    const subId = panel.inspectClient('fresh')?.subId ?? '';
    expect(subId).toMatch(/^[0-9a-f-]{36}$/);
    // Omitted protocol secrets are generated too (§7.1).
    expect(panel.inspectClient('fresh')).toMatchObject({
      uuid: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
    });
    expect(panel.inspectClient('fresh')?.password).not.toBe('');
    const taken = await api(panel, 'POST', 'clients/add', {
      client: { email: 'other', subId },
      inboundIds: [1],
    });
    expect(taken.envelope?.msg).toContain(`subId already in use: ${subId}`);
    const second = panel.addInbound({ protocol: 'vless', port: 8443 });
    const attach = await api(panel, 'POST', 'clients/add', {
      client: { email: 'fresh', subId },
      inboundIds: [second],
    });
    expect(attach.envelope?.success).toBe(true);
    expect(panel.model.findClient('fresh')?.inboundIds).toEqual([1, second]);
  });

  it('refuses out-of-range main / 3.7+ cycle fields with `client … must be …, got: x`', async () => {
    const { panel } = await fake({ profile: 'main' });
    const cases = [
      [{ resetDay: 32 }, 'client resetDay must be between 0 and 31, got: 32'],
      [{ resetMax: -1 }, 'client resetMax must not be negative, got: -1'],
      [
        { trafficReset: 'yearly' },
        'client trafficReset must be never, hourly, daily, weekly or monthly, got: yearly',
      ],
      [{ trafficResetDay: 40 }, 'client trafficResetDay must be between 0 and 31, got: 40'],
    ] as const;
    for (const [fields, text] of cases) {
      const answer = await api(panel, 'POST', 'clients/update/anchor', { email: 'anchor', ...fields });
      expect(answer.envelope?.msg).toContain(text);
    }
    // v3.6.0 has no such fields: the same body is bound without them and accepted.
    const v36 = await fake({ profile: 'v3.6' });
    expect(
      (await api(v36.panel, 'POST', 'clients/update/anchor', { email: 'anchor', resetDay: 32 })).envelope
        ?.success,
    ).toBe(true);
  });
});

describe('§4.2 flow gate (G2: clientWithInboundFlow, main also disableFlow)', () => {
  const shapes = [
    ['vless', { network: 'tcp', security: 'reality' }, {}, false],
    ['vless', { network: 'tcp', security: 'tls' }, {}, false],
    ['vless', { network: 'tcp', security: 'none' }, {}, false],
    ['vless', { network: 'raw', security: 'reality' }, {}, false],
    ['vless', { network: 'ws', security: 'tls' }, {}, false],
    [
      'vless',
      { network: 'xhttp', security: 'none' },
      { decryption: 'mlkem768x25519plus.native.0rtt.k' },
      false,
    ],
    ['vless', { network: 'xhttp', security: 'none' }, { decryption: 'none' }, false],
    ['vless', { network: 'tcp', security: 'reality' }, {}, true],
  ] as const;

  it.each(['v3.6', 'main'] as const)(
    'stores the flow on %s exactly where the domain mirror says it can be kept',
    async (profile) => {
      const { panel } = await fake({ profile });
      for (const [index, [protocol, streamSettings, settings, disableFlow]] of shapes.entries()) {
        const inboundId = panel.addInbound({
          protocol,
          streamSettings: { ...streamSettings },
          settings: { ...settings },
          disableFlow,
        });
        const email = `flow-${String(index)}`;
        for (const flow of ['xtls-rprx-vision', 'xtls-rprx-vision-udp443']) {
          await api(panel, 'POST', 'clients/add', {
            client: { id: randomUUID(), email, flow },
            inboundIds: [inboundId],
          });
          const inbound = observedInbound({
            protocol,
            streamSettings: { ...streamSettings },
            settings: { ...settings },
            isFlowDisabled: disableFlow && profile === 'main',
          });
          // Any flow value passes the gate (the -udp443 variant included), or none does.
          expect(panel.inspectClient(email)?.flow, `${email} ${flow}`).toBe(canKeepFlow(inbound) ? flow : '');
          await api(panel, 'POST', `clients/del/${email}`);
        }
      }
    },
  );
});

describe('§4.3 the G2 ClientRecord', () => {
  it('has a numeric id, the UUID in `uuid`, camelCase timestamps, a comma-joined allowedIPs; limitHwid only on main', async () => {
    for (const profile of ['v3.6', 'main'] as const) {
      const { panel } = await fake({ profile });
      const record = (
        (await api(panel, 'GET', 'clients/get/anchor')).envelope?.obj as { client: Record<string, unknown> }
      ).client;
      expect(record).toMatchObject({
        id: expect.any(Number) as unknown,
        uuid: panel.inspectClient('anchor')?.uuid,
        createdAt: expect.any(Number) as unknown,
        updatedAt: expect.any(Number) as unknown,
        allowedIPs: '',
      });
      expect(record).not.toHaveProperty('created_at');
      // Inside an inbound's settings the timestamps stay snake_case, even in v3 (§4.2).
      const inbound = (await api(panel, 'GET', 'inbounds/get/1')).envelope?.obj as {
        settings: { clients: Array<Record<string, unknown>> };
      };
      expect(inbound.settings.clients[0]).toMatchObject({ created_at: expect.any(Number) as unknown });
      expect('limitHwid' in record).toBe(profile === 'main');
    }
  });
});

describe('§5 G2 routes', () => {
  it('counts an email already in the requested state as changed in a bulk call', async () => {
    const { panel } = await fake({ generation: 'g2' });
    await api(panel, 'POST', 'clients/bulkDisable', { emails: ['anchor'] });
    expect(
      (await api(panel, 'POST', 'clients/bulkDisable', { emails: ['anchor', ' anchor ', ''] })).envelope?.obj,
    ).toEqual({
      changed: 1,
    });
  });

  it('lists clients with their inboundIds and traffic, and pages a slim list', async () => {
    const { panel } = await fake({ generation: 'g2' });
    const list = (await api(panel, 'GET', 'clients/list')).envelope?.obj as Array<Record<string, unknown>>;
    expect(list[0]).toMatchObject({ email: 'anchor', inboundIds: [1], traffic: { email: 'anchor' } });
    const paged = (await api(panel, 'GET', 'clients/list/paged?page=1&pageSize=1')).envelope?.obj;
    expect(paged).toMatchObject({ items: [{ email: 'anchor' }], total: 1, page: 1, pageSize: 1 });
  });
});

describe('§6 G1 routes', () => {
  it('refuses to delete the last client of an inbound (G1) but lets G2 do it', async () => {
    const g1 = await fake({ generation: 'g1' });
    const uuid = g1.panel.inspectClient('anchor')?.uuid ?? '';
    expect((await api(g1.panel, 'POST', `inbounds/1/delClient/${uuid}`)).envelope?.msg).toContain(
      'no client remained in Inbound',
    );
    expect((await api(g1.panel, 'POST', 'inbounds/1/delClientByEmail/ghost')).envelope?.msg).toContain(
      'client with email ghost not found',
    );
    const g2 = await fake({ generation: 'g2' });
    expect((await api(g2.panel, 'POST', 'clients/del/anchor')).envelope?.success).toBe(true);
    expect(g2.panel.inspectClient('anchor')).toBeUndefined();
  });

  it('binds a G1 body sent as a form as well as JSON', async () => {
    const { panel } = await fake({ generation: 'g1' });
    const response = await fetch(`${panel.url}panel/api/inbounds/addClient`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        id: '1',
        settings: JSON.stringify({ clients: [{ id: randomUUID(), email: 'form-1', enable: true }] }),
      }).toString(),
    });
    expect(((await response.json()) as { success: boolean }).success).toBe(true);
    // G1 stores whatever it is sent: no subId stays empty (G2 would fill one).
    expect(panel.inspectClient('form-1')).toMatchObject({ enable: true, subId: '' });
  });
});

describe('§7.1 renames and §7.3 things that re-enable', () => {
  it('renames a client whose body email differs from the path, and refuses a rename onto a taken email', async () => {
    const target = await fake({ generation: 'g2' });
    await target.client.createClient(
      {
        email: asClientEmail('taken'),
        inboundId: target.inboundId,
        protocol: 'vless',
        uuid: randomUUID(),
        secret: 's',
        subId: 'sub-taken',
        tgId: 0,
        comment: '',
        enable: true,
        expiryTimeMs: 0,
        totalBytes: 0,
        resetDays: 0,
        flow: '',
      },
      signal(),
    );
    const collision = await api(target.panel, 'POST', 'clients/update/anchor', { email: 'taken' });
    expect(collision.envelope?.msg).toContain('Duplicate email: taken');
    expect(
      (await api(target.panel, 'POST', 'clients/update/anchor', { email: 'renamed' })).envelope?.success,
    ).toBe(true);
    expect(target.panel.inspectClient('renamed')).toBeDefined();
    expect(target.panel.inspectClient('anchor')).toBeUndefined();
  });

  it('G1 resetClientTraffic re-enables the traffic row only, leaving the settings flag as it was', async () => {
    const { panel } = await fake({ generation: 'g1' });
    panel.editClient('anchor', { enable: false, trafficEnable: false });
    expect((await api(panel, 'POST', 'inbounds/1/resetClientTraffic/anchor')).envelope?.success).toBe(true);
    expect(panel.inspectClient('anchor')).toMatchObject({ enable: false, trafficEnable: true });
  });
});

describe('§8 renewal on main', () => {
  it('renews on a calendar day too, and stops after resetMax renewals', async () => {
    const { panel } = await fake({ profile: 'main' });
    panel.seedClient(1, { email: 'capped', resetDay: 5, resetMax: 1, expiryTime: Date.now() - 1_000 });
    panel.runJob();
    const renewed = panel.inspectClient('capped');
    expect(renewed?.enable).toBe(true);
    expect(renewed?.expiryTime).toBeGreaterThan(Date.now());
    panel.editClient('capped', { expiryTime: Date.now() - 1_000 });
    panel.runJob();
    // The cap is spent: the client stays expired and the job disables it.
    expect(panel.inspectClient('capped')).toMatchObject({ enable: false, trafficEnable: false });
  });

  it('resets a client on its own traffic cycle and revives it when depleted, but not one an admin disabled below quota', async () => {
    const { panel } = await fake({ profile: 'main' });
    panel.seedClient(1, {
      email: 'depleted',
      trafficReset: 'daily',
      totalGB: 100,
      up: 100,
      enable: false,
      trafficEnable: false,
    });
    panel.seedClient(1, { email: 'by-hand', trafficReset: 'daily', totalGB: 100, up: 10, enable: false });
    panel.seedClient(1, { email: 'weekly', trafficReset: 'weekly', totalGB: 100, up: 100, enable: false });
    expect(panel.runTrafficResetCycle('daily')).toEqual(['depleted']);
    expect(panel.inspectClient('depleted')).toMatchObject({ enable: true, up: 0 });
    expect(panel.inspectClient('by-hand')?.enable).toBe(false);
    expect(panel.inspectClient('weekly')?.enable).toBe(false);
    // Releases without client cycles never reset on their own.
    const v36 = await fake({ profile: 'v3.6' });
    v36.panel.seedClient(1, {
      email: 'depleted',
      trafficReset: 'daily',
      totalGB: 100,
      up: 100,
      enable: false,
    });
    expect(v36.panel.runTrafficResetCycle('daily')).toEqual([]);
  });

  it('auto-renews an expired client with reset > 0 by whole periods and zeroes its counters', async () => {
    const { panel } = await fake({ generation: 'g2' });
    const expired = Date.now() - 3 * DAY_MS;
    panel.seedClient(1, { email: 'renew', reset: 2, expiryTime: expired, up: 50, down: 50 });
    panel.runJob();
    const client = panel.inspectClient('renew');
    expect(client).toMatchObject({ enable: true, up: 0, down: 0, expiryTime: expired + 4 * DAY_MS });
  });
});

describe('§2.3–§2.5 auth answers by release', () => {
  it.each(VERSION_PROFILES)(
    'answers an unauthenticated API call as %s does, and logs out the way it does',
    async (profile) => {
      const { panel } = await fake({ profile });
      const traits = PROFILE_TRAITS[profile];
      const plain = await fetch(`${panel.url}panel/api/inbounds/list`, { redirect: 'manual' });
      const xhr = await fetch(`${panel.url}panel/api/inbounds/list`, {
        redirect: 'manual',
        headers: { 'x-requested-with': 'XMLHttpRequest' },
      });
      const answers = {
        plain: { status: plain.status, text: await plain.text(), location: plain.headers.get('location') },
        xhr: { status: xhr.status, text: await xhr.text() },
      };
      const base = new URL(panel.url).pathname;
      const expected = {
        // v2.0–v2.8.3: a redirect to the login page, or 401 JSON for XHR.
        redirect: {
          plain: { status: 307, text: '', location: base },
          xhr: {
            status: 401,
            text: JSON.stringify({
              success: false,
              msg: 'Your session has expired, please log in again',
              obj: null,
            }),
          },
        },
        // v2.8.4–v3.0.1: the API is hidden.
        hidden: { plain: { status: 404, text: '', location: null }, xhr: { status: 404, text: '' } },
        // v3.0.2+: 404, or 401 empty for XHR.
        v3: { plain: { status: 404, text: '', location: null }, xhr: { status: 401, text: '' } },
      }[traits.unauthorized];
      expect(answers).toEqual(expected);

      // Logout: v3 is a CSRF-checked POST answering {"success":true}; v2 a GET redirecting to {base}.
      if (traits.csrf) {
        expect((await fetch(`${panel.url}logout`, { method: 'POST', redirect: 'manual' })).status).toBe(403);
        const csrf = await fetch(`${panel.url}csrf-token`);
        const cookie = (csrf.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
        const token = ((await csrf.json()) as { obj: string }).obj;
        const out = await fetch(`${panel.url}logout`, {
          method: 'POST',
          headers: { cookie, 'x-csrf-token': token },
          redirect: 'manual',
        });
        expect({ status: out.status, body: await out.json() }).toEqual({
          status: 200,
          body: { success: true },
        });
      } else {
        const out = await fetch(`${panel.url}logout`, { redirect: 'manual' });
        expect({ status: out.status, location: out.headers.get('location') }).toEqual({
          status: 307,
          location: base,
        });
      }
    },
  );

  it('answers a scoped token 403 with the exact envelope on a known route and 404 on an unknown one (main)', async () => {
    const { panel } = await fake({ profile: 'main', tokens: [{ token: 'tok-mon', scope: 'monitor' }] });
    const call = (path: string): Promise<Response> =>
      fetch(`${panel.url}panel/api/${path}`, { headers: { authorization: 'Bearer tok-mon' } });
    const known = await call('inbounds/list');
    expect({ status: known.status, text: await known.text() }).toEqual({
      status: 403,
      text: '{"msg":"this API token is not permitted to access this endpoint","success":false}',
    });
    const unknown = await call('inbounds/nothing-here');
    expect({ status: unknown.status, text: await unknown.text() }).toEqual({ status: 404, text: '' });
    expect((await call('server/status')).status).toBe(200);
    // A token with no scope given is admin.
    expect((await api(panel, 'GET', 'inbounds/list')).envelope?.success).toBe(true);
  });
});

describe('§4 identities, stale rows and effective state the client relies on', () => {
  it('updates a hysteria client on G1, whose path identity is `auth`', async () => {
    const target = await fake({ generation: 'g1' });
    const inboundId = asInboundId(target.panel.addInbound({ protocol: 'hysteria' }));
    target.panel.seedClient(inboundId, { email: 'hy-anchor' });
    target.panel.seedClient(inboundId, { email: 'hy-1', auth: 'hy-secret' });
    const confirmed = await target.client.updateClient(
      asClientEmail('hy-1'),
      { enable: false, expiryTimeMs: 0, totalBytes: 0, resetDays: 0, flow: '' },
      signal(),
    );
    expect(confirmed.isClientEnabled).toBe(false);
    expect(target.panel.inspectClient('hy-1')).toMatchObject({ auth: 'hy-secret', enable: false });
    expect(target.panel.requests().some((request) => request.path.endsWith('updateClient/hy-secret'))).toBe(
      true,
    );
  });

  it.each(['v2.8.0', 'v2.9'] as const)(
    'finds a G1 client whose traffic row names a stale inbound on %s (falls back to the full list)',
    async (profile) => {
      const target = await fake({ profile });
      const other = target.panel.addInbound({ protocol: 'vless', port: 8443 });
      const row = target.panel.model.findTraffic('anchor');
      if (row === undefined) {
        throw new Error('no traffic row');
      }
      row.inboundId = other; // The row keeps the inbound the client was first created on (§4.4).
      if (profile === 'v2.9') {
        const refused = await api(target.panel, 'GET', 'inbounds/getClientTraffics/anchor');
        expect(refused.envelope).toMatchObject({ success: false });
        expect(refused.envelope?.msg).toContain('Client Not Found In Inbound For Email: anchor\n');
      }
      const found = await target.client.getClient(asClientEmail('anchor'), signal());
      expect(found).toMatchObject({ email: 'anchor', inboundIds: [target.inboundId] });
    },
  );

  it('reads a client on a disabled inbound as not effectively enabled, and reads disableFlow (main)', async () => {
    for (const profile of ['v2.9', 'v3.6', 'main'] as const) {
      const target = await fake({ profile });
      target.panel.setInboundEnabled(target.inboundId, false);
      const observed = await target.client.getClient(asClientEmail('anchor'), signal());
      expect(observed).toMatchObject({ isClientEnabled: true, isEffectivelyEnabled: false });
      const noFlow = target.panel.addInbound({ protocol: 'vless', port: 9443, disableFlow: true });
      const inbound = (await target.client.observe(signal())).inbounds.find((item) => item.id === noFlow);
      expect(inbound?.isFlowDisabled).toBe(profile === 'main');
    }
  });
});

describe('§6.1 and §7.1 on G1: identity rotation and whole-entry replacement', () => {
  it('rotates a UUID with the old one in the path and the new one in the body', async () => {
    const { panel } = await fake({ generation: 'g1' });
    const old = panel.inspectClient('anchor')?.uuid ?? '';
    const next = randomUUID();
    const answer = await api(panel, 'POST', `inbounds/updateClient/${old}`, {
      id: 1,
      settings: JSON.stringify({ clients: [{ id: next, email: 'anchor', enable: true }] }),
    });
    expect(answer.envelope?.success).toBe(true);
    expect(panel.inspectClient('anchor')?.uuid).toBe(next);
  });

  it('replaces the whole entry: a partial body loses subId, tgId, comment and limitIp, keeping created_at', async () => {
    const { panel } = await fake({ generation: 'g1' });
    panel.editClient('anchor', { subId: 'sub-a', tgId: 5, comment: 'c', limitIp: 2 });
    const createdAt = panel.model.findClient('anchor')?.createdAt;
    const uuid = panel.inspectClient('anchor')?.uuid ?? '';
    await api(panel, 'POST', `inbounds/updateClient/${uuid}`, {
      id: 1,
      settings: JSON.stringify({ clients: [{ id: uuid, email: 'anchor', enable: true }] }),
    });
    expect(panel.inspectClient('anchor')).toMatchObject({ subId: '', tgId: 0, comment: '', limitIp: 0 });
    expect(panel.model.findClient('anchor')?.createdAt).toBe(createdAt);
  });
});
