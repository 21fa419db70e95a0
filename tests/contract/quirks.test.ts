/**
 * The quirks of reference/xui-api.md §11, one block each, against the simulated panels. Every test
 * pins two things: that the simulator reproduces the quirk (so a naive client would trip over it) and
 * that our client copes.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { asClientEmail, asInboundId } from '../../src/domain/ids.ts';
import type { NewClient } from '../../src/reconciler/ports.ts';
import {
  createPanelClient,
  isDuplicateEmailError,
  PanelAuthError,
  PanelRefusedError,
} from '../../src/xui/index.ts';
import type { SimulatedPanel } from '../../src/simulator/index.ts';
import { connectionTo, startFake, testClientOptions, type ContractTarget } from './targets.ts';

const DAY_MS = 86_400_000;
const email = asClientEmail;
const signal = (): AbortSignal => AbortSignal.timeout(10_000);
const open: ContractTarget[] = [];

async function fake(
  ...args: Parameters<typeof startFake>
): Promise<ContractTarget & { panel: SimulatedPanel }> {
  const target = await startFake(...args);
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

function newClient(target: ContractTarget, name: string, overrides: Partial<NewClient> = {}): NewClient {
  return {
    email: email(name),
    inboundId: target.inboundId,
    protocol: 'vless',
    uuid: randomUUID(),
    secret: 'secret',
    subId: `sub-${name}`,
    tgId: 42,
    comment: 'note',
    enable: true,
    expiryTimeMs: 0,
    totalBytes: 0,
    resetDays: 0,
    flow: 'xtls-rprx-vision',
    ...overrides,
  };
}

/** Raw HTTP against the simulator, for pinning its own behaviour. */
async function raw(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(url, { redirect: 'manual', ...init });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

describe('§11.1 base path, hidden API and CSRF', () => {
  it('answers 404 with an empty body outside the base path and for unauthenticated API calls, 401 with the XHR header', async () => {
    const { panel } = await fake({ generation: 'g2' });
    const root = new URL(panel.url).origin;
    expect(await raw(`${root}/panel/api/inbounds/list`)).toMatchObject({ status: 404, text: '' });
    expect(await raw(`${panel.url}panel/api/inbounds/list`)).toMatchObject({ status: 404, text: '' });
    expect(
      await raw(`${panel.url}panel/api/inbounds/list`, { headers: { 'x-requested-with': 'XMLHttpRequest' } }),
    ).toMatchObject({
      status: 401,
      text: '',
    });
  });

  it('fails with an auth error, never an empty read, when the base path is wrong', async () => {
    const { panel } = await fake({ generation: 'g2' });
    const client = createPanelClient(
      connectionTo(
        panel,
        { kind: 'password', username: 'admin', password: 'correct horse' },
        { baseUrl: `${new URL(panel.url).origin}/` },
      ),
      testClientOptions(),
    );
    await expect(client.observe(signal())).rejects.toBeInstanceOf(PanelAuthError);
    await client.close();
  });

  it('rejects a cookie POST without the CSRF token with 403, while the client sends it (v3)', async () => {
    const { panel, client } = await fake({ generation: 'g2' });
    const token = await raw(`${panel.url}csrf-token`);
    const cookie = (token.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const csrf = z(JSON.parse(token.text));
    const login = await raw(`${panel.url}login`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify({ username: 'admin', password: 'correct horse' }),
    });
    expect(login.status).toBe(200);
    const withoutToken = await raw(`${panel.url}panel/api/clients/bulkDisable`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ emails: ['anchor'] }),
    });
    expect(withoutToken).toMatchObject({ status: 403, text: '' });
    const result = await client.setEnabled([email('anchor')], false, signal());
    expect(result.changed).toEqual(['anchor']);
  });

  it('logs in again once when the session is dropped (401/404 on v3, 307 on v2) and does not follow redirects', async () => {
    for (const unauthorized of ['v3', 'hidden', 'redirect'] as const) {
      const { panel, client } = await fake({ generation: 'g1', unauthorized });
      await client.observe(signal());
      panel.dropSessions();
      panel.clearRequests();
      const observation = await client.observe(signal());
      expect(observation.clients.has(email('anchor'))).toBe(true);
      const paths = panel.requests().map((request) => request.path);
      expect(paths).toEqual(['panel/api/inbounds/list', 'csrf-token', 'login', 'panel/api/inbounds/list']);
    }
  });

  it('fails with an auth error after one re-login when sessions never stick', async () => {
    const { panel, client } = await fake({ generation: 'g2' });
    await panel.setFault({ kind: 'sessions-dropped' }, { pathIncludes: 'panel/api/' });
    await expect(client.observe(signal())).rejects.toMatchObject({
      kind: 'auth',
      reason: 'session-rejected',
    });
    const logins = panel.requests().filter((request) => request.path === 'login');
    expect(logins).toHaveLength(2);
  });
});

