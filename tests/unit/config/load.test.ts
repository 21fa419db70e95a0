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

  it.each([
    ['KEYWARDEN_STARS_SWEEP_INTERVAL', 'starsSweepIntervalMs'],
    ['KEYWARDEN_GRACE', 'graceMs'],
    ['KEYWARDEN_PANEL_WRITES_PER_SECOND', 'panelWritesPerSecond'],
  ] as const)('accepts a bare 0 for %s, documented as "0 turns it off" (issue 12)', (env, field) => {
    expect(loadConfig({ [env]: '0' })[field]).toBe(0);
  });

  it('still refuses a bare 0 where a duration must be positive', () => {
    expect(() => loadConfig({ KEYWARDEN_RESYNC_INTERVAL: '0' })).toThrow(/greater than zero/);
  });

  it('refuses a generic webhook secret shorter than 16 characters without echoing it', () => {
    expect(() => loadConfig({ KEYWARDEN_WEBHOOK_SECRET: 'abc123' })).toThrow(
      /KEYWARDEN_WEBHOOK_SECRET: expected at least 16 characters/,
    );
    expect(() => loadConfig({ KEYWARDEN_WEBHOOK_SECRET: 'abc123' })).not.toThrow(/abc123/);
  });

  it('parses flags and the trusted proxies list', () => {
    const config = loadConfig({
      KEYWARDEN_YOOKASSA_ALLOW_TEST: 'yes',
      KEYWARDEN_TRUSTED_PROXIES: '127.0.0.1, 10.0.0.0/8',
    });
    expect(config.yookassaAllowTest).toBe(true);
    expect(config.trustedProxies).toEqual(['127.0.0.1', '10.0.0.0/8']);
    expect(loadConfig({}).yookassaAllowTest).toBe(false);
    expect(() => loadConfig({ KEYWARDEN_YOOKASSA_ALLOW_TEST: 'maybe' })).toThrow(/true or false/);
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
