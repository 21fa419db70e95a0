/**
 * What the subscription server needs to answer for one customer, read in one repeatable-read,
 * read-only transaction on the database clock: entitlement (the one SQL definition,
 * `kw_entitlements`), the plan of the period being counted, usage this period across the customer's
 * keys, and every live key with its desired state and observed inbound.
 */
import type pg from 'pg';
import { asKeyId, type KeyId, type UserId } from '../../domain/index.ts';
import { withTransaction } from '../pool.ts';
import { inboundOfRow, type ObservedInboundView } from '../queries/inbound-row.ts';

/** One live key of the customer, with what a connection needs (inbound null while unobserved). */
export interface SubscriptionKey {
  readonly id: KeyId;
  readonly email: string;
  readonly clientUuid: string;
  readonly secret: string;
  readonly flow: string;
  /** `key_state.desired.kind` is `enabled` (the reconciler wants this key on). */
  readonly isEnabled: boolean;
  readonly panelName: string;
  /** `panels.public_host` (null when unset) and `panels.base_url`: where clients connect. */
  readonly publicHost: string | null;
  readonly baseUrl: string;
  readonly inbound: ObservedInboundView | null;
}

/** A customer's subscription as of `now` (DB clock). */
export interface SubscriptionView {
  readonly userId: UserId;
  readonly now: Date;
  readonly language: string | null;
  readonly isBanned: boolean;
  readonly isEntitled: boolean;
  /**
   * End of coverage (grace included): while entitled, when continuous coverage ends; otherwise when
   * the last period ended (null if the customer never had one).
   */
  readonly coverageEndsAt: Date | null;
  /** The plan of the period being counted now (null: no period covers now, or it has no plan). */
  readonly plan: {
    readonly code: string;
    readonly title: string;
    readonly trafficLimitBytes: number | null;
    readonly maxDevices: number | null;
  } | null;
  /**
   * Traffic this period across all the customer's keys: for each key whose baseline belongs to the
   * current period, up+down as last observed minus the baseline (docs/architecture.md, Quotas).
   */
  readonly usedBytes: number;
  readonly keys: readonly SubscriptionKey[];
}

interface HeadRow {
  now: Date;
  language: string | null;
  banned: boolean;
  is_entitled: boolean | null;
  entitled_until: Date | null;
  last_ended_at: Date | null;
  period_id: string | null;
  plan_code: string | null;
  plan_title: string | null;
  traffic_limit_bytes: string | null;
  max_devices: number | null;
}

interface KeyRow {
  id: string;
  email: string;
  client_uuid: string;
  secret: string;
  flow: string;
  enabled: boolean;
  panel_name: string;
  public_host: string | null;
  base_url: string;
  protocol: string | null;
  port: number | null;
  remark: string | null;
  settings: unknown;
  stream_settings: unknown;
}

const HEAD_SQL = `
  select now() as now, u.language, (u.banned_at is not null and u.banned_at <= now()) as banned,
         e.is_entitled, e.entitled_until,
         (select max(p.ends_at + $2::interval) from subscription_periods p
          where p.user_id = u.id and p.cancelled_at is null and p.ends_at + $2::interval <= now()) as last_ended_at,
         cover.id::text as period_id, pl.code as plan_code, pl.title as plan_title,
         pl.traffic_limit_bytes::text as traffic_limit_bytes, pl.max_devices
  from users u
  left join kw_entitlements(now(), $2::interval) e on e.user_id = u.id
  left join lateral (
    select p.id, p.plan_id from subscription_periods p
    where p.user_id = u.id and p.cancelled_at is null and p.starts_at <= now() and now() < p.ends_at + $2::interval
    order by p.starts_at desc, p.id desc
    limit 1
  ) cover on true
  left join plans pl on pl.id = cover.plan_id
  where u.id = $1`;

const USAGE_SQL = `
  select coalesce(sum(greatest(0,
           coalesce((s.observed ->> 'upBytes')::bigint, 0) + coalesce((s.observed ->> 'downBytes')::bigint, 0)
           - s.quota_baseline_bytes)), 0)::text as used
  from vpn_keys k join key_state s on s.key_id = k.id
  where k.user_id = $1 and s.quota_period_id = $2 and s.observed ->> 'kind' = 'present'`;

const KEYS_SQL = `
  select k.id, k.email, k.client_uuid::text as client_uuid, k.secret, k.flow,
         coalesce(s.desired ->> 'kind' = 'enabled', false) as enabled,
         p.name as panel_name, p.public_host, p.base_url,
         i.protocol, i.port, i.remark, i.settings, i.stream_settings
  from vpn_keys k
  join panels p on p.id = k.panel_id
  left join key_state s on s.key_id = k.id
  left join inbounds i on i.panel_id = k.panel_id and i.inbound_id = k.inbound_id
  where k.user_id = $1 and k.revoked_at is null
  order by k.id`;

/** Reads the subscription of `userId` with `graceMs` of grace; null when the user does not exist. */
export async function readSubscriptionView(
  pool: pg.Pool,
  userId: UserId,
  graceMs: number,
): Promise<SubscriptionView | null> {
  const grace = `${String(graceMs)} milliseconds`;
  return withTransaction(
    pool,
    async (client) => {
      const { rows: heads } = await client.query<HeadRow>(HEAD_SQL, [userId, grace]);
      const head = heads[0];
      if (head === undefined) {
        return null;
      }
      const { rows: usage } =
        head.period_id === null
          ? { rows: [{ used: '0' }] }
          : await client.query<{ used: string }>(USAGE_SQL, [userId, head.period_id]);
      const { rows: keyRows } = await client.query<KeyRow>(KEYS_SQL, [userId]);
      const isEntitled = head.is_entitled === true && !head.banned;
      return {
        userId,
        now: head.now,
        language: head.language,
        isBanned: head.banned,
        isEntitled,
        coverageEndsAt: isEntitled ? head.entitled_until : head.last_ended_at,
        plan:
          head.plan_code === null
            ? null
            : {
                code: head.plan_code,
                title: head.plan_title ?? head.plan_code,
                trafficLimitBytes:
                  head.traffic_limit_bytes === null ? null : Number(head.traffic_limit_bytes),
                maxDevices: head.max_devices,
              },
        usedBytes: Number(usage[0]?.used ?? '0'),
        keys: keyRows.map((row) => ({
          id: asKeyId(row.id),
          email: row.email,
          clientUuid: row.client_uuid,
          secret: row.secret,
          flow: row.flow,
          isEnabled: row.enabled,
          panelName: row.panel_name,
          publicHost: row.public_host,
          baseUrl: row.base_url,
          inbound: inboundOfRow(row),
        })),
      };
    },
    { readOnly: true, isolation: 'repeatable read' },
  );
}
