import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedPanel, type SimulatedPanel } from '../../../src/simulator/index.ts';
import { runCliAgainst } from '../../support/cli.ts';
import { useTestDatabase } from '../../support/database.ts';

const database = useTestDatabase();

const cli = (args: string[], env: Record<string, string> = {}): ReturnType<typeof runCliAgainst> =>
  runCliAgainst(database().url, args, { KEYWARDEN_LOG_LEVEL: 'error', ...env });

describe('admin CLI against a simulated G2 panel', () => {
  let sim: SimulatedPanel;
  let inboundId: number;
  beforeAll(async () => {
    sim = await startSimulatedPanel({ generation: 'g2', token: 'cli-token', jobIntervalMs: 0 });
    inboundId = sim.addInbound({
      protocol: 'vless',
      port: 443,
      streamSettings: { network: 'tcp', security: 'reality' },
    });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('adds a panel with the token from the environment and lists it without the secret', async () => {
    const added = await cli(['panels', 'add', '--name', 'edge-1', '--url', sim.url], {
      KEYWARDEN_PANEL_TOKEN: 'cli-token',
    });
    expect(added).toMatchObject({ code: 0 });
    const listed = await cli(['panels', 'list', '--json']);
    expect(JSON.parse(listed.out)).toMatchObject([{ name: 'edge-1', auth_kind: 'token' }]);
    expect(listed.out).not.toContain('cli-token');
  });

  it('grants, issues a key, plans its creation, creates it once, reports status, and disables it on revoke', async () => {
    expect((await cli(['grant', '--telegram-id', '4242', '--for', '30d'])).code).toBe(0);
    const issued = await cli([
      'keys',
      'issue',
      '--telegram-id',
      '4242',
      '--panel',
      'edge-1',
      '--inbound',
      String(inboundId),
    ]);
    expect(issued.code).toBe(0);
    const [, keyId, email] = /^key (\d+) email (\S+)$/m.exec(issued.out) ?? [];
    expect(email).toBeDefined();

    const plan = await cli(['plan', '--json']);
    expect(plan.code).toBe(0);
    expect(
      (JSON.parse(plan.out) as { panels: Array<{ actions: unknown }> }).panels[0]!.actions,
    ).toMatchObject([{ email, action: 'create', reason: 'entitled', outcome: 'planned' }]);
    expect(sim.inspectClient(email!)).toBeUndefined();

    const once = await cli(['reconcile', '--once', '--json']);
    expect(once.code).toBe(0);
    expect(sim.inspectClient(email!)).toMatchObject({ enable: true, reset: 0 });
    expect((await cli(['plan'])).out).toContain('in sync');
    // The pass recorded what `panels list` shows: the version read from server/status, up, no error.
    expect(JSON.parse((await cli(['panels', 'list', '--json'])).out)).toMatchObject([
      {
        name: 'edge-1',
        version: '3.6.0',
        generation: 'g2',
        inbounds: 1,
        keys: 1,
        up: true,
        last_error: null,
      },
    ]);

    const status = await cli(['status', '--json']);
    expect((JSON.parse(status.out) as { panels: unknown[] }).panels[0]).toMatchObject({
      panel: 'edge-1',
      version: '3.6.0',
      up: true,
      keys: { 'enabled:entitled': 1 },
      drifted: 0,
    });

    expect((await cli(['keys', 'revoke', keyId!])).out).toContain('revoked');
    expect((await cli(['reconcile', '--once'])).code).toBe(0);
    expect(sim.inspectClient(email!)?.enable).toBe(false);
  });

  it('refuses reconcile without --once and a grant without a unit', async () => {
    expect((await cli(['reconcile'])).code).toBe(2);
    expect((await cli(['grant', '--telegram-id', '1', '--for', '30'])).code).toBe(2);
  });
});
