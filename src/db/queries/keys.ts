/**
 * Read-only key look-ups for the console and the CLI: what the key should be (desired, with its
 * reason), what the panel holds (observed), whether they agree, the last action and error, and the
 * reconciler's history of the key. `key_state` and `reconcile_events` are written only by the
 * reconciler (DESIGN.md §3).
 */
import type pg from 'pg';
import { asKeyId, asPanelId, asUserId, type KeyId, type PanelId, type UserId } from '../../domain/index.ts';
import { connectHostOf, type KeyWithInbound } from '../../links/index.ts';
import { inboundOfRow } from './inbound-row.ts';

/** A key's state as an operator sees it (the bot's statuses plus `revoked`). */
export const KEY_STATES = ['active', 'suspended', 'setting-up', 'problem', 'revoked'] as const;
/** One of KEY_STATES. */
export type KeyState = (typeof KEY_STATES)[number];

/** One entry of a key's (or panel's) reconcile history. */
export interface ReconcileEventView {
  readonly id: string;
  readonly at: Date;
  readonly keyId: string | null;
  readonly panelName: string | null;
  readonly action: string;
  readonly reason: string;
  readonly outcome: string;
  readonly error: string | null;
}

/** A key with everything the reconciler recorded about it. */
export interface KeyDetail {
  readonly id: KeyId;
  readonly userId: UserId;
  readonly telegramId: number;
  readonly username: string | null;
  readonly email: string;
  readonly panelId: PanelId;
  readonly panelName: string;
  readonly inboundId: number;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
  readonly state: KeyState;
  /** `enabled`/`disabled` with its reason (`entitled`, `expired`, ...); null before the first pass. */
  readonly desired: { readonly kind: string; readonly reason: string } | null;
  /** `present` (enabled or not), `absent` or `unknown` (with a cause); null before the first pass. */
  readonly observed: {
    readonly kind: string;
    readonly enabled: boolean | null;
    readonly cause: string | null;
    readonly at: string | null;
  } | null;
  readonly converged: boolean | null;
  readonly lastAction: string | null;
  readonly lastError: string | null;
  readonly attempts: number;
  readonly nextAttemptAt: Date | null;
  readonly stateUpdatedAt: Date | null;
  /** Newest first; at most `eventsPerKey`. */
  readonly events: readonly ReconcileEventView[];
  /** What the connection link is made of (the bot's renderLink input), when the inbound was observed. */
  readonly link:
    (NonNullable<KeyWithInbound['inbound']> & Pick<KeyWithInbound, 'clientUuid' | 'secret' | 'flow'>) | null;
}

/** Which keys to read. */
export interface KeyFilter {
  readonly keyId?: KeyId;
  readonly userId?: UserId;
  readonly telegramId?: number;
  readonly panelName?: string;
  readonly state?: KeyState;
  readonly includeRevoked?: boolean;
  readonly limit?: number;
  /** History entries per key (default 5). */
  readonly eventsPerKey?: number;
}

interface KeyRow {
  id: string;
  user_id: string;
  telegram_id: string;
  username: string | null;
  email: string;
  panel_id: string;
  panel_name: string;
  inbound_id: number;
  created_at: Date;
  revoked_at: Date | null;
  state: KeyState;
  desired: { kind?: unknown; reason?: unknown } | null;
  observed: { kind?: unknown; enable?: unknown; cause?: unknown; at?: unknown } | null;
  converged: boolean | null;
  last_action: string | null;
  last_error: string | null;
  attempts: number | null;
  next_attempt_at: Date | null;
  updated_at: Date | null;
  protocol: string | null;
  port: number | null;
  remark: string | null;
  settings: unknown;
  stream_settings: unknown;
  public_host: string | null;
  base_url: string;
  client_uuid: string;
  secret: string;
  flow: string;
}

const STATE_SQL = `case
    when k.revoked_at is not null then 'revoked'
    when s.key_id is null then 'setting-up'
    when not s.converged and coalesce(s.last_error, '') <> '' then 'problem'
    when not s.converged then 'setting-up'
    when s.desired ->> 'kind' = 'enabled' then 'active'
    when s.desired ->> 'kind' = 'disabled' then 'suspended'
    else 'problem' end`;

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** What the key's connection link needs, or null while its inbound is unobserved. */
function linkOf(row: KeyRow): KeyDetail['link'] {
  const inbound = inboundOfRow(row);
  return inbound === null
    ? null
    : {
        ...inbound,
        host: connectHostOf(row.public_host, row.base_url),
        clientUuid: row.client_uuid,
        secret: row.secret,
        flow: row.flow,
      };
}

