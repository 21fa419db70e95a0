/** Row builders for integration tests: insert realistic rows with overridable defaults. */
import type pg from 'pg';
import { asPanelId, asUserId, type PanelId, type UserId } from '../../src/domain/index.ts';

let sequence = 0;
const next = (): number => {
  sequence += 1;
  return sequence;
};

/** Inserts a user and returns its id. */
export async function insertUser(
  db: pg.Pool,
  overrides: { telegramId?: number; username?: string } = {},
): Promise<UserId> {
  const { rows } = await db.query<{ id: string }>(
    'insert into users (telegram_id, username) values ($1, $2) returning id',
    [
      overrides.telegramId ?? 10_000_000 + next() + Math.floor(Math.random() * 1_000_000),
      overrides.username ?? null,
    ],
  );
  return asUserId(rows[0]!.id);
}

/** Inserts a panel and returns its id. */
export async function insertPanel(
  db: pg.Pool,
  overrides: { name?: string; baseUrl?: string; isEnabled?: boolean; suspended?: boolean } = {},
): Promise<PanelId> {
  const { rows } = await db.query<{ id: string }>(
    `insert into panels (name, base_url, auth, is_enabled, suspended) values ($1, $2, $3, $4, $5) returning id`,
    [
      overrides.name ?? `panel-${next()}-${Math.floor(Math.random() * 1e6)}`,
      overrides.baseUrl ?? 'http://127.0.0.1:2053/',
      JSON.stringify({ kind: 'token', token: 'test-token' }),
      overrides.isEnabled ?? true,
      overrides.suspended ?? false,
    ],
  );
  return asPanelId(rows[0]!.id);
}

/** Inserts an observed inbound row. */
export async function insertInbound(
  db: pg.Pool,
  panelId: PanelId,
  inboundId: number,
  overrides: { protocol?: string; settings?: object; streamSettings?: object; isEnabled?: boolean } = {},
): Promise<void> {
  await db.query(
    `insert into inbounds (panel_id, inbound_id, protocol, port, remark, is_enabled, settings, stream_settings)
     values ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      panelId,
      inboundId,
      overrides.protocol ?? 'vless',
      40_000 + inboundId,
      `inbound-${inboundId}`,
      overrides.isEnabled ?? true,
      JSON.stringify(overrides.settings ?? {}),
      JSON.stringify(overrides.streamSettings ?? { network: 'tcp', security: 'reality' }),
    ],
  );
}