/** Takes `obj.client` of a `clients/get` envelope parsed in a test. */
function clientOf(value: unknown): unknown {
  if (
    typeof value === 'object' &&
    value !== null &&
    'obj' in value &&
    typeof value.obj === 'object' &&
    value.obj !== null &&
    'client' in value.obj
  ) {
    return value.obj.client;
  }
  throw new Error('no obj.client');
}

/** Unwraps `obj` of an envelope parsed in a test. */
function z(value: unknown): string {
  if (typeof value === 'object' && value !== null && 'obj' in value && typeof value.obj === 'string') {
    return value.obj;
  }
  throw new Error('no string obj');
}

describe('§11.2 HTTP 200 envelopes with `prefix (text\\n)` messages', () => {
  it('words refusals as prefix (text + newline) with HTTP 200, and the client matches by substring', async () => {
    const target = await fake({ generation: 'g1' });
    const failure = await target.client.createClient(newClient(target, 'anchor'), signal()).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(failure).toBeInstanceOf(PanelRefusedError);
    expect(failure).toMatchObject({
      status: 200,
      panelMessage: 'Something went wrong (Duplicate email: anchor\n)',
    });
    expect(isDuplicateEmailError(failure)).toBe(true);
  });
});

describe('§11.3 settings as a string (G1) or an object (G2)', () => {
  it('serves G1 settings as a JSON string and G2 as an object; the client reads both', async () => {
    for (const generation of ['g1', 'g2'] as const) {
      const { client } = await fake({ generation });
      const observation = await client.observe(signal());
      expect(observation.clients.get(email('anchor'))?.isEffectivelyEnabled).toBe(true);
      expect(observation.inbounds[0]?.streamSettings).toMatchObject({ security: 'reality' });
      const tokenPanel = await fake({ generation, csrf: false });
      const listed = await raw(`${tokenPanel.panel.url}panel/api/inbounds/list`, {
        headers: { authorization: 'Bearer tok-secret-123' },
      });
      const settingsType = /"settings":(.)/.exec(listed.text)?.[1];
      expect(settingsType).toBe(generation === 'g1' ? '"' : '{');
    }
  });

  it('rejects a G1 write whose settings is an object (Go binds it into a string field)', async () => {
    const { panel } = await fake({ generation: 'g1' }, 'token');
    const response = await raw(`${panel.url}panel/api/inbounds/addClient`, {
      method: 'POST',
      headers: { authorization: 'Bearer tok-secret-123', 'content-type': 'application/json' },
      body: JSON.stringify({ id: 1, settings: { clients: [{ id: randomUUID(), email: 'x' }] } }),
    });
    expect(response.text).toContain('cannot unmarshal object');
  });
});

