/** A user's live keys with what the reconciler recorded about them, for "my keys". */
import type pg from 'pg';
import { inboundOfRow } from '../../db/index.ts';
import { asKeyId, type KeyId, type UserId } from '../../domain/index.ts';
import { connectHostOf, type KeyWithInbound } from '../../links/index.ts';
import type { KeyStateRow } from '../key-status.ts';

/** One live key, its key_state (null before the reconciler's first look) and its inbound (null if unobserved). */
export interface UserKey {
  readonly id: KeyId;
  readonly email: string;
  readonly clientUuid: string;
  readonly secret: string;
  readonly flow: string;
  readonly createdAt: Date;
  readonly state: KeyStateRow | null;
  /** Its host is `panels.public_host`, else the host of `panels.base_url`. */
  readonly inbound: KeyWithInbound['inbound'];
}

interface KeyRow {
  id: string;
  email: string;
  client_uuid: string;
  secret: string;
  flow: string;
  created_at: Date;
  has_state: boolean;
  desired: unknown;
  converged: boolean | null;
  last_error: string | null;
  protocol: string | null;
  port: number | null;
  remark: string | null;
  settings: unknown;
  stream_settings: unknown;
  public_host: string | null;
  base_url: string;
}

function toKey(row: KeyRow): UserKey {
  const inbound = inboundOfRow(row);
  return {
    id: asKeyId(row.id),
    email: row.email,
    clientUuid: row.client_uuid,
    secret: row.secret,
    flow: row.flow,
    createdAt: row.created_at,
    state: row.has_state
      ? { desired: row.desired, converged: row.converged === true, lastError: row.last_error }
      : null,
    inbound: inbound === null ? null : { ...inbound, host: connectHostOf(row.public_host, row.base_url) },
  };
}

const SELECT_KEYS = `
  select k.id, k.email, k.client_uuid::text as client_uuid, k.secret, k.flow, k.created_at,
         s.key_id is not null as has_state, s.desired, s.converged, s.last_error,
         i.protocol, i.port, i.remark, i.settings, i.stream_settings, p.public_host, p.base_url
  from vpn_keys k
  join panels p on p.id = k.panel_id
  left join key_state s on s.key_id = k.id
  left join inbounds i on i.panel_id = k.panel_id and i.inbound_id = k.inbound_id
  where k.user_id = $1 and k.revoked_at is null`;

/** Lists a user's live (not revoked) keys, oldest first. */
export async function listLiveKeys(db: pg.Pool | pg.ClientBase, userId: UserId): Promise<readonly UserKey[]> {
  const { rows } = await db.query<KeyRow>(`${SELECT_KEYS} order by k.id`, [userId]);
  return rows.map(toKey);
}

/** Finds one live key of a user; null when it is not theirs, revoked or unknown. */
export async function findLiveKey(
  db: pg.Pool | pg.ClientBase,
  userId: UserId,
  keyId: KeyId,
): Promise<UserKey | null> {
  const { rows } = await db.query<KeyRow>(`${SELECT_KEYS} and k.id = $2`, [userId, keyId]);
  const row = rows[0];
  return row ? toKey(row) : null;
}
