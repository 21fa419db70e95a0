/**
 * A known customer for the subscription tests: keys on two panels (VLESS Reality with Vision on
 * one, Trojan over WebSocket with TLS on the other) plus a third key the reconciler wants disabled,
 * a 10 GiB plan with half of it used this period, and a device limit of 2.
 */
import type pg from 'pg';
import { PassThrough } from 'node:stream';
import { grantPeriod, subscriptionTokenOf, upsertPlan } from '../../../src/db/index.ts';
import { asUserId, type UserId } from '../../../src/domain/index.ts';
import { createLogger, type Logger } from '../../../src/shared/index.ts';
import type { SubConfig } from '../../../src/sub/index.ts';
import { insertInbound, insertPanel, insertUser } from '../../support/builders.ts';

export const SECRET = 'subscription-test-secret-0123456789abcdef';
export const GIB = 1024 ** 3;

export const REALITY = {
  network: 'tcp',
  security: 'reality',
  realitySettings: {
    serverNames: ['www.microsoft.com'],
    shortIds: ['6ba85179e30d4fc2'],
    settings: {
      publicKey: 'Z84J2IelR9ch3k8VtlVhhs5ycBUlXA7wHBWcBrjqnAw',
      fingerprint: 'chrome',
      spiderX: '/',
    },
  },
  tcpSettings: { header: { type: 'none' } },
};

export const TLS_WS = {
  network: 'ws',
  security: 'tls',
  tlsSettings: {
    serverName: 'de.example.net',
    alpn: ['h2', 'http/1.1'],
    settings: { allowInsecure: false, fingerprint: 'firefox' },
  },
  wsSettings: { path: '/ws', headers: { Host: 'de.example.net' } },
};

/** Settings of the server under test (rates high unless a test lowers them). */
export function subConfig(overrides: Partial<SubConfig> = {}): SubConfig {
  return {
    subHost: '127.0.0.1',
    subPort: 0,
    subPublicUrl: 'https://sub.example.com/',
    subTitle: 'Acme VPN',
    subUpdateIntervalMs: 12 * 3_600_000,
    subSupportUrl: 'https://t.me/acme_support',
    subAnnounce: undefined,
    subBotUsername: 'acme_vpn_bot',
    subRatePerToken: 1000,
    subRatePerIp: 1000,
    trustedProxyHeader: undefined,
    trustedProxies: [],
    graceMs: 0,
    ...overrides,
  };
}

/** A logger whose lines are collected in `lines`. */
export function capturingLogger(): { readonly logger: Logger; readonly lines: () => string } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  return { logger: createLogger({ level: 'debug', destination: stream }), lines: () => chunks.join('') };
}

/** The two panels and their inbounds, created once per database. */
export async function seedPanels(pool: pg.Pool): Promise<{ nl: string; de: string }> {
  const nl = await insertPanel(pool, { name: `nl-${Math.floor(Math.random() * 1e9)}` });
  const de = await insertPanel(pool, { name: `de-${Math.floor(Math.random() * 1e9)}` });
  await pool.query(`update panels set public_host = 'nl1.example.net' where id = $1`, [nl]);
  await pool.query(`update panels set public_host = 'de1.example.net' where id = $1`, [de]);
  await insertInbound(pool, nl, 1, {
    protocol: 'vless',
    settings: { encryption: 'none' },
    streamSettings: REALITY,
  });
  await insertInbound(pool, de, 2, { protocol: 'trojan', settings: {}, streamSettings: TLS_WS });
  await insertInbound(pool, de, 3, { protocol: 'vmess', settings: {}, streamSettings: TLS_WS });
  await pool.query(`update inbounds set remark = 'NL' where panel_id = $1`, [nl]);
  await pool.query(`update inbounds set remark = 'DE' where panel_id = $1`, [de]);
  return { nl, de };
}