describe('§11.4 G1 identity by protocol', () => {
  it('updates trojan and shadowsocks clients, whose path identity is the password or the email', async () => {
    for (const protocol of ['trojan', 'shadowsocks', 'vmess'] as const) {
      const target = await fake({ generation: 'g1' });
      const inboundId = asInboundId(target.panel.addInbound({ protocol }));
      target.panel.seedClient(inboundId, { email: `${protocol}-anchor` });
      await target.client.createClient(
        newClient(target, `${protocol}-1`, { inboundId, protocol, flow: '' }),
        signal(),
      );
      const confirmed = await target.client.updateClient(
        email(`${protocol}-1`),
        { enable: false, expiryTimeMs: 0, totalBytes: 0, resetDays: 0, flow: '' },
        signal(),
      );
      expect(confirmed.isClientEnabled).toBe(false);
      expect(target.panel.inspectClient(`${protocol}-1`)?.password).toBe(
        protocol === 'vmess' ? '' : 'secret',
      );
    }
  });

  it('answers `empty client ID` when the path identity matches nothing', async () => {
    const { panel } = await fake({ generation: 'g1' }, 'token');
    const response = await raw(`${panel.url}panel/api/inbounds/updateClient/${randomUUID()}`, {
      method: 'POST',
      headers: { authorization: 'Bearer tok-secret-123', 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 1,
        settings: JSON.stringify({ clients: [{ id: randomUUID(), email: 'anchor' }] }),
      }),
    });
    expect(response.text).toContain('empty client ID');
  });
});

describe('§11.5 email uniqueness across inbounds', () => {
  it('refuses an email used on another inbound, case-insensitively (G1) and as `email already in use` (G2)', async () => {
    for (const generation of ['g1', 'g2'] as const) {
      const target = await fake({ generation });
      const other = asInboundId(target.panel.addInbound({ protocol: 'vless', port: 8443 }));
      const failure = await target.client
        .createClient(newClient(target, 'ANCHOR', { inboundId: other }), signal())
        .then(
          () => undefined,
          (thrown: unknown) => thrown,
        );
      expect(isDuplicateEmailError(failure)).toBe(true);
      expect(failure instanceof PanelRefusedError ? failure.panelMessage : '').toContain(
        generation === 'g1' ? 'Duplicate email' : 'email already in use',
      );
    }
  });

  it('treats one email on two inbounds as one identity on G2 and as a duplicate on G1', async () => {
    for (const generation of ['g1', 'g2'] as const) {
      const target = await fake({ generation });
      const other = target.panel.addInbound({ protocol: 'vless', port: 8443 });
      target.panel.attachClient('anchor', other);
      const observation = await target.client.observe(signal());
      expect(observation.clients.get(email('anchor'))?.inboundIds).toEqual([target.inboundId, other]);
      expect(observation.duplicateEmails).toEqual(generation === 'g1' ? ['anchor'] : []);
    }
  });
});

