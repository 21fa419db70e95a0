/**
 * Issuing and revoking keys. Writers only insert or update `vpn_keys`; the reconciler creates,
 * enables or disables the client on the panel (DESIGN.md §6).
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import {
  asInboundId,
  asKeyId,
  asPanelId,
  asUserId,
  type InboundId,
  type KeyId,
  type PanelId,
  type UserId,
} from '../../domain/index.ts';
import { withTransaction } from '../pool.ts';

/** Protocols whose inbounds carry clients we can issue keys on. */
export const KEY_PROTOCOLS = ['vless', 'vmess', 'trojan', 'shadowsocks'] as const;

/** A key as written. */
export interface IssuedKey {
  readonly id: KeyId;
  readonly email: string;
  readonly panelId: PanelId;
  readonly inboundId: InboundId;
}

/** What issuing did. */
export type IssueKeyOutcome =
  | { readonly kind: 'issued'; readonly key: IssuedKey }
  | { readonly kind: 'limit-reached'; readonly limit: number; readonly live: number }
  | { readonly kind: 'no-inbound' }
  /**
   * The admin named an inbound that the panel does not have as of the reconciler's last read (never
   * there, or missing since `missingSince`): refused, as a key there could never be created.
   */
  | { readonly kind: 'unknown-inbound'; readonly missingSince: Date | null }
  | { readonly kind: 'unknown-user' };

/** Where to put the key; without a choice, the least-loaded inbound of all enabled panels. */
export interface IssueKeyRequest {
  readonly userId: UserId;
  readonly panelId?: PanelId;
  readonly inboundId?: InboundId;
  /**
   * Enforce the key limit of the user's current plan (max over the plans of the periods covering
   * now; 1 when none names a plan). Admin issuing may skip it.
   */
  readonly enforceLimit: boolean;
}

interface InboundChoice {
  panel_id: string;
  inbound_id: number;
  protocol: string | null;
  settings: Record<string, unknown> | null;
  stream_settings: Record<string, unknown> | null;
}

/**
 * Chooses the shadowsocks key form: SS-2022 methods need base64 of exactly 16 or 32 random bytes
 * (xui-api.md §4.2); older methods take any password.
 */
function secretFor(choice: InboundChoice): string | null {
  if (choice.protocol !== 'shadowsocks') {
    return null;
  }
  const method = typeof choice.settings?.['method'] === 'string' ? choice.settings['method'] : '';
  if (method.startsWith('2022-blake3-aes-128')) {
    return randomBytes(16).toString('base64');
  }
  if (method.startsWith('2022-blake3')) {
    return randomBytes(32).toString('base64');
  }
  return null;
}

/** VLESS over raw TCP with TLS or Reality uses XTLS Vision, as 3x-ui's own UI sets it. */
function flowFor(choice: InboundChoice): string {
  const stream = choice.stream_settings ?? {};
  const network = stream['network'];
  const security = stream['security'];
  const tcp = network === 'tcp' || network === 'raw';
  return choice.protocol === 'vless' && tcp && (security === 'reality' || security === 'tls')
    ? 'xtls-rprx-vision'
    : '';
}

/** The key limit of the user's current plan and the live keys, read under the user's row lock. */
async function readKeyLimit(
  client: pg.PoolClient,
  userId: UserId,
): Promise<{ readonly limit: number; readonly live: number }> {
  const { rows } = await client.query<{ limit: number; live: number }>(
    `select
       (select coalesce(max(coalesce(pl.max_keys, 1)), 1)::int from subscription_periods sp
          left join plans pl on pl.id = sp.plan_id
        where sp.user_id = $1 and sp.cancelled_at is null and sp.starts_at <= now() and now() < sp.ends_at) as limit,
       (select count(*)::int from vpn_keys where user_id = $1 and revoked_at is null) as live`,
    [userId],
  );
  return rows[0] ?? { limit: 1, live: 0 };
}

/** Inserts a key for a user on the chosen (or least-loaded) inbound. */
export async function issueKey(pool: pg.Pool, request: IssueKeyRequest): Promise<IssueKeyOutcome> {
  return withTransaction(pool, async (client) => {
    const user = await client.query('select 1 from users where id = $1 for update', [request.userId]);
    if (user.rowCount !== 1) {
      return { kind: 'unknown-user' };
    }
    if (request.enforceLimit) {
      const counts = await readKeyLimit(client, request.userId);
      if (counts.live >= counts.limit) {
        return { kind: 'limit-reached', limit: counts.limit, live: counts.live };
      }
    }
    return insertKey(client, request);
  });
}

