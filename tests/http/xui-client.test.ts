/**
 * The panel client at the HTTP level, against undici's MockAgent (msw cannot see `undici.request`):
 * headers, login and CSRF flows, re-login once, and every way a panel can answer badly.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { MockAgent, type MockPool } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { asClientEmail, asInboundId, asPanelId } from '../../src/domain/ids.ts';
import type { PanelConnection } from '../../src/reconciler/ports.ts';
import {
  createPanelClient,
  PanelAuthError,
  type PanelClientOptions,
  type PanelRequestEvent,
} from '../../src/xui/index.ts';

const ORIGIN = 'http://panel.test';
const BASE = '/s3cr3tBase/';
const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

let agent: MockAgent;
let pool: MockPool;

beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
  pool = agent.get(ORIGIN);
});

afterEach(async () => {
  await agent.close();
});

function connection(
  auth: PanelConnection['auth'],
  apiGeneration: PanelConnection['apiGeneration'] = 'g2',
): PanelConnection {
  return {
    id: asPanelId('7'),
    name: 'mock',
    baseUrl: `${ORIGIN}${BASE}`,
    auth,
    apiGeneration,
    tlsSkipVerify: false,
    caPem: undefined,
  };
}

const password = { kind: 'password', username: 'admin', password: 'hunter2-pass' } as const;
const token = { kind: 'token', token: 'tok-ABCDEF-secret' } as const;

function options(overrides: Partial<PanelClientOptions> = {}): PanelClientOptions {
  return { timeoutMs: 1_000, logger: pino({ level: 'silent' }), dispatcher: agent, ...overrides };
}

const signal = (): AbortSignal => AbortSignal.timeout(5_000);

const inbound = {
  id: 1,
  remark: 'r',
  protocol: 'vless',
  port: 443,
  listen: '',
  enable: true,
  settings: {
    clients: [{ id: 'uuid-1', email: 'key-1', enable: true, expiryTime: 0, totalGB: 0 }],
    decryption: 'none',
  },
  streamSettings: { network: 'tcp', security: 'reality' },
  clientStats: [{ email: 'key-1', inboundId: 1, enable: true, up: 5, down: 6, expiryTime: 0, total: 0 }],
};

const ok = (obj: unknown): object => ({ success: true, msg: '', obj });

/** Expects the cookie login: csrf-token, then a login carrying the token and cookie. */
function expectLogin(cookie = 'sess-1'): void {
  pool.intercept({ path: `${BASE}csrf-token`, method: 'GET' }).reply(200, ok('T0KEN'), {
    headers: { ...JSON_HEADERS, 'set-cookie': `3x-ui=anon-${cookie}; Path=${BASE}; HttpOnly` },
  });
  pool
    .intercept({
      path: `${BASE}login`,
      method: 'POST',
      headers: { 'x-csrf-token': 'T0KEN', cookie: `3x-ui=anon-${cookie}` },
      body: (body) => new URLSearchParams(body).get('password') === 'hunter2-pass',
    })
    .reply(
      200,
      { success: true, msg: 'You have successfully logged into your account.', obj: null },
      {
        headers: { ...JSON_HEADERS, 'set-cookie': `3x-ui=${cookie}; Path=${BASE}; Max-Age=21600; HttpOnly` },
      },
    );
}

function listPath(): string {
  return `${BASE}panel/api/inbounds/list`;
}

