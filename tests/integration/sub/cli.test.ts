import { describe, expect, it } from 'vitest';
import { findSubscriptionUser, hashSubscriptionToken } from '../../../src/db/index.ts';
import { runCliAgainst } from '../../support/cli.ts';
import { useTestDatabase } from '../../support/database.ts';

const database = useTestDatabase();
const SUB_ENV = {
  KEYWARDEN_SUB_PUBLIC_URL: 'https://sub.example.com',
  KEYWARDEN_SUB_TOKEN_SECRET: 'cli-subscription-secret-0123456789abcdef',
};

const cli = (args: string[], env: Record<string, string> = SUB_ENV): ReturnType<typeof runCliAgainst> =>
  runCliAgainst(database().url, args, { KEYWARDEN_LOG_LEVEL: 'error', ...env });

describe('keywarden sub', () => {
  it('prints a customer’s URL, stable until an admin rotates it; the old one stops', async () => {
    expect((await cli(['grant', '--telegram-id', '4242', '--for', '30d'])).code).toBe(0);
    const first = await cli(['sub', 'url', '--telegram-id', '4242']);
    expect(first.code).toBe(0);
    expect(first.out.trim()).toMatch(/^https:\/\/sub\.example\.com\/sub\/[A-Za-z0-9_-]{32}$/);
    expect((await cli(['sub', 'url', '--telegram-id', '4242'])).out).toBe(first.out);
    const rotated = await cli(['sub', 'rotate', '--telegram-id', '4242']);
    expect(rotated.out).not.toBe(first.out);
    const oldToken = first.out.trim().split('/').pop()!;
    expect(await findSubscriptionUser(database().pool, hashSubscriptionToken(oldToken))).toBeNull();
  });

  it('refuses without the settings or for an unknown customer', async () => {
    const unset = await cli(['sub', 'url', '--telegram-id', '4242'], {});
    expect(unset.code).not.toBe(0);
    expect(unset.err).toContain('KEYWARDEN_SUB_PUBLIC_URL');
    expect((await cli(['sub', 'url', '--telegram-id', '99999'])).code).not.toBe(0);
  });

  it('stops start-up on a too-short secret, naming the setting', async () => {
    const bad = await cli(['sub', 'url', '--telegram-id', '4242'], {
      ...SUB_ENV,
      KEYWARDEN_SUB_TOKEN_SECRET: 'short',
    });
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('KEYWARDEN_SUB_TOKEN_SECRET');
  });
});
