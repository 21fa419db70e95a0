/**
 * The behaviours that differ between 3x-ui releases (issue 13), one block each, run on every version
 * profile of the simulator (v2.8.0, v2.9, v3.6, main). Each test pins what the profile's panel does
 * (so a client written for another release would trip over it) and that our client copes.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  asClientEmail,
  asInboundId,
  computeDesired,
  diffKey,
  type ObservedInbound,
} from '../../src/domain/index.ts';
import type { NewClient } from '../../src/reconciler/ports.ts';
import { createPanelClient, PanelAuthError } from '../../src/xui/index.ts';
import {
  PROFILE_TRAITS,
  VERSION_PROFILES,
  type SimulatedPanel,
  type VersionProfile,
} from '../../src/simulator/index.ts';
import { keyRecord, POLICY } from '../support/core-builders.ts';
import { connectionTo, startFake, testClientOptions, type ContractTarget } from './targets.ts';

const signal = (): AbortSignal => AbortSignal.timeout(10_000);
const open: ContractTarget[] = [];
const DAY_MS = 86_400_000;

async function fake(profile: VersionProfile): Promise<ContractTarget & { panel: SimulatedPanel }> {
  const target = await startFake({ profile });
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

function newClient(inboundId: number, overrides: Partial<NewClient> = {}): NewClient {
  return {
    email: asClientEmail(`kwtest-${randomBytes(4).toString('hex')}`),
    inboundId: asInboundId(inboundId),
    protocol: 'vless',
    uuid: randomUUID(),
    secret: 'secret',
    subId: randomBytes(6).toString('hex'),
    tgId: 42,
    comment: 'note',
    enable: true,
    expiryTimeMs: Date.now() + 30 * DAY_MS,
    totalBytes: 0,
    resetDays: 0,
    flow: 'xtls-rprx-vision',
    ...overrides,
  };
}

/** Logs in as the panel's own UI does (CSRF token first where the release has one); the login answer. */
async function uiLogin(panel: SimulatedPanel): Promise<Response> {
  const csrf = await fetch(`${panel.url}csrf-token`, { redirect: 'manual' });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (csrf.status === 200) {
    headers.cookie = (csrf.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    headers['x-csrf-token'] = ((await csrf.json()) as { obj: string }).obj;
  }
  return fetch(`${panel.url}login`, {
    method: 'POST',
    headers,
    body: 'username=admin&password=correct+horse',
    redirect: 'manual',
  });
}

async function rawGet(panel: SimulatedPanel, path: string): Promise<{ status: number; body: unknown }> {
  // A logged-in cookie session, as the panel's own UI has (the client under test is not used).
  const login = await uiLogin(panel);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const response = await fetch(`${panel.url}${path}`, { headers: { cookie, accept: 'application/json' } });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : (JSON.parse(text) as unknown) };
}

