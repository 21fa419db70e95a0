/**
 * The contract suite's cleanup (test-clients.ts), proven against the simulator: a test that fails
 * midway, a create whose answer never came, and a delete that fails still leave no `kwtest-` client
 * this run made — which is what keeps a run against a real panel (XUI_TEST_*) from leaving live clients.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientEmail } from '../../src/domain/ids.ts';
import type { NewClient } from '../../src/reconciler/ports.ts';
import { VERSION_PROFILES, type VersionProfile } from '../../src/simulator/index.ts';
import { startFake, type ContractTarget } from './targets.ts';
import {
  cleanupTestClients,
  createTestClientTracker,
  leftoverError,
  TEST_CLIENT_PREFIX,
  type TestClientTracker,
} from './test-clients.ts';

const open: ContractTarget[] = [];

afterEach(async () => {
  for (const target of open.splice(0)) {
    await target.close();
  }
});

async function fake(profile: VersionProfile, timeoutMs = 5_000): Promise<ContractTarget> {
  const target = await startFake({ profile }, 'password', { timeoutMs });
  open.push(target);
  return target;
}

function newClient(target: ContractTarget, email: ClientEmail): NewClient {
  return {
    email,
    inboundId: target.inboundId,
    protocol: 'vless',
    uuid: randomUUID(),
    secret: 'secret',
    subId: randomUUID(),
    tgId: 0,
    comment: 'keywarden contract test',
    enable: true,
    expiryTimeMs: 0,
    totalBytes: 0,
    resetDays: 0,
    flow: '',
  };
}

/** The `kwtest-` clients the simulated panel holds. */
function testClientsOn(target: ContractTarget): string[] {
  return [...(target.panel?.model.clients.values() ?? [])]
    .map((client) => client.email)
    .filter((email) => email.startsWith(TEST_CLIENT_PREFIX));
}

/** A contract test that creates clients and then fails before cleaning up after itself. */
async function failingTest(target: ContractTarget, tracker: TestClientTracker): Promise<void> {
  await target.client.createClient(newClient(target, tracker.newEmail()), AbortSignal.timeout(5_000));
  await target.client.createClient(newClient(target, tracker.newEmail()), AbortSignal.timeout(5_000));
  throw new Error('assertion failed midway');
}

describe.each(VERSION_PROFILES)('contract cleanup on 3x-ui %s', (profile) => {
  it('deletes every client a test made before it failed midway, and confirms each is gone', async () => {
    const target = await fake(profile);
    const tracker = createTestClientTracker();
    await expect(failingTest(target, tracker)).rejects.toThrow('assertion failed midway');
    expect(testClientsOn(target)).toHaveLength(2);
    expect(await cleanupTestClients(target.client, tracker)).toEqual([]);
    expect(testClientsOn(target)).toEqual([]);
    expect(tracker.pending()).toEqual([]);
  });

  it('deletes a client whose create timed out but landed on the panel later', async () => {
    const target = await fake(profile, 150);
    const tracker = createTestClientTracker();
    await target.panel?.setFault({ kind: 'slow', delayMs: 400 }, { pathIncludes: 'dd', times: 1 });
    const email = tracker.newEmail();
    await expect(
      target.client.createClient(newClient(target, email), AbortSignal.timeout(5_000)),
    ).rejects.toMatchObject({ kind: 'timeout' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(testClientsOn(target)).toEqual([email]);
    expect(await cleanupTestClients(target.client, tracker)).toEqual([]);
    expect(testClientsOn(target)).toEqual([]);
  });
});

describe('contract cleanup when deletes fail', () => {
  it('retries a delete that failed once, reports one that keeps failing without throwing, and leaves others alone', async () => {
    const target = await fake('v3.6');
    const panel = target.panel;
    if (panel === undefined) {
      throw new Error('expected a simulated panel');
    }
    // Another run's test client on a shared panel: not this run's to delete.
    panel.seedClient(target.inboundId, { email: `${TEST_CLIENT_PREFIX}other-run` });
    const tracker = createTestClientTracker();
    const first = tracker.newEmail();
    await target.client.createClient(newClient(target, first), AbortSignal.timeout(5_000));
    await panel.setFault({ kind: 'refused', text: 'database is locked' }, { pathIncludes: 'del', times: 1 });
    expect(await cleanupTestClients(target.client, tracker)).toEqual([]);
    expect(panel.inspectClient(first)).toBeUndefined();

    const stuck = tracker.newEmail();
    await target.client.createClient(newClient(target, stuck), AbortSignal.timeout(5_000));
    await panel.setFault({ kind: 'refused', text: 'database is locked' }, { pathIncludes: 'del' });
    const leftovers = await cleanupTestClients(target.client, tracker);
    expect(leftovers).toEqual([
      expect.stringMatching(new RegExp(`^${stuck}: still on the panel \\(.*database is locked`)),
    ]);
    expect(leftoverError(leftovers).message).toContain(stuck);
    // It stays recorded, so a later cleanup (after the panel recovers) still removes it.
    expect(tracker.pending()).toEqual([stuck]);
    await panel.clearFault();
    expect(await cleanupTestClients(target.client, tracker)).toEqual([]);
    expect(testClientsOn(target)).toEqual([`${TEST_CLIENT_PREFIX}other-run`]);
  });
});
