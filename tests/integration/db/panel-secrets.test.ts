import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { warnAboutStoredSecrets } from '../../../src/app/index.ts';
import { loadConfig } from '../../../src/config/index.ts';
import {
  addPanel,
  countUnsealedPanels,
  createSecretBox,
  PanelAuthError,
  rekeyPanels,
} from '../../../src/db/index.ts';
import { createPostgresStore } from '../../../src/store/index.ts';
import { startSimulatedPanel, type SimulatedPanel } from '../../../src/simulator/index.ts';
import { runCliAgainst } from '../../support/cli.ts';
import { useTestDatabase } from '../../support/database.ts';
import { captureLogger } from '../../support/webhooks.ts';

const database = useTestDatabase();
const KEY = randomBytes(32).toString('hex');
const NEXT_KEY = randomBytes(32).toString('hex');

const cli = (args: string[], env: Record<string, string> = {}): ReturnType<typeof runCliAgainst> =>
  runCliAgainst(database().url, args, { KEYWARDEN_LOG_LEVEL: 'info', ...env });

const rawAuth = async (name: string): Promise<string> => {
  const { rows } = await database().pool.query<{ auth: string }>(
    'select auth::text from panels where name = $1',
    [name],
  );
  return rows[0]?.auth ?? '';
};

describe('panel credentials at rest (issue 12)', () => {
  let sim: SimulatedPanel;
  beforeAll(async () => {
    sim = await startSimulatedPanel({ generation: 'g2', token: 'sim-token-0123456789', jobIntervalMs: 0 });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('stores the token encrypted with KEYWARDEN_SECRET_KEY and the reconciler still reaches the panel', async () => {
    const added = await cli(['panels', 'add', '--name', 'sealed-1', '--url', sim.url], {
      KEYWARDEN_SECRET_KEY: KEY,
      KEYWARDEN_PANEL_TOKEN: 'sim-token-0123456789',
    });
    expect(added.code).toBe(0);
    const stored = await rawAuth('sealed-1');
    expect(stored).not.toContain('sim-token');
    expect(JSON.parse(stored)).toMatchObject({
      kind: 'token',
      sealed: expect.stringMatching(/^kw1:/) as string,
    });

    const once = await cli(['reconcile', '--once', '--json'], { KEYWARDEN_SECRET_KEY: KEY });
    expect(once.code).toBe(0);
    // The pass logged in with the opened token: the panel's API generation was read from it.
    const { rows } = await database().pool.query<{ api_generation: string | null }>(
      `select api_generation from panels where name = 'sealed-1'`,
    );
    expect(rows[0]?.api_generation).toBe('g2');
    // Without the key the credentials cannot be read: the pass fails open, naming the setting.
    const store = createPostgresStore(database().pool, 0);
    await expect(store.readSnapshot(undefined)).rejects.toThrow(PanelAuthError);
    await expect(store.readSnapshot(undefined)).rejects.toThrow(/KEYWARDEN_SECRET_KEY is not set/);
    const withKey = createPostgresStore(database().pool, 0, createSecretBox(KEY));
    const read = await withKey.readSnapshot(undefined);
    expect([...read.connections.values()][0]?.auth).toEqual({ kind: 'token', token: 'sim-token-0123456789' });
  });

  it('rekey seals plain rows, then moves every panel to a rotated key; the old key alone no longer opens them', async () => {
    const { pool } = database();
    await addPanel(pool, {
      name: 'plain-1',
      baseUrl: 'https://panel.example.net:2053/s3cretPath/',
      auth: { kind: 'password', username: 'admin', password: 'hunter2-plain' },
    });
    expect(await rawAuth('plain-1')).toContain('hunter2-plain');
    expect(await countUnsealedPanels(pool, createSecretBox(KEY))).toEqual({ plain: 1, otherKey: 0 });

    const first = await cli(['rekey'], { KEYWARDEN_SECRET_KEY: KEY });
    expect(first).toMatchObject({ code: 0 });
    expect(first.out).toContain('1 re-encrypted (plain-1), 1 already current');
    expect(await rawAuth('plain-1')).not.toContain('hunter2');

    // Rotation: new key current, the old one previous.
    const rotated = await cli(['rekey'], {
      KEYWARDEN_SECRET_KEY: NEXT_KEY,
      KEYWARDEN_SECRET_KEY_PREVIOUS: KEY,
    });
    expect(rotated.out).toContain('2 re-encrypted');
    const next = createSecretBox(NEXT_KEY);
    expect(await countUnsealedPanels(pool, next)).toEqual({ plain: 0, otherKey: 0 });
    const read = await createPostgresStore(pool, 0, next).readSnapshot(undefined);
    expect([...read.connections.values()].map((connection) => connection.auth)).toContainEqual({
      kind: 'password',
      username: 'admin',
      password: 'hunter2-plain',
    });
    await expect(rekeyPanels(pool, createSecretBox(KEY))).rejects.toThrow(/neither KEYWARDEN_SECRET_KEY/);
  });

  it('rekey without a key exits 2 with one line', async () => {
    const result = await cli(['rekey']);
    expect(result.code).toBe(2);
    expect(result.err.trim().split('\n')).toHaveLength(1);
    expect(result.err).toContain('KEYWARDEN_SECRET_KEY is not set');
  });

  it('panels list shows the origin only, never the web base path', async () => {
    const listed = await cli(['panels', 'list']);
    expect(listed.out).toContain('https://panel.example.net:2053/…');
    expect(listed.out).not.toContain('s3cretPath');
    const json = await cli(['panels', 'list', '--json']);
    expect(json.out).not.toContain('s3cretPath');
  });

  it('prints no password when the database refuses a panel row', async () => {
    const refused = await cli(
      ['panels', 'add', '--name', 'bad name!', '--url', 'https://p.example/x/', '--username', 'u'],
      { KEYWARDEN_PANEL_PASSWORD: 'hunter2-refused' },
    );
    expect(refused.code).not.toBe(0);
    expect(refused.err + refused.out).not.toContain('hunter2-refused');
  });

  it('warns at start-up when the key is unset, and when panels are not under the current key', async () => {
    const { logger, lines } = captureLogger('info');
    await warnAboutStoredSecrets(database().pool, loadConfig({}), logger);
    await warnAboutStoredSecrets(database().pool, loadConfig({ KEYWARDEN_SECRET_KEY: KEY }), logger);
    await warnAboutStoredSecrets(database().pool, loadConfig({ KEYWARDEN_SECRET_KEY: NEXT_KEY }), logger);
    const messages = lines().map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(messages).toEqual([
      'KEYWARDEN_SECRET_KEY is not set: panel passwords and tokens are stored in plain text',
      'some panel credentials are not encrypted with KEYWARDEN_SECRET_KEY: run `keywarden rekey`',
    ]);
  });
});
