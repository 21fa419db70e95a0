/**
 * The PanelClient contract: one suite, run against simulated G1 and G2 panels and, when configured,
 * against a real 3x-ui panel (only `kwtest-` clients are created there; every one is deleted in
 * afterAll even when a test failed, see test-clients.ts; how to run it: docs/xui-compat.md).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asClientEmail } from '../../src/domain/ids.ts';
import type { NewClient } from '../../src/reconciler/ports.ts';
import { VERSION_PROFILES } from '../../src/simulator/index.ts';
import { isDuplicateEmailError } from '../../src/xui/index.ts';
import { realTargetFromEnv, startFake, type ContractTarget, type TargetSpec } from './targets.ts';
import { cleanupTestClients, createTestClientTracker, leftoverError } from './test-clients.ts';

const targets: TargetSpec[] = [
  { name: 'simulated g1', start: () => startFake({ generation: 'g1' }) },
  {
    name: 'simulated g1 (v2.0–v2.8.3: redirects)',
    start: () => startFake({ generation: 'g1', unauthorized: 'redirect' }),
  },
  { name: 'simulated g1 (v3.0: CSRF)', start: () => startFake({ generation: 'g1', csrf: true }) },
  { name: 'simulated g2', start: () => startFake({ generation: 'g2' }) },
  { name: 'simulated g2 (token)', start: () => startFake({ generation: 'g2' }, 'token') },
  {
    name: 'simulated g2 (v3.1–v3.4.0: no bulk routes)',
    start: () => startFake({ generation: 'g2', bulkEndpoints: false }),
  },
  // The release profiles (src/simulator/profiles.ts); tests/contract/versions.test.ts covers what differs.
  ...VERSION_PROFILES.map((profile) => ({
    name: `simulated ${profile}`,
    start: () => startFake({ profile }),
  })),
];
const real = realTargetFromEnv(process.env);
if (typeof real === 'string') {
  console.info(`contract suite: simulated panels only (${real})`);
} else {
  targets.push(real);
}

const DAY_MS = 86_400_000;

describe.each(targets)('PanelClient contract against $name', (spec) => {
  let target: ContractTarget | undefined;
  let protocol = 'vless';
  const created = createTestClientTracker();
  const signal = (): AbortSignal => AbortSignal.timeout(20_000);
  const panel = (): ContractTarget => {
    if (target === undefined) {
      throw new Error(`${spec.name} did not start`);
    }
    return target;
  };

  function newClient(overrides: Partial<NewClient> = {}): NewClient {
    const email = created.newEmail();
    return {
      email,
      inboundId: panel().inboundId,
      protocol,
      uuid: randomUUID(),
      secret: randomBytes(16).toString('base64'),
      subId: randomBytes(8).toString('hex'),
      tgId: 123456789,
      comment: 'keywarden contract test',
      enable: true,
      expiryTimeMs: Date.now() + 30 * DAY_MS,
      totalBytes: 50 * 1024 ** 3,
      resetDays: 0,
      flow: protocol === 'vless' ? 'xtls-rprx-vision' : '',
      ...overrides,
    };
  }

  beforeAll(async () => {
    target = await spec.start();
    const observation = await target.client.observe(signal());
    const inbound = observation.inbounds.find((item) => item.id === target?.inboundId);
    if (inbound === undefined) {
      throw new Error(`inbound ${String(target.inboundId)} not found on ${spec.name}`);
    }
    protocol = inbound.protocol;
  });

  // Every `kwtest-` client this run recorded is deleted and confirmed gone, even when a test (or one
  // delete) failed; the panel is closed in `finally` whatever happens. Leftovers fail the suite with
  // their emails, so they can be deleted by hand.
  afterAll(async () => {
    if (target === undefined) {
      return;
    }
    let leftovers: string[];
    try {
      leftovers = await cleanupTestClients(target.client, created);
    } finally {
      await target.close();
    }
    if (leftovers.length > 0) {
      throw leftoverError(leftovers);
    }
  });

  it('detects the API generation the panel speaks', async () => {
    const generation = await panel().client.detectGeneration(signal());
    expect(['g1', 'g2']).toContain(generation);
    const simulated = panel().panel;
    if (simulated !== undefined) {
      expect(generation).toBe(simulated.generation);
    }
  });

  it('observes inbounds with what a connection link needs', async () => {
    const observation = await panel().client.observe(signal());
    const inbound = observation.inbounds.find((item) => item.id === panel().inboundId);
    expect(inbound?.port).toBeGreaterThan(0);
    expect(inbound?.streamSettings).toHaveProperty('network');
    expect(inbound?.settings).not.toHaveProperty('clients');
  });

  it('creates an enabled client that reads back with its identity and managed fields', async () => {
    const client = newClient();
    await panel().client.createClient(client, signal());
    const observed = await panel().client.getClient(client.email, signal());
    expect(observed).toMatchObject({
      email: client.email,
      inboundIds: [panel().inboundId],
      isClientEnabled: true,
      isEffectivelyEnabled: true,
      expiryTimeMs: client.expiryTimeMs,
      totalBytes: client.totalBytes,
      resetDays: 0,
      subId: client.subId,
      tgId: client.tgId,
      comment: client.comment,
    });
    if (protocol === 'vless' || protocol === 'vmess') {
      expect(observed?.uuid).toBe(client.uuid);
    }
    const observation = await panel().client.observe(signal());
    expect(observation.clients.get(client.email)?.isEffectivelyEnabled).toBe(true);
  });

  it('creates a disabled client disabled, although G2 forces enable on add (§7.1)', async () => {
    const client = newClient({ enable: false });
    await panel().client.createClient(client, signal());
    const observed = await panel().client.getClient(client.email, signal());
    expect(observed?.isClientEnabled).toBe(false);
    expect(observed?.isEffectivelyEnabled).toBe(false);
  });

  it('refuses a second client with the same email, matched by substring (§4.2, §3)', async () => {
    const client = newClient();
    await panel().client.createClient(client, signal());
    const twin = { ...newClient(), email: client.email, subId: randomBytes(8).toString('hex') };
    const failure = await panel()
      .client.createClient(twin, signal())
      .then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
    expect(isDuplicateEmailError(failure)).toBe(true);
  });

  it('updates managed fields by read-modify-write, keeping every other field (§7.1)', async () => {
    const client = newClient();
    await panel().client.createClient(client, signal());
    const expiry = Date.now() + 60 * DAY_MS;
    const confirmed = await panel().client.updateClient(
      client.email,
      { enable: false, expiryTimeMs: expiry, totalBytes: 7 * 1024 ** 3, resetDays: 0, flow: client.flow },
      signal(),
    );
    expect(confirmed).toMatchObject({
      isClientEnabled: false,
      isEffectivelyEnabled: false,
      expiryTimeMs: expiry,
      totalBytes: 7 * 1024 ** 3,
      subId: client.subId,
      tgId: client.tgId,
      comment: client.comment,
      flow: client.flow,
    });
    if (protocol === 'vless' || protocol === 'vmess') {
      expect(confirmed.uuid).toBe(client.uuid);
    }
    const again = await panel().client.updateClient(
      client.email,
      { enable: true, expiryTimeMs: expiry, totalBytes: 0, resetDays: 0, flow: client.flow },
      signal(),
    );
    expect(again.isEffectivelyEnabled).toBe(true);
    expect(again.subId).toBe(client.subId);
  });

  it('bulk-disables known clients and reports unknown ones as skipped, not as an error (§5)', async () => {
    const first = newClient();
    const second = newClient();
    await panel().client.createClient(first, signal());
    await panel().client.createClient(second, signal());
    const missing = asClientEmail(`kwtest-missing-${randomBytes(4).toString('hex')}`);
    const result = await panel().client.setEnabled([first.email, second.email, missing], false, signal());
    expect([...result.changed].sort()).toEqual([first.email, second.email].sort());
    expect(result.skipped.map((item) => item.email)).toEqual([missing]);
    expect(result.calls).toBeGreaterThan(0);
    expect((await panel().client.getClient(first.email, signal()))?.isClientEnabled).toBe(false);
    const enabled = await panel().client.setEnabled([first.email], true, signal());
    expect(enabled.changed).toEqual([first.email]);
    expect((await panel().client.getClient(first.email, signal()))?.isEffectivelyEnabled).toBe(true);
  });

  it('answers null for a client the panel does not have', async () => {
    const email = asClientEmail(`kwtest-absent-${randomBytes(4).toString('hex')}`);
    expect(await panel().client.getClient(email, signal())).toBeNull();
  });

  it('deletes a client', async () => {
    const client = newClient();
    await panel().client.createClient(client, signal());
    await panel().client.deleteClient(client.email, signal());
    created.forget(client.email);
    expect(await panel().client.getClient(client.email, signal())).toBeNull();
  });
});