describe('§11.6 whole-object updates, surviving counters, forced enable on G2 add', () => {
  it('zeroes fields omitted from an update body (so a partial update would wipe subId, tgId, flow)', async () => {
    const { panel } = await fake({ generation: 'g2' }, 'token');
    const before = panel.inspectClient('anchor');
    const response = await raw(`${panel.url}panel/api/clients/update/anchor`, {
      method: 'POST',
      headers: { authorization: 'Bearer tok-secret-123', 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'anchor', enable: false }),
    });
    expect(response.text).toContain('"success":true');
    const after = panel.inspectClient('anchor');
    expect(after).toMatchObject({ flow: '', tgId: 0, comment: '', subId: before?.subId, uuid: before?.uuid });
  });

  it('refuses a G2 ClientRecord sent back as-is (numeric id), which the client maps first', async () => {
    const target = await fake({ generation: 'g2' }, 'token');
    const got = await raw(`${target.panel.url}panel/api/clients/get/anchor`, {
      headers: { authorization: 'Bearer tok-secret-123' },
    });
    const record = clientOf(JSON.parse(got.text));
    const response = await raw(`${target.panel.url}panel/api/clients/update/anchor`, {
      method: 'POST',
      headers: { authorization: 'Bearer tok-secret-123', 'content-type': 'application/json' },
      body: JSON.stringify(record),
    });
    expect(response.text).toContain('cannot unmarshal');
    const confirmed = await target.client.updateClient(
      email('anchor'),
      { enable: false, expiryTimeMs: 0, totalBytes: 0, resetDays: 0, flow: 'xtls-rprx-vision' },
      signal(),
    );
    expect(confirmed).toMatchObject({ isClientEnabled: false, flow: 'xtls-rprx-vision' });
  });

  it('keeps up/down across an update', async () => {
    for (const generation of ['g1', 'g2'] as const) {
      const target = await fake({ generation });
      target.panel.addTraffic('anchor', 1_000, 2_000);
      target.panel.runJob();
      const confirmed = await target.client.updateClient(
        email('anchor'),
        { enable: true, expiryTimeMs: 0, totalBytes: 10_000, resetDays: 0, flow: 'xtls-rprx-vision' },
        signal(),
      );
      expect(confirmed).toMatchObject({ upBytes: 1_000, downBytes: 2_000, totalBytes: 10_000 });
    }
  });

  it('ignores enable:false on G2 add, so the client disables right after creating', async () => {
    const target = await fake({ generation: 'g2' }, 'token');
    const response = await raw(`${target.panel.url}panel/api/clients/add`, {
      method: 'POST',
      headers: { authorization: 'Bearer tok-secret-123', 'content-type': 'application/json' },
      body: JSON.stringify({ client: { id: randomUUID(), email: 'naive', enable: false }, inboundIds: [1] }),
    });
    expect(response.text).toContain('"success":true');
    expect(target.panel.inspectClient('naive')?.enable).toBe(true);
    await target.client.detectGeneration(signal());
    target.panel.clearRequests();
    await target.client.createClient(newClient(target, 'careful', { enable: false }), signal());
    expect(target.panel.inspectClient('careful')?.enable).toBe(false);
    expect(target.panel.requests().map((request) => request.path)).toEqual([
      'panel/api/clients/add',
      'panel/api/clients/bulkDisable',
    ]);
  });
});

describe('§11.7 the traffic job', () => {
  it('on G1 (≤ v2.9.3) disables a depleted client only in its traffic row; the client reads it as off', async () => {
    const target = await fake({ generation: 'g1' });
    await target.client.createClient(newClient(target, 'quota', { totalBytes: 1_000 }), signal());
    target.panel.addTraffic('quota', 600, 600);
    target.panel.runJob();
    expect(target.panel.inspectClient('quota')).toMatchObject({ enable: true, trafficEnable: false });
    const observed = (await target.client.observe(signal())).clients.get(email('quota'));
    expect(observed).toMatchObject({
      isClientEnabled: true,
      isTrafficEnabled: false,
      isEffectivelyEnabled: false,
    });
    expect((await target.client.getClient(email('quota'), signal()))?.isEffectivelyEnabled).toBe(false);
  });

  it('on G2 disables an expired client everywhere, and undoes an enable that leaves it expired', async () => {
    const target = await fake({ generation: 'g2' });
    const past = Date.now() - 1_000;
    await target.client.createClient(newClient(target, 'late', { expiryTimeMs: past }), signal());
    target.panel.runJob();
    expect(target.panel.inspectClient('late')).toMatchObject({ enable: false, trafficEnable: false });
    await target.client.updateClient(
      email('late'),
      { enable: true, expiryTimeMs: past, totalBytes: 0, resetDays: 0, flow: '' },
      signal(),
    );
    target.panel.runJob();
    expect(target.panel.inspectClient('late')?.enable).toBe(false);
    await target.client.updateClient(
      email('late'),
      { enable: true, expiryTimeMs: Date.now() + DAY_MS, totalBytes: 0, resetDays: 0, flow: '' },
      signal(),
    );
    target.panel.runJob();
    expect((await target.client.getClient(email('late'), signal()))?.isEffectivelyEnabled).toBe(true);
  });

  it('converts a negative expiry into now + duration on first traffic', async () => {
    const target = await fake({ generation: 'g2' });
    await target.client.createClient(newClient(target, 'lazy', { expiryTimeMs: -7 * DAY_MS }), signal());
    target.panel.runJob();
    expect((await target.client.getClient(email('lazy'), signal()))?.expiryTimeMs).toBe(-7 * DAY_MS);
    target.panel.addTraffic('lazy', 10, 10);
    const before = Date.now();
    target.panel.runJob();
    const expiry = (await target.client.getClient(email('lazy'), signal()))?.expiryTimeMs ?? 0;
    expect(expiry).toBeGreaterThanOrEqual(before + 7 * DAY_MS);
    expect(expiry).toBeLessThan(before + 7 * DAY_MS + 60_000);
  });

  it('auto-renews a client with reset > 0 even when disabled; writing reset = 0 stops it', async () => {
    const target = await fake({ generation: 'g2' });
    target.panel.seedClient(target.inboundId, {
      email: 'renew',
      reset: 30,
      enable: false,
      expiryTime: Date.now() - 1_000,
    });
    target.panel.runJob();
    expect(target.panel.inspectClient('renew')?.enable).toBe(true);
    await target.client.updateClient(
      email('renew'),
      { enable: false, expiryTimeMs: Date.now() - 1_000, totalBytes: 0, resetDays: 0, flow: '' },
      signal(),
    );
    target.panel.runJob();
    expect(target.panel.inspectClient('renew')).toMatchObject({ enable: false, reset: 0 });
  });

  it('runs on its own timer', async () => {
    const target = await fake({ generation: 'g2', jobIntervalMs: 20 });
    await target.client.createClient(newClient(target, 'tick', { expiryTimeMs: Date.now() - 1 }), signal());
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(target.panel.inspectClient('tick')?.enable).toBe(false);
  });
});

