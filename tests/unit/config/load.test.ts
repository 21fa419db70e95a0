import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  describeSettings,
  loadConfig,
  renderEnvExample,
  updateReadmeTable,
} from '../../../src/config/index.ts';

describe('loadConfig', () => {
  it('fills every default from an empty environment', () => {
    const config = loadConfig({});
    expect(config.resyncIntervalMs).toBe(300_000);
    expect(config.mode).toBe('enforce');
    expect(config.graceMs).toBe(0);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.components).toEqual(new Set(['reconciler', 'bot', 'webhooks']));
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('parses durations with units and lists', () => {
    const config = loadConfig({
      KEYWARDEN_RESYNC_INTERVAL: '90s',
      KEYWARDEN_GRACE: '24h',
      KEYWARDEN_COMPONENTS: 'reconciler, webhooks',
      KEYWARDEN_ADMIN_IDS: '1, 22',
    });
    expect(config.resyncIntervalMs).toBe(90_000);
    expect(config.graceMs).toBe(86_400_000);
    expect(config.components).toEqual(new Set(['reconciler', 'webhooks']));
    expect(config.adminTelegramIds).toEqual(new Set([1, 22]));
  });

  it.each([
    ['KEYWARDEN_RESYNC_INTERVAL', 'abc', /duration/],
    ['KEYWARDEN_RESYNC_INTERVAL', '300', /duration with a unit/],
    ['KEYWARDEN_RESYNC_INTERVAL', '0s', /greater than zero/],
    ['KEYWARDEN_MODE', 'yolo', /one of enforce, observe/],
    ['KEYWARDEN_HTTP_PORT', '70000', /whole number from 0 to 65535/],
    ['KEYWARDEN_COMPONENTS', 'reconciler,frontend', /comma-separated list/],
    ['DATABASE_URL', 'mysql://x', /postgres/],
    ['KEYWARDEN_ADMIN_IDS', '12,@bob', /Telegram user ids/],
  ])('rejects %s=%s naming the variable', (env, value, expected) => {
    let error: unknown;
    try {
      loadConfig({ [env]: value });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]!.env).toBe(env);
    expect(issues[0]!.message).toMatch(expected);
  });

  it('never echoes the value of a secret setting', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://user:hunter2@db' })).toThrow(ConfigError);
    try {
      loadConfig({ DATABASE_URL: 'mysql://user:hunter2@db' });
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
    }
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ KEYWARDEN_MODE: '' }).mode).toBe('enforce');
  });
});

describe('.env.example', () => {
  it('is generated from the settings table (run `npm run gen:env` after adding a setting)', () => {
    const onDisk = readFileSync(new URL('../../../.env.example', import.meta.url), 'utf8');
    expect(onDisk).toBe(renderEnvExample());
  });

  it('the README configuration table is generated from the settings table', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    expect(updateReadmeTable(readme)).toBe(readme);
    const missing = describeSettings()
      .map((setting) => setting.env)
      .filter((env) => !readme.includes(`\`${env}\``));
    expect(missing).toEqual([]);
  });
});