describe('session and headers', () => {
  it('logs in with the CSRF token and sends cookie, XHR, Accept and Accept-Language on API calls', async () => {
    expectLogin();
    pool
      .intercept({
        path: listPath(),
        method: 'GET',
        headers: {
          cookie: '3x-ui=sess-1',
          'x-requested-with': 'XMLHttpRequest',
          accept: 'application/json',
          'accept-language': 'en-US',
        },
      })
      .reply(200, ok([inbound]), { headers: JSON_HEADERS });
    const client = createPanelClient(connection(password), options());
    const observation = await client.observe(signal());
    expect(observation.clients.get(asClientEmail('key-1'))).toMatchObject({
      upBytes: 5,
      downBytes: 6,
      isEffectivelyEnabled: true,
    });
    agent.assertNoPendingInterceptors();
  });

  it('sends a Bearer token and never logs in', async () => {
    pool
      .intercept({ path: listPath(), method: 'GET', headers: { authorization: 'Bearer tok-ABCDEF-secret' } })
      .reply(200, ok([inbound]), { headers: JSON_HEADERS });
    const client = createPanelClient(connection(token), options());
    expect((await client.observe(signal())).inbounds).toHaveLength(1);
    agent.assertNoPendingInterceptors();
  });

  it('reports a rejected token (404 from the hidden API) as an auth error', async () => {
    pool.intercept({ path: listPath(), method: 'GET' }).reply(401, '');
    const client = createPanelClient(connection(token), options());
    await expect(client.observe(signal())).rejects.toMatchObject({
      kind: 'auth',
      reason: 'token-rejected',
      status: 401,
    });
  });

  it('logs in again once on 401 and retries', async () => {
    expectLogin('first');
    pool.intercept({ path: listPath(), method: 'GET' }).reply(401, '');
    expectLogin('second');
    pool
      .intercept({ path: listPath(), method: 'GET', headers: { cookie: '3x-ui=second' } })
      .reply(200, ok([inbound]), { headers: JSON_HEADERS });
    const client = createPanelClient(connection(password), options());
    expect((await client.observe(signal())).clients.size).toBe(1);
    agent.assertNoPendingInterceptors();
  });

  it('treats a redirect as a lost session and never follows it', async () => {
    expectLogin('first');
    pool.intercept({ path: listPath(), method: 'GET' }).reply(307, '', { headers: { location: BASE } });
    expectLogin('second');
    pool.intercept({ path: listPath(), method: 'GET' }).reply(200, ok([inbound]), { headers: JSON_HEADERS });
    const client = createPanelClient(connection(password), options());
    expect((await client.observe(signal())).clients.size).toBe(1);
    agent.assertNoPendingInterceptors();
  });

  it('refreshes a stale CSRF token once on 403', async () => {
    expectLogin();
    pool.intercept({ path: `${BASE}panel/api/clients/bulkDisable`, method: 'POST' }).reply(403, '');
    pool
      .intercept({ path: `${BASE}csrf-token`, method: 'GET' })
      .reply(200, ok('FRESH'), { headers: JSON_HEADERS });
    pool
      .intercept({
        path: `${BASE}panel/api/clients/bulkDisable`,
        method: 'POST',
        headers: { 'x-csrf-token': 'FRESH' },
      })
      .reply(200, ok({ changed: 1 }), { headers: JSON_HEADERS });
    const client = createPanelClient(connection(password), options());
    const result = await client.setEnabled([asClientEmail('key-1')], false, signal());
    expect(result).toEqual({ changed: ['key-1'], skipped: [], calls: 1 });
  });

  it('logs in without CSRF on panels that have no csrf-token route (v2)', async () => {
    pool.intercept({ path: `${BASE}csrf-token`, method: 'GET' }).reply(404, '');
    pool
      .intercept({ path: `${BASE}login`, method: 'POST' })
      .reply(200, ok(null), { headers: { ...JSON_HEADERS, 'set-cookie': '3x-ui=v2sess; Path=/' } });
    pool
      .intercept({ path: listPath(), method: 'GET', headers: { cookie: '3x-ui=v2sess' } })
      .reply(200, ok([inbound]), { headers: JSON_HEADERS });
    const client = createPanelClient(connection(password, 'g1'), options());
    expect((await client.observe(signal())).clients.size).toBe(1);
  });

  it('fails a refused login with an auth error and backs off without calling the panel again', async () => {
    pool
      .intercept({ path: `${BASE}csrf-token`, method: 'GET' })
      .reply(200, ok('T'), { headers: JSON_HEADERS });
    pool
      .intercept({ path: `${BASE}login`, method: 'POST' })
      .reply(
        200,
        { success: false, msg: 'Invalid username or password or two-factor code.', obj: null },
        { headers: JSON_HEADERS },
      );
    let now = 1_000_000;
    const client = createPanelClient(connection(password), options({ now: () => now }));
    await expect(client.observe(signal())).rejects.toMatchObject({
      kind: 'auth',
      reason: 'login-rejected',
      retryable: false,
    });
    const backoff = await client.observe(signal()).catch((thrown: unknown) => thrown);
    expect(backoff).toMatchObject({ kind: 'auth', reason: 'login-backoff', retryable: true });
    expect(backoff instanceof PanelAuthError ? backoff.retryAfterMs : 0).toBeGreaterThanOrEqual(30_000);
    now += 16 * 60_000;
    expectLogin();
    pool.intercept({ path: listPath(), method: 'GET' }).reply(200, ok([inbound]), { headers: JSON_HEADERS });
    expect((await client.observe(signal())).clients.size).toBe(1);
  });
});