/** Reads keys by the filter, newest first (at most `limit`, default 200). */
export async function readKeys(
  db: pg.Pool | pg.ClientBase,
  filter: KeyFilter = {},
): Promise<readonly KeyDetail[]> {
  const { rows } = await db.query<KeyRow>(
    `select * from (
       select k.id, k.user_id, u.telegram_id, u.username, k.email, k.panel_id, p.name as panel_name, k.inbound_id,
              k.created_at, k.revoked_at, ${STATE_SQL} as state,
              s.desired, s.observed, s.converged, s.last_action, s.last_error, s.attempts, s.next_attempt_at, s.updated_at,
              i.protocol, i.port, i.remark, i.settings, i.stream_settings, p.public_host, p.base_url,
              k.client_uuid::text as client_uuid, k.secret, k.flow
       from vpn_keys k
       join users u on u.id = k.user_id
       join panels p on p.id = k.panel_id
       left join key_state s on s.key_id = k.id
       left join inbounds i on i.panel_id = k.panel_id and i.inbound_id = k.inbound_id
       where ($1::bigint is null or k.id = $1)
         and ($2::bigint is null or k.user_id = $2)
         and ($3::bigint is null or u.telegram_id = $3)
         and ($4::text is null or p.name = $4)
         and ($6::boolean or $1::bigint is not null or k.revoked_at is null)
     ) keyed
     where ($5::text is null or keyed.state = $5)
     order by keyed.revoked_at is not null, keyed.id desc
     limit $7`,
    [
      filter.keyId ?? null,
      filter.userId ?? null,
      filter.telegramId ?? null,
      filter.panelName ?? null,
      filter.state ?? null,
      filter.includeRevoked === true || filter.state === 'revoked',
      filter.limit ?? 200,
    ],
  );
  const events = await readKeyEvents(
    db,
    rows.map((row) => row.id),
    filter.eventsPerKey ?? 5,
  );
  return rows.map((row): KeyDetail => ({
    id: asKeyId(row.id),
    userId: asUserId(row.user_id),
    telegramId: Number(row.telegram_id),
    username: row.username,
    email: row.email,
    panelId: asPanelId(row.panel_id),
    panelName: row.panel_name,
    inboundId: row.inbound_id,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    state: row.state,
    desired:
      row.desired === null
        ? null
        : { kind: str(row.desired.kind) ?? '?', reason: str(row.desired.reason) ?? '?' },
    observed:
      row.observed === null
        ? null
        : {
            kind: str(row.observed.kind) ?? '?',
            enabled: typeof row.observed.enable === 'boolean' ? row.observed.enable : null,
            cause: str(row.observed.cause),
            at: str(row.observed.at),
          },
    converged: row.converged,
    lastAction: row.last_action,
    lastError: row.last_error === '' ? null : row.last_error,
    attempts: row.attempts ?? 0,
    nextAttemptAt: row.next_attempt_at,
    stateUpdatedAt: row.updated_at,
    events: events.get(row.id) ?? [],
    link: linkOf(row),
  }));
}

/** Reads one key (revoked ones too) with `history` entries of its history; null when unknown. */
export async function readKey(
  db: pg.Pool | pg.ClientBase,
  keyId: KeyId,
  history = 50,
): Promise<KeyDetail | null> {
  const [key] = await readKeys(db, { keyId, includeRevoked: true, eventsPerKey: history, limit: 1 });
  return key ?? null;
}

async function readKeyEvents(
  db: pg.Pool | pg.ClientBase,
  keyIds: readonly string[],
  perKey: number,
): Promise<ReadonlyMap<string, readonly ReconcileEventView[]>> {
  const result = new Map<string, ReconcileEventView[]>();
  if (keyIds.length === 0 || perKey <= 0) {
    return result;
  }
  const { rows } = await db.query<{
    id: string;
    at: Date;
    key_id: string;
    panel_name: string | null;
    action: string;
    reason: string;
    outcome: string;
    error: string | null;
  }>(
    `select id, at, key_id, panel_name, action, reason, outcome, error from (
       select e.id, e.at, e.key_id, p.name as panel_name, e.action, e.reason, e.outcome, e.error,
              row_number() over (partition by e.key_id order by e.at desc, e.id desc) as n
       from reconcile_events e left join panels p on p.id = e.panel_id
       where e.key_id = any($1::bigint[])) ranked
     where n <= $2 order by at desc, id desc`,
    [keyIds, perKey],
  );
  for (const row of rows) {
    const list = result.get(row.key_id) ?? [];
    list.push({
      id: row.id,
      at: row.at,
      keyId: row.key_id,
      panelName: row.panel_name,
      action: row.action,
      reason: row.reason,
      outcome: row.outcome,
      error: row.error,
    });
    result.set(row.key_id, list);
  }
  return result;
}