describe.each(VERSION_PROFILES)('3x-ui %s', (profile) => {
  const traits = PROFILE_TRAITS[profile];

  it('locates, reads and deletes around an absent client (G1 getClientTraffics refuses it from v2.8.1)', async () => {
    const target = await fake(profile);
    const absent = asClientEmail(`kwtest-absent-${randomBytes(3).toString('hex')}`);
    if (traits.generation === 'g1') {
      const answer = await rawGet(target.panel, `panel/api/inbounds/getClientTraffics/${absent}`);
      // The simulator reproduces the release: obj null up to v2.8.0, a localized success:false after.
      expect(answer.body).toMatchObject(
        traits.absentTraffic === 'null' ? { success: true, obj: null } : { success: false },
      );
    }
    expect(await target.client.getClient(absent, signal())).toBeNull();
    await expect(target.client.deleteClient(absent, signal())).resolves.toBeUndefined();
    // A present client is still found (and deleted) through the same route.
    const client = newClient(target.inboundId);
    await target.client.createClient(client, signal());
    expect((await target.client.getClient(client.email, signal()))?.email).toBe(client.email);
    await target.client.deleteClient(client.email, signal());
    expect(target.panel.inspectClient(client.email)).toBeUndefined();
  });

  it('does not fight the panel over a flow it clears on an inbound that cannot use XTLS', async () => {
    const target = await fake(profile);
    const wsInbound = target.panel.addInbound({
      protocol: 'vless',
      streamSettings: { network: 'ws', security: 'none', wsSettings: { path: '/ws' } },
    });
    const client = newClient(wsInbound);
    await target.client.createClient(client, signal());
    const created = await target.client.getClient(client.email, signal());
    // v3.3.0+ stores no flow there (clientWithInboundFlow); G1 stores what it is sent.
    expect(created?.flow).toBe(traits.flowGate === 'none' ? 'xtls-rprx-vision' : '');

    const observation = await target.client.observe(signal());
    const inbound: ObservedInbound | undefined = observation.inbounds.find((item) => item.id === wsInbound);
    const key = keyRecord(1, {
      email: client.email,
      inboundId: asInboundId(wsInbound),
      clientUuid: client.uuid,
      flow: 'xtls-rprx-vision',
      isEntitled: true,
      entitledUntilMs: client.expiryTimeMs,
    });
    const desired = computeDesired(key, POLICY, 0, inbound ?? null);
    expect(desired.kind === 'enabled' ? desired.fields.flow : undefined).toBe('');
    if (desired.kind !== 'enabled') {
      return;
    }
    const confirmed = await target.client.updateClient(client.email, desired.fields, signal());
    // After one write the key is converged: no flow-mismatch left to re-apply on the next pass.
    expect(diffKey(desired, confirmed, inbound ?? null)).not.toContain('flow-mismatch');
    // On a TLS/Reality inbound the flow is kept everywhere.
    const reality = newClient(target.inboundId);
    await target.client.createClient(reality, signal());
    expect((await target.client.getClient(reality.email, signal()))?.flow).toBe('xtls-rprx-vision');
  });

  it('sends back every field it read and pins what would let the panel renew a managed client', async () => {
    const target = await fake(profile);
    const client = newClient(target.inboundId, { comment: 'keep me', tgId: 777 });
    await target.client.createClient(client, signal());
    if (traits.hasCycleFields) {
      // An admin set the main / 3.7+ knobs by hand in the panel.
      target.panel.editClient(client.email, {
        limitHwid: 3,
        resetDay: 5,
        resetMax: 2,
        trafficReset: 'daily',
        trafficResetDay: 7,
      });
    }
    const before = await target.client.getClient(client.email, signal());
    expect(before?.hasPanelRenewal).toBe(traits.hasCycleFields);

    const confirmed = await target.client.updateClient(
      client.email,
      {
        enable: false,
        expiryTimeMs: client.expiryTimeMs,
        totalBytes: 5 * 1024 ** 3,
        resetDays: 0,
        flow: client.flow,
      },
      signal(),
    );
    expect(confirmed).toMatchObject({
      isClientEnabled: false,
      comment: 'keep me',
      tgId: 777,
      hasPanelRenewal: false,
    });
    const stored = target.panel.inspectClient(client.email);
    expect(stored).toMatchObject({
      comment: 'keep me',
      tgId: 777,
      subId: client.subId,
      uuid: client.uuid,
      reset: 0,
    });
    if (traits.hasCycleFields) {
      // Pinned: no calendar renew, no traffic reset cycle; the rest as the admin left it.
      expect(stored).toMatchObject({
        resetDay: 0,
        trafficReset: 'never',
        limitHwid: 3,
        resetMax: 2,
        trafficResetDay: 7,
      });
      expect(target.panel.runTrafficResetCycle('daily')).toEqual([]);
      expect(target.panel.inspectClient(client.email)?.enable).toBe(false);
    }
  });

  it('says which token problem it is, never "panel down"', async () => {
    const target = await fake(profile);
    const connect = (token: string): ReturnType<typeof createPanelClient> =>
      createPanelClient(connectionTo(target.panel, { kind: 'token', token }), testClientOptions());
    // startFake's panel accepts `tok-secret-123` (admin) on v3 panels; G1 releases have no tokens.
    const unknown = connect('tok-expired-or-never-issued');
    const refused = await unknown.observe(signal()).catch((thrown: unknown) => thrown);
    await unknown.close();
    expect(refused).toBeInstanceOf(PanelAuthError);
    expect(refused).toMatchObject({ reason: 'token-rejected' });
    expect((refused as Error).message).toContain('token expired or revoked');
    const admin = connect('tok-secret-123');
    if (!traits.hasApiTokens) {
      // v2 panels have no API tokens (v3.0.0+): even the token a v3 panel would take is no auth at all.
      await expect(admin.observe(signal())).rejects.toMatchObject({ kind: 'auth', reason: 'token-rejected' });
      await admin.close();
      return;
    }
    expect((await admin.observe(signal())).generation).toBe('g2');
    await admin.close();
  });

  it('reads a client the depletion job disabled as off (v2.8.1–v2.8.11 getClientTraffics reports the settings flag)', async () => {
    const target = await fake(profile);
    const client = newClient(target.inboundId, { totalBytes: 1_000 });
    await target.client.createClient(client, signal());
    target.panel.addTraffic(client.email, 600, 600);
    target.panel.runJob();
    // Up to v2.9.3 the job clears only the traffic row; from v2.9.4 every copy (§8).
    expect(target.panel.inspectClient(client.email)).toMatchObject({
      trafficEnable: false,
      enable: traits.depletionStyle !== 'everywhere',
    });
    if (traits.generation === 'g1') {
      const answer = await rawGet(target.panel, `panel/api/inbounds/getClientTraffics/${client.email}`);
      expect(answer.body).toMatchObject({
        success: true,
        // v2.8.1–v2.8.11 report the settings flag, which the job left on (the row says off).
        obj: { enable: traits.trafficEnable === 'settings' },
      });
    }
    const observed = await target.client.getClient(client.email, signal());
    expect(observed).toMatchObject({ isTrafficEnabled: false, isEffectivelyEnabled: false });
    expect((await target.client.observe(signal())).clients.get(client.email)?.isEffectivelyEnabled).toBe(
      false,
    );
  });

  it('answers traffic rows and the session cookie in the shape of the release', async () => {
    const target = await fake(profile);
    const path =
      traits.generation === 'g1'
        ? 'panel/api/inbounds/getClientTraffics/anchor'
        : 'panel/api/clients/traffic/anchor';
    const row = (await rawGet(target.panel, path)).body as { obj: Record<string, unknown> };
    // uuid/subId are filled in at read time from v2.8.1/v2.8.3; v2.8.0's rows have neither key (§4.4, §6.2).
    expect('uuid' in row.obj && 'subId' in row.obj).toBe(traits.hasTrafficIdentity);
    const login = await uiLogin(target.panel);
    const cookie = login.headers.get('set-cookie') ?? '';
    // §2.3: `3x-ui`, 360 minutes, HttpOnly, Lax; path `/` in v2, the base path in v3.
    expect(cookie).toMatch(/^3x-ui=[^;]+; /);
    expect(cookie).toContain('Max-Age=21600; HttpOnly; SameSite=Lax');
    expect(cookie).toContain(
      `Path=${traits.cookiePath === 'root' ? '/' : new URL(target.panel.url).pathname};`,
    );
    // And the client, which ignores the cookie path, still reads through it (v2.8.0 rows without uuid too).
    expect((await target.client.getClient(asClientEmail('anchor'), signal()))?.email).toBe('anchor');
  });

  it('reads the panel version where the API reports it and judges it against the tested range', async () => {
    const target = await fake(profile);
    const info = await target.client.readVersion(signal());
    expect(info.panelVersion).toBe(traits.panelVersion ?? null);
    // Every profile is a build read from source, so a version it reports is in the tested range.
    expect(info.isTested).toBe(traits.panelVersion === undefined ? null : true);
  });
});