/** What replacing did. */
export type ReplaceKeyOutcome =
  | { readonly kind: 'replaced'; readonly key: IssuedKey; readonly oldKeyId: KeyId }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'limit-reached'; readonly limit: number; readonly live: number }
  | { readonly kind: 'no-inbound' }
  | { readonly kind: 'unknown-user' };

/**
 * Replaces one of a user's live keys: a new key is inserted and the old one revoked in one
 * transaction under the user's row lock, so concurrent presses (from several chats: updates are
 * serialised per chat only) cannot take the user past the plan's key limit: the second finds the
 * old key revoked. The user's live keys after the swap must fit the limit (a downgraded plan
 * refuses it). When no inbound can take the new key, the old key stays.
 */
export async function replaceKey(
  pool: pg.Pool,
  request: { readonly userId: UserId; readonly keyId: KeyId },
): Promise<ReplaceKeyOutcome> {
  return withTransaction(pool, async (client) => {
    const user = await client.query('select 1 from users where id = $1 for update', [request.userId]);
    if (user.rowCount !== 1) {
      return { kind: 'unknown-user' };
    }
    const old = await client.query(
      'select 1 from vpn_keys where id = $1 and user_id = $2 and revoked_at is null for update',
      [request.keyId, request.userId],
    );
    if (old.rowCount !== 1) {
      return { kind: 'not-found' };
    }
    const counts = await readKeyLimit(client, request.userId);
    // The old key goes, so the count after the swap is the count now.
    if (counts.live > counts.limit) {
      return { kind: 'limit-reached', limit: counts.limit, live: counts.live };
    }
    const issued = await insertKey(client, { userId: request.userId, enforceLimit: true });
    if (issued.kind === 'unknown-inbound') {
      // Cannot happen without a named inbound; the old key stays either way.
      return { kind: 'no-inbound' };
    }
    if (issued.kind !== 'issued') {
      return issued;
    }
    await client.query('update vpn_keys set revoked_at = now() where id = $1', [request.keyId]);
    return { kind: 'replaced', key: issued.key, oldKeyId: request.keyId };
  });
}

/** Chooses an inbound and inserts the key row (the caller holds the user's row lock). */
async function insertKey(
  client: pg.PoolClient,
  request: IssueKeyRequest,
): Promise<
  Extract<IssueKeyOutcome, { kind: 'issued' } | { kind: 'no-inbound' } | { kind: 'unknown-inbound' }>
> {
  const { rows: choices } = await client.query<InboundChoice>(
    `select i.panel_id, i.inbound_id, i.protocol, i.settings, i.stream_settings
     from inbounds i join panels p on p.id = i.panel_id
     where p.is_enabled and not p.suspended and i.is_enabled and i.missing_since is null
       and i.protocol = any($1::text[])
       and ($2::bigint is null or i.panel_id = $2) and ($3::int is null or i.inbound_id = $3)
     order by (select count(*) from vpn_keys k where k.panel_id = i.panel_id and k.revoked_at is null),
              (select count(*) from vpn_keys k
               where k.panel_id = i.panel_id and k.inbound_id = i.inbound_id and k.revoked_at is null),
              i.panel_id, i.inbound_id
     limit 1`,
    [KEY_PROTOCOLS, request.panelId ?? null, request.inboundId ?? null],
  );
  let choice = choices[0];
  if (!choice && request.panelId !== undefined && request.inboundId !== undefined) {
    const { rows: known } = await client.query<{ inbound_id: number; missing_since: Date | null }>(
      'select inbound_id, missing_since from inbounds where panel_id = $1',
      [request.panelId],
    );
    const named = known.find((row) => row.inbound_id === request.inboundId);
    if (known.length > 0 && (named === undefined || named.missing_since !== null)) {
      // The panel has been read and this inbound is not on it: a key there would never exist.
      return { kind: 'unknown-inbound', missingSince: named?.missing_since ?? null };
    }
    // A panel the reconciler has not read yet (a fresh panel): trust the admin; the reconciler marks
    // the key needs-human if the inbound does not exist.
    const panel = await client.query('select 1 from panels where id = $1', [request.panelId]);
    if (panel.rowCount === 1 && known.length === 0) {
      choice = {
        panel_id: request.panelId,
        inbound_id: request.inboundId,
        protocol: null,
        settings: null,
        stream_settings: null,
      };
    }
  }
  if (!choice) {
    return { kind: 'no-inbound' };
  }
  const { rows } = await client.query<{ id: string; email: string }>(
    `insert into vpn_keys (user_id, panel_id, inbound_id, flow, secret)
     values ($1, $2, $3, $4, coalesce($5, replace(gen_random_uuid()::text, '-', '')))
     returning id, email`,
    [request.userId, choice.panel_id, choice.inbound_id, flowFor(choice), secretFor(choice)],
  );
  const row = rows[0];
  if (!row) {
    throw new Error('insert of a key returned no row');
  }
  return {
    kind: 'issued',
    key: {
      id: asKeyId(row.id),
      email: row.email,
      panelId: asPanelId(choice.panel_id),
      inboundId: asInboundId(choice.inbound_id),
    },
  };
}