describe('§11.8 resetTraffic re-enables; traffic of an unknown email is success with null', () => {
  it('re-enables a disabled client on G2 resetTraffic', async () => {
    const target = await fake({ generation: 'g2' }, 'token');
    await target.client.setEnabled([email('anchor')], false, signal());
    const response = await raw(`${target.panel.url}panel/api/clients/resetTraffic/anchor`, {
      method: 'POST',
      headers: { authorization: 'Bearer tok-secret-123' },
    });
    expect(response.text).toContain('"success":true');
    expect((await target.client.getClient(email('anchor'), signal()))?.isEffectivelyEnabled).toBe(true);
  });

  it('answers success:true obj:null for an unknown email, and the client still finds a client without a traffic row', async () => {
    const target = await fake({ generation: 'g2' }, 'token');
    const response = await raw(`${target.panel.url}panel/api/clients/traffic/ghost`, {
      headers: { authorization: 'Bearer tok-secret-123' },
    });
    expect(JSON.parse(response.text)).toEqual({ success: true, msg: '', obj: null });
    target.panel.model.traffic.delete('anchor');
    const observed = await target.client.getClient(email('anchor'), signal());
    expect(observed).toMatchObject({ email: 'anchor', isTrafficEnabled: true, upBytes: 0 });
  });
});

describe('§11.9 bulk endpoints', () => {
  it('uses one bulk call for 1,000 clients on G2 and 1 + N calls on G1', async () => {
    const counts: Record<string, number> = {};
    for (const generation of ['g1', 'g2'] as const) {
      const target = await fake({ generation });
      target.panel.seedClients(target.inboundId, 1_000, 'bulk-');
      const emails = Array.from({ length: 1_000 }, (_, i) => email(`bulk-${String(i)}`));
      const result = await target.client.setEnabled(emails, false, signal());
      expect(result.changed).toHaveLength(1_000);
      expect(target.panel.inspectClient('bulk-999')?.enable).toBe(false);
      counts[generation] = result.calls;
    }
    expect(counts).toEqual({ g1: 1_001, g2: 1 });
  });

  it('falls back to read-modify-write per client on G2 panels without bulk routes (v3.1–v3.4.0)', async () => {
    const target = await fake({ generation: 'g2', bulkEndpoints: false });
    target.panel.seedClients(target.inboundId, 3, 'old-');
    const result = await target.client.setEnabled(
      [email('old-0'), email('old-1'), email('ghost')],
      false,
      signal(),
    );
    expect(result.changed).toEqual(['old-0', 'old-1']);
    expect(result.skipped).toEqual([{ email: 'ghost', reason: 'client not found' }]);
    expect(result.calls).toBe(1 + 2 + 2 + 1);
    expect(target.panel.inspectClient('old-1')?.enable).toBe(false);
  });
});