describe('3x-ui main: scoped and expiring API tokens (§2.5)', () => {
  async function scoped(): Promise<SimulatedPanel> {
    const target = await startFake({
      profile: 'main',
      tokens: [
        { token: 'tok-monitor', scope: 'monitor' },
        { token: 'tok-sync', scope: 'node-sync' },
        { token: 'tok-old', scope: 'admin', expiresAtMs: Date.now() - 1_000 },
      ],
    });
    open.push(target);
    return target.panel!;
  }

  it('reports a token outside its scope as "token lacks the admin scope" (403 JSON envelope)', async () => {
    const panel = await scoped();
    const monitor = createPanelClient(
      connectionTo(panel, { kind: 'token', token: 'tok-monitor' }),
      testClientOptions(),
    );
    const failure = await monitor.observe(signal()).catch((thrown: unknown) => thrown);
    expect(failure).toMatchObject({ kind: 'auth', reason: 'token-scope', status: 403 });
    expect((failure as Error).message).toContain('token lacks the admin scope');
    // The monitor scope may read server status: the version is still known.
    expect((await monitor.readVersion(signal())).panelVersion).toBe('dev+02002dc1');
    await monitor.close();

    const sync = createPanelClient(
      connectionTo(panel, { kind: 'token', token: 'tok-sync' }, { apiGeneration: 'g2' }),
      testClientOptions(),
    );
    // node-sync may list inbounds but not read one client (clients/get is outside its allowlist).
    expect((await sync.observe(signal())).inbounds.length).toBe(1);
    await expect(sync.getClient(asClientEmail('anchor'), signal())).rejects.toMatchObject({
      reason: 'token-scope',
    });
    await sync.close();
  });

  it('reports an expired token as "token expired or revoked" (it falls back to the session check)', async () => {
    const panel = await scoped();
    const old = createPanelClient(
      connectionTo(panel, { kind: 'token', token: 'tok-old' }),
      testClientOptions(),
    );
    const failure = await old.observe(signal()).catch((thrown: unknown) => thrown);
    expect(failure).toMatchObject({ kind: 'auth', reason: 'token-rejected', status: 401 });
    expect((failure as Error).message).toContain('token expired or revoked');
    await old.close();
  });
});