/** A key with fixed identity and, unless `state` is null, a key_state row. */
export async function insertKey(
  pool: pg.Pool,
  key: {
    userId: UserId;
    panelId: string;
    inboundId: number;
    email: string;
    uuid: string;
    secret: string;
    flow?: string;
    enabled: boolean;
    periodId: string | null;
    upBytes: number;
    downBytes: number;
    baselineBytes: number;
  },
): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    `insert into vpn_keys (user_id, panel_id, inbound_id, email, client_uuid, secret, flow)
     values ($1, $2, $3, $4, $5, $6, $7) returning id`,
    [key.userId, key.panelId, key.inboundId, key.email, key.uuid, key.secret, key.flow ?? ''],
  );
  const id = rows[0]!.id;
  await pool.query(
    `insert into key_state (key_id, desired, observed, converged, quota_period_id, quota_baseline_bytes)
     values ($1, $2, $3, true, $4, $5)`,
    [
      id,
      JSON.stringify(
        key.enabled ? { kind: 'enabled', reason: 'entitled' } : { kind: 'disabled', reason: 'revoked' },
      ),
      JSON.stringify({
        kind: 'present',
        upBytes: key.upBytes,
        downBytes: key.downBytes,
        at: new Date().toISOString(),
      }),
      key.periodId,
      key.periodId === null ? null : key.baselineBytes,
    ],
  );
  return id;
}

/** The known customer on two fresh panels: returns the user, the period end and the token. */
export async function knownCustomer(
  pool: pg.Pool,
  options: { maxDevices?: number | null } = {},
): Promise<{ userId: UserId; token: string; endsAt: Date }> {
  const panels = await seedPanels(pool);
  const plan = await upsertPlan(pool, {
    code: `month-10g-${Math.floor(Math.random() * 1e9)}`,
    title: 'Month 10 GiB',
    durationDays: 30,
    price: '299',
    currency: 'RUB',
    trafficLimitBytes: 10 * GIB,
    maxDevices: options.maxDevices === undefined ? 2 : options.maxDevices,
  });
  const userId = asUserId(await insertUser(pool));
  const granted = await grantPeriod(pool, {
    userId,
    source: 'admin',
    planId: plan.id,
    durationMs: 30 * 86_400_000,
  });
  if (granted.kind !== 'granted') {
    throw new Error('grant failed');
  }
  const periodId = granted.period.id;
  // 3 GiB on NL (1 GiB before this period), 2 GiB on DE (trojan), 1 GiB on the disabled vmess key
  // but from an older period (not counted): 5 GiB = half the quota.
  await insertKey(pool, {
    userId,
    panelId: panels.nl,
    inboundId: 1,
    email: 'alice-nl',
    uuid: '0f5c6a8e-3b1d-4c2a-9e7f-1a2b3c4d5e6f',
    secret: '9c1e7d3b5a2f4e6d8c0b1a2f3e4d5c6b',
    flow: 'xtls-rprx-vision',
    enabled: true,
    periodId,
    upBytes: 1 * GIB,
    downBytes: 3 * GIB,
    baselineBytes: 1 * GIB,
  });
  await insertKey(pool, {
    userId,
    panelId: panels.de,
    inboundId: 2,
    email: 'alice-de',
    uuid: '1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d',
    secret: 'trojan-password-1',
    enabled: true,
    periodId,
    upBytes: 0.5 * GIB,
    downBytes: 1.5 * GIB,
    baselineBytes: 0,
  });
  await insertKey(pool, {
    userId,
    panelId: panels.de,
    inboundId: 3,
    email: 'alice-off',
    uuid: '2b3c4d5e-6f7a-4b2c-9d3e-4f5a6b7c8d9e',
    secret: 'unused',
    enabled: false,
    periodId: null,
    upBytes: 0,
    downBytes: GIB,
    baselineBytes: 0,
  });
  return { userId, token: await subscriptionTokenOf(pool, userId, SECRET), endsAt: granted.period.endsAt };
}