/** What revoking did. */
export type RevokeKeyOutcome = 'revoked' | 'already-revoked' | 'not-found';

/**
 * Revokes a key (from now). The reconciler disables its client; clients are never deleted
 * automatically. With `userId`, only that user's key can be revoked (the bot's rule).
 */
export async function revokeKey(
  db: pg.Pool | pg.ClientBase,
  keyId: KeyId,
  options: { readonly userId?: UserId } = {},
): Promise<RevokeKeyOutcome> {
  const { rows } = await db.query<{ revoked_now: boolean }>(
    `with target as (select id, revoked_at from vpn_keys where id = $1 and ($2::bigint is null or user_id = $2) for update),
          updated as (update vpn_keys k set revoked_at = now() from target t
                      where k.id = t.id and t.revoked_at is null returning k.id)
     select exists (select 1 from updated) as revoked_now from target`,
    [keyId, options.userId ?? null],
  );
  const row = rows[0];
  if (!row) {
    return 'not-found';
  }
  return row.revoked_now ? 'revoked' : 'already-revoked';
}

/** What an admin's replacement did. */
export type AdminReplaceKeyOutcome =
  | { readonly kind: 'replaced'; readonly key: IssuedKey; readonly userId: UserId }
  | { readonly kind: 'revoked-already' | 'not-found' | 'no-inbound' };

/**
 * An admin replaces a key (console, CLI; e.g. after a leaked link): a new key (new UUID, new client
 * email) on the same panel and inbound, and the old one revoked, in one transaction under the
 * user's row lock. The plan's key limit is not checked (the count does not change). When the
 * inbound cannot take the new key, the old key stays.
 */
export async function replaceKeyAsAdmin(pool: pg.Pool, keyId: KeyId): Promise<AdminReplaceKeyOutcome> {
  return withTransaction(pool, async (client): Promise<AdminReplaceKeyOutcome> => {
    const { rows } = await client.query<{
      user_id: string;
      panel_id: string;
      inbound_id: number;
      revoked: boolean;
    }>(
      'select user_id, panel_id, inbound_id, revoked_at is not null as revoked from vpn_keys where id = $1',
      [keyId],
    );
    const row = rows[0];
    if (row === undefined) {
      return { kind: 'not-found' };
    }
    const userId = asUserId(row.user_id);
    await client.query('select 1 from users where id = $1 for update', [userId]);
    const locked = await client.query(
      'select 1 from vpn_keys where id = $1 and revoked_at is null for update',
      [keyId],
    );
    if (locked.rowCount !== 1) {
      return { kind: 'revoked-already' };
    }
    const issued = await insertKey(client, {
      userId,
      panelId: asPanelId(row.panel_id),
      inboundId: asInboundId(row.inbound_id),
      enforceLimit: false,
    });
    if (issued.kind !== 'issued') {
      return { kind: 'no-inbound' };
    }
    await client.query('update vpn_keys set revoked_at = now() where id = $1', [keyId]);
    return { kind: 'replaced', key: issued.key, userId };
  });
}