describe('§11.10 login: always HTTP 200, lockout, sessions end on password change', () => {
  it('locks a username out after 5 failures, even for the right password', async () => {
    const { panel } = await fake({ generation: 'g1' });
    const login = (password: string): Promise<{ status: number; text: string }> =>
      raw(`${panel.url}login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: 'admin', password }).toString(),
      });
    for (let i = 0; i < 5; i++) {
      expect(await login('wrong')).toMatchObject({ status: 200 });
    }
    const locked = await login('correct horse');
    expect(locked.status).toBe(200);
    expect(locked.text).toContain('"success":false');
  });

  it('backs off after a refused login instead of feeding the lockout', async () => {
    const { panel } = await fake({ generation: 'g2' });
    const client = createPanelClient(
      connectionTo(panel, { kind: 'password', username: 'admin', password: 'wrong' }),
      testClientOptions(),
    );
    await expect(client.observe(signal())).rejects.toMatchObject({ kind: 'auth', reason: 'login-rejected' });
    for (let i = 0; i < 5; i++) {
      await expect(client.observe(signal())).rejects.toMatchObject({
        kind: 'auth',
        reason: 'login-backoff',
        retryable: true,
      });
    }
    expect(panel.requests().filter((request) => request.path === 'login')).toHaveLength(1);
    await client.close();
  });

  it('invalidates sessions on a password change: the client re-logs in, or fails if its password is old', async () => {
    const target = await fake({ generation: 'g2' });
    await target.client.observe(signal());
    target.panel.setCredentials('admin', 'correct horse');
    expect((await target.client.observe(signal())).clients.size).toBe(1);
    target.panel.setCredentials('admin', 'new password');
    await expect(target.client.observe(signal())).rejects.toMatchObject({
      kind: 'auth',
      reason: 'login-rejected',
    });
  });

  it('uses a Bearer token without logging in, and reports a rejected token as an auth error', async () => {
    const target = await fake({ generation: 'g2' }, 'token');
    await target.client.observe(signal());
    expect(target.panel.requests().some((request) => request.path === 'login')).toBe(false);
    const client = createPanelClient(
      connectionTo(target.panel, { kind: 'token', token: 'nope' }),
      testClientOptions(),
    );
    await expect(client.observe(signal())).rejects.toMatchObject({ kind: 'auth', reason: 'token-rejected' });
    await client.close();
  });
});

describe('§9 concurrency', () => {
  it('keeps one mutation in flight per panel, so G1 cannot lose concurrent writes to one inbound', async () => {
    const target = await fake({ generation: 'g1', latencyMs: 5 });
    target.panel.seedClients(target.inboundId, 3, 'c-');
    await target.client.detectGeneration(signal());
    target.panel.clearRequests();
    const fields = { enable: false, expiryTimeMs: 0, totalBytes: 0, resetDays: 0, flow: '' };
    await Promise.all(
      [0, 1, 2].map((i) => target.client.updateClient(email(`c-${String(i)}`), fields, signal())),
    );
    const updates = target.panel.requests().map((request) => request.path.split('/').slice(0, 4).join('/'));
    // Each update is traffic → inbound → updateClient → traffic; serialised, the blocks never interleave.
    const block = [
      'panel/api/inbounds/getClientTraffics',
      'panel/api/inbounds/get',
      'panel/api/inbounds/updateClient',
      'panel/api/inbounds/getClientTraffics',
    ];
    expect(updates).toEqual([...block, ...block, ...block]);
    expect([0, 1, 2].map((i) => target.panel.inspectClient(`c-${String(i)}`)?.enable)).toEqual([
      false,
      false,
      false,
    ]);
  });
});

describe('generation hint and faults', () => {
  it('re-probes when the recorded generation is wrong', async () => {
    const { panel } = await fake({ generation: 'g2' });
    const client = createPanelClient(
      connectionTo(
        panel,
        { kind: 'password', username: 'admin', password: 'correct horse' },
        { apiGeneration: 'g1' },
      ),
      testClientOptions(),
    );
    await client.setEnabled([email('anchor')], false, signal());
    expect(panel.inspectClient('anchor')?.enable).toBe(false);
    expect(await client.detectGeneration(signal())).toBe('g2');
    await client.close();
  });

  it('turns a panel that is down, slow, failing or garbled into typed errors, never an empty observation', async () => {
    const target = await fake({ generation: 'g2' }, 'password', { timeoutMs: 300 });
    await target.client.observe(signal());
    const cases = [
      [{ kind: 'down', mode: 'destroy' }, 'transport'],
      [{ kind: 'slow', delayMs: 1_000 }, 'timeout'],
      [{ kind: 'hang' }, 'timeout'],
      [{ kind: 'status', status: 502 }, 'refused'],
      [{ kind: 'malformed-json' }, 'unparseable'],
      [{ kind: 'refused', text: 'database is locked' }, 'refused'],
      [{ kind: 'html' }, 'auth'],
    ] as const;
    for (const [fault, kind] of cases) {
      await target.panel.setFault(fault, { pathIncludes: 'inbounds/list' });
      await expect(target.client.observe(signal()), fault.kind).rejects.toMatchObject({ kind });
      await target.panel.clearFault();
    }
    await target.panel.setFault({ kind: 'down', mode: 'refuse' });
    await expect(target.client.observe(signal())).rejects.toMatchObject({
      kind: 'transport',
      retryable: true,
    });
    await target.panel.clearFault();
    expect((await target.client.observe(signal())).clients.size).toBe(1);
  });

  it('G1 failing with success:false still answers 404 on the G2 routes, so it is never taken for G2', async () => {
    const target = await fake({ generation: 'g1' });
    await target.panel.setFault({ kind: 'refused', text: 'database is locked' });
    // gin 404s a route G1 does not have before any handler runs: the G2 probe still says "not G2".
    expect(await target.client.detectGeneration(signal())).toBe('g1');
    await target.panel.clearFault();
    expect(await target.client.observe(signal())).toBeDefined();
  });

  it('G1: a write that lands late saves its inbound from the copy it read on arrival, so a client added meanwhile vanishes', async () => {
    // 3x-ui v2.8.0 UpdateInboundClient: GetInbound, … Xray API, tx.Save(oldInbound) (issue 11, item 2).
    const target = await fake({ generation: 'g1' }, 'password', { timeoutMs: 300 });
    await target.client.createClient(newClient(target, 'late'), signal());
    await target.client.createClient(newClient(target, 'changed', { enable: false }), signal());
    await target.panel.setFault({ kind: 'slow', delayMs: 900 }, { pathIncludes: 'updateClient', times: 1 });
    const fields = { enable: false, expiryTimeMs: 0, totalBytes: 0, resetDays: 0, flow: 'xtls-rprx-vision' };
    await expect(target.client.updateClient(email('late'), fields, signal())).rejects.toMatchObject({
      kind: 'timeout',
    });
    // While the abandoned write is still running in the panel: one client added, one changed.
    await target.client.createClient(newClient(target, 'added'), signal());
    await target.client.updateClient(email('changed'), { ...fields, enable: true }, signal());
    expect(target.panel.inspectClient('added')).toBeDefined();

    await new Promise((resolve) => setTimeout(resolve, 900));
    const observed = await target.client.observe(signal());
    expect(observed.clients.get(email('late'))?.isClientEnabled).toBe(false);
    expect(observed.clients.has(email('added'))).toBe(false);
    expect(observed.clients.get(email('changed'))?.isClientEnabled).toBe(false);
    expect(observed.clients.has(email('anchor'))).toBe(true);
    // The vanished client can be added again (its traffic row stayed; 3x-ui's AddClientStat fails on it).
    await target.client.createClient(newClient(target, 'added'), signal());
    expect(target.panel.inspectClient('added')?.enable).toBe(true);
  });
});