describe('bad answers become typed failures, never an empty read', () => {
  it('fails with an auth error when an API route keeps answering the HTML login page with 200', async () => {
    expectLogin('a');
    pool
      .intercept({ path: listPath(), method: 'GET' })
      .reply(200, '<!DOCTYPE html><html>login</html>', { headers: { 'content-type': 'text/html' } });
    expectLogin('b');
    pool
      .intercept({ path: listPath(), method: 'GET' })
      .reply(200, '<!DOCTYPE html><html>login</html>', { headers: { 'content-type': 'text/html' } });
    const client = createPanelClient(connection(password), options());
    await expect(client.observe(signal())).rejects.toMatchObject({
      kind: 'auth',
      reason: 'session-rejected',
      status: 200,
    });
  });

  it('fails with an unparseable error carrying an excerpt for garbage', async () => {
    pool
      .intercept({ path: listPath(), method: 'GET' })
      .reply(200, '{"success":true,"obj":[{"id":1,"rem', { headers: JSON_HEADERS });
    const client = createPanelClient(connection(token), options());
    await expect(client.observe(signal())).rejects.toMatchObject({
      kind: 'unparseable',
      excerpt: '{"success":true,"obj":[{"id":1,"rem',
    });
  });

  it('names the offending field when the JSON has the wrong shape', async () => {
    const broken = { ...inbound, settings: JSON.stringify({ clients: [{ id: 'u', enable: true }] }) };
    pool.intercept({ path: listPath(), method: 'GET' }).reply(200, ok([broken]), { headers: JSON_HEADERS });
    const client = createPanelClient(connection(token), options());
    await expect(client.observe(signal())).rejects.toMatchObject({
      kind: 'unparseable',
      path: 'obj[0].settings.clients[0].email',
      expected: 'a string',
    });
  });

  it('refuses an envelope without `success`', async () => {
    pool.intercept({ path: listPath(), method: 'GET' }).reply(200, { obj: [] }, { headers: JSON_HEADERS });
    const client = createPanelClient(connection(token), options());
    await expect(client.observe(signal())).rejects.toMatchObject({ kind: 'unparseable', path: '$.success' });
  });

  it('reports a 500 as a retryable refusal', async () => {
    pool.intercept({ path: listPath(), method: 'GET' }).reply(500, 'Internal Server Error');
    const client = createPanelClient(connection(token), options());
    await expect(client.observe(signal())).rejects.toMatchObject({
      kind: 'refused',
      status: 500,
      retryable: true,
    });
  });

  it('reports success:false with the panel message, which keeps its trailing newline', async () => {
    pool
      .intercept({ path: listPath(), method: 'GET' })
      .reply(
        200,
        { success: false, msg: 'Something went wrong (database is locked\n)', obj: null },
        { headers: JSON_HEADERS },
      );
    const client = createPanelClient(connection(token), options());
    const failure = await client.observe(signal()).catch((thrown: unknown) => thrown);
    expect(failure).toMatchObject({
      kind: 'refused',
      status: 200,
      retryable: false,
      panelMessage: 'Something went wrong (database is locked\n)',
    });
  });

  it('gives up on a hanging panel with a timeout error within the configured timeout', async () => {
    pool
      .intercept({ path: listPath(), method: 'GET' })
      .reply(200, ok([inbound]), { headers: JSON_HEADERS })
      .delay(10_000);
    const client = createPanelClient(connection(token), options({ timeoutMs: 150 }));
    const started = performance.now();
    await expect(client.observe(signal())).rejects.toMatchObject({
      kind: 'timeout',
      timeoutMs: 150,
      retryable: true,
    });
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('reports a connection failure as a retryable transport error', async () => {
    pool
      .intercept({ path: listPath(), method: 'GET' })
      .replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    const client = createPanelClient(connection(token), options());
    await expect(client.observe(signal())).rejects.toMatchObject({ kind: 'transport', retryable: true });
  });

  it('stops when the caller aborts', async () => {
    pool
      .intercept({ path: listPath(), method: 'GET' })
      .reply(200, ok([inbound]), { headers: JSON_HEADERS })
      .delay(10_000);
    const client = createPanelClient(connection(token), options({ timeoutMs: 5_000 }));
    const controller = new AbortController();
    setTimeout(() => {
      controller.abort();
    }, 50);
    await expect(client.observe(controller.signal)).rejects.toMatchObject({ kind: 'transport' });
  });
});

describe('G1 and G2 wire details', () => {
  it('reads G1 settings strings and string tgIds (v2.2.7 and older)', async () => {
    const g1 = {
      ...inbound,
      settings: JSON.stringify({
        clients: [{ id: 'u', email: 'old', enable: true, tgId: '12345', expiryTime: 0, totalGB: 0 }],
      }),
      streamSettings: JSON.stringify({ network: 'ws' }),
      clientStats: null,
    };
    pool.intercept({ path: listPath(), method: 'GET' }).reply(200, ok([g1]), { headers: JSON_HEADERS });
    const client = createPanelClient(connection(token, 'g1'), options());
    const observation = await client.observe(signal());
    expect(observation.clients.get(asClientEmail('old'))).toMatchObject({
      tgId: 12345,
      isTrafficEnabled: true,
    });
    expect(observation.inbounds[0]?.streamSettings).toEqual({ network: 'ws' });
  });

  it('sends a G2 update as the Client wire form: uuid→id, no numeric id, allowedIPs as a list, nothing dropped', async () => {
    const record = {
      id: 77,
      uuid: 'uuid-9',
      email: 'key-9',
      enable: true,
      expiryTime: 5,
      totalGB: 6,
      limitIp: 2,
      tgId: 99,
      subId: 'sub-9',
      flow: 'xtls-rprx-vision',
      reset: 0,
      comment: 'keep me',
      group: 'vip',
      allowedIPs: '10.0.0.1,10.0.0.2',
      createdAt: 1,
      updatedAt: 2,
      futureField: 'kept',
    };
    const detail = ok({ client: record, inboundIds: [1], externalLinks: [], usedTraffic: 0 });
    pool
      .intercept({ path: `${BASE}panel/api/clients/get/key-9`, method: 'GET' })
      .reply(200, detail, { headers: JSON_HEADERS });
    let sent: unknown;
    pool
      .intercept({
        path: `${BASE}panel/api/clients/update/key-9`,
        method: 'POST',
        body: (body) => {
          sent = JSON.parse(body);
          return true;
        },
      })
      .reply(200, ok(null), { headers: JSON_HEADERS });
    pool
      .intercept({ path: `${BASE}panel/api/clients/get/key-9`, method: 'GET' })
      .reply(200, detail, { headers: JSON_HEADERS });
    pool
      .intercept({ path: `${BASE}panel/api/clients/traffic/key-9`, method: 'GET' })
      .reply(200, ok(null), { headers: JSON_HEADERS });
    pool
      .intercept({ path: `${BASE}panel/api/inbounds/get/1`, method: 'GET' })
      .reply(200, ok(inbound), { headers: JSON_HEADERS });
    const client = createPanelClient(connection(token), options());
    await client.updateClient(
      asClientEmail('key-9'),
      { enable: false, expiryTimeMs: 10, totalBytes: 20, resetDays: 0, flow: 'xtls-rprx-vision' },
      signal(),
    );
    expect(sent).toEqual({
      id: 'uuid-9',
      email: 'key-9',
      enable: false,
      expiryTime: 10,
      totalGB: 20,
      limitIp: 2,
      tgId: 99,
      subId: 'sub-9',
      flow: 'xtls-rprx-vision',
      reset: 0,
      comment: 'keep me',
      group: 'vip',
      allowedIPs: ['10.0.0.1', '10.0.0.2'],
      futureField: 'kept',
    });
  });
});

describe('answers of remote-node inbounds', () => {
  it('takes `obj: {nodePending: true}` (the change is queued for an offline node) as an accepted add (§5, §7.2)', async () => {
    let sent: unknown;
    pool
      .intercept({
        path: `${BASE}panel/api/clients/add`,
        method: 'POST',
        body: (body) => {
          sent = JSON.parse(body);
          return true;
        },
      })
      .reply(
        200,
        { success: true, msg: 'Inbound client(s) have been added.', obj: { nodePending: true } },
        {
          headers: JSON_HEADERS,
        },
      );
    const client = createPanelClient(connection(token), options());
    await expect(
      client.createClient(
        {
          email: asClientEmail('key-5'),
          inboundId: asInboundId(4),
          protocol: 'vless',
          uuid: 'uuid-5',
          secret: 's',
          subId: 'sub-5',
          tgId: 0,
          comment: '',
          enable: true,
          expiryTimeMs: 0,
          totalBytes: 0,
          resetDays: 0,
          flow: '',
        },
        signal(),
      ),
    ).resolves.toBeUndefined();
    expect(sent).toMatchObject({ client: { id: 'uuid-5', email: 'key-5' }, inboundIds: [4] });
  });
});

describe('observability without secrets', () => {
  it('reports every HTTP exchange to onRequest and never logs passwords, tokens or cookies', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const events: PanelRequestEvent[] = [];
    expectLogin('cookie-value-xyz');
    pool.intercept({ path: listPath(), method: 'GET' }).reply(401, '');
    pool
      .intercept({ path: `${BASE}csrf-token`, method: 'GET' })
      .reply(200, ok('T0KEN'), { headers: JSON_HEADERS });
    pool
      .intercept({ path: `${BASE}login`, method: 'POST' })
      .reply(
        200,
        { success: false, msg: 'Invalid username or password or two-factor code.', obj: null },
        { headers: JSON_HEADERS },
      );
    const client = createPanelClient(
      connection(password),
      options({ logger: pino({ level: 'debug' }, sink), onRequest: (event) => events.push(event) }),
    );
    await expect(client.observe(signal())).rejects.toMatchObject({ kind: 'auth' });
    expect(events.map((event) => `${event.op}:${event.outcome}`)).toEqual([
      'csrf:ok',
      'login:ok',
      'observe:auth',
      'csrf:ok',
      'login:refused',
    ]);
    expect(events.every((event) => event.durationMs >= 0)).toBe(true);
    const output = lines.join('');
    expect(output).toContain('panel request');
    expect(output).not.toContain('hunter2-pass');
    expect(output).not.toContain('cookie-value-xyz');
    expect(output).not.toContain('T0KEN');
    expect(output).not.toContain('s3cr3tBase');
  });
});
