/**
 * The snapshot read (DESIGN.md §2): one read-only, repeatable-read transaction, so every row comes
 * from the same moment, and `now` is the DB clock at its start. Entitlement comes from the SQL
 * function `kw_entitlements` (migrations/001_schema.sql). A failed read throws: never a partial or
 * empty result.
 */
import type pg from 'pg';
import { withTransaction } from '../db/index.ts';
import {
  asClientEmail,
  asInboundId,
  asKeyId,
  asPanelId,
  asUserId,
  type ApiGeneration,
  type KeyRecord,
  type PanelId,
  type PanelRecord,
  type QuotaBaseline,
  type ValveWindow,
  type ClientFields,
  type RecentFix,
  FIX_WINDOW_MS,
} from '../domain/index.ts';
import type { PanelConnection, SnapshotRead } from '../reconciler/index.ts';

interface PanelRow {
  id: string;
  name: string;
  base_url: string;
  auth: unknown;
  api_generation: string | null;
  tls_skip_verify: boolean;
  ca_pem: string | null;
  is_enabled: boolean;
  suspended: boolean;
}

interface KeyRow {
  id: string;
  user_id: string;
  telegram_id: string;
  panel_id: string;
  inbound_id: number;
  email: string;
  client_uuid: string;
  secret: string;
  sub_id: string;
  flow: string;
  revoked: boolean;
  banned: boolean;
  is_entitled: boolean;
  entitled_until: Date | null;
  has_had: boolean;
  quota_bytes: string | null;
  latest_period_id: string | null;
  current_period_id: string | null;
  entitled_since: Date | null;
  last_ended_at: Date | null;
  next_boundary: Date | null;
}

/** Thrown when a `panels.auth` value has an unexpected shape (the panel cannot be reached). */
export class PanelAuthParseError extends Error {
  readonly panelId: string;
  constructor(panelId: string) {
    super(`panel ${panelId}: auth must be {kind:"password",username,password} or {kind:"token",token}`);
    this.name = 'PanelAuthParseError';
    this.panelId = panelId;
  }
}

function parseAuth(panelId: string, raw: unknown): PanelConnection['auth'] {
  if (typeof raw === 'object' && raw !== null) {
    const record = raw as Record<string, unknown>;
    if (record['kind'] === 'token' && typeof record['token'] === 'string') {
      return { kind: 'token', token: record['token'] };
    }
    if (
      record['kind'] === 'password' &&
      typeof record['username'] === 'string' &&
      typeof record['password'] === 'string'
    ) {
      return { kind: 'password', username: record['username'], password: record['password'] };
    }
  }
  throw new PanelAuthParseError(panelId);
}

const KEYS_SQL = `
  with ent as materialized (select * from kw_entitlements($1, $2::interval))
  select (select min(e.next_boundary_at) from ent e
          where exists (select 1 from vpn_keys v where v.user_id = e.user_id and v.revoked_at is null)) as next_boundary,
         k.id, k.user_id, u.telegram_id, k.panel_id, k.inbound_id, k.email, k.client_uuid::text,
         k.secret, k.sub_id, k.flow,
         k.revoked_at is not null and k.revoked_at <= $1 as revoked,
         u.banned_at is not null and u.banned_at <= $1 as banned,
         coalesce(ent.is_entitled, false) as is_entitled, ent.entitled_until,
         coalesce(agg.has_had, false) as has_had,
         cover.traffic_limit_bytes as quota_bytes,
         agg.latest_period_id::text as latest_period_id,
         cover.id::text as current_period_id,
         cover.since as entitled_since,
         agg.last_ended_at
  from vpn_keys k
  join users u on u.id = k.user_id
  left join ent on ent.user_id = k.user_id
  left join lateral (
    select bool_or(p.starts_at <= $1) as has_had,
           max(p.id) filter (where p.starts_at <= $1) as latest_period_id,
           max(p.ends_at + $2::interval) filter (where p.ends_at + $2::interval <= $1) as last_ended_at
    from subscription_periods p
    where p.user_id = k.user_id and p.cancelled_at is null
  ) agg on true
  left join lateral (
    select p.id, greatest(p.starts_at, p.created_at) as since, pl.traffic_limit_bytes
    from subscription_periods p left join plans pl on pl.id = p.plan_id
    where p.user_id = k.user_id and p.cancelled_at is null and p.starts_at <= $1 and $1 < p.ends_at + $2::interval
    order by p.starts_at desc, p.id desc
    limit 1
  ) cover on true
  where k.panel_id = any($3::bigint[])
  order by k.id`;

/** `{ recentFix }` when the key has one, else nothing (the field is optional, never undefined). */
function recentFixOf(fixes: ReadonlyMap<string, RecentFix>, keyId: string): { recentFix?: RecentFix } {
  const fix = fixes.get(keyId);
  return fix === undefined ? {} : { recentFix: fix };
}

/**
 * Reads a snapshot of `panelIds` (every enabled panel when undefined) with `graceMs` of grace.
 * Disabled panels are left out; their keys are not touched.
 */
export async function readSnapshot(
  pool: pg.Pool,
  panelIds: ReadonlyArray<PanelId> | undefined,
  graceMs: number,
  valveWindowMs = 600_000,
): Promise<SnapshotRead> {
  return withTransaction(
    pool,
    async (client) => {
      const { rows: clock } = await client.query<{ now: Date }>('select now() as now');
      const now = clock[0]?.now;
      if (now === undefined) {
        throw new Error('snapshot: the clock query returned no row');
      }
      const grace = `${String(graceMs)} milliseconds`;
      const { rows: panelRows } = await client.query<PanelRow>(
        `select id, name, base_url, auth, api_generation, tls_skip_verify, ca_pem, is_enabled, suspended
         from panels where is_enabled and ($1::bigint[] is null or id = any($1::bigint[])) order by id`,
        [panelIds === undefined ? null : [...panelIds]],
      );
      const panels: PanelRecord[] = [];
      const connections = new Map<PanelId, PanelConnection>();
      for (const row of panelRows) {
        const panelId = asPanelId(row.id);
        panels.push({ panelId, name: row.name, isEnabled: row.is_enabled, isSuspended: row.suspended });
        connections.set(panelId, {
          id: panelId,
          name: row.name,
          baseUrl: row.base_url,
          auth: parseAuth(row.id, row.auth),
          apiGeneration:
            row.api_generation === 'g1' || row.api_generation === 'g2'
              ? (row.api_generation satisfies ApiGeneration)
              : undefined,
          tlsSkipVerify: row.tls_skip_verify,
          caPem: row.ca_pem ?? undefined,
        });
      }
      const { rows: keyRows } = await client.query<KeyRow>(KEYS_SQL, [
        now,
        grace,
        panelRows.map((row) => row.id),
      ]);
      // The next boundary comes with the key rows (one evaluation of kw_entitlements); only a pass
      // that found no keys needs its own query. Users without a live key cannot change any panel.
      let nextBoundaryAt: Date | null;
      if (keyRows[0] !== undefined) {
        nextBoundaryAt = keyRows[0].next_boundary;
      } else {
        const { rows: boundary } = await client.query<{ next: Date | null }>(
          `select min(e.next_boundary_at) as next from kw_entitlements($1, $2::interval) e
           where exists (select 1 from vpn_keys v where v.user_id = e.user_id and v.revoked_at is null)`,
          [now, grace],
        );
        nextBoundaryAt = boundary[0]?.next ?? null;
      }
      // Read apart from the key query: key_state is written in bulk by the reconciler, and a plan built
      // on stale statistics (an "empty" key_state) would turn a join into a scan per key.
      const { rows: previous } = await client.query<{
        key_id: string;
        kind: string | null;
        quota_period_id: string | null;
        quota_baseline_bytes: string | null;
      }>(
        `select s.key_id::text, s.desired ->> 'kind' as kind,
                s.quota_period_id::text, s.quota_baseline_bytes::text
         from vpn_keys k join key_state s on s.key_id = k.id where k.panel_id = any($1::bigint[])`,
        [panelRows.map((row) => row.id)],
      );
      const previousKinds = new Map<string, 'enabled' | 'disabled'>();
      const baselines = new Map<string, QuotaBaseline>();
      for (const row of previous) {
        if (row.kind === 'enabled' || row.kind === 'disabled') {
          previousKinds.set(row.key_id, row.kind);
        }
        if (row.quota_period_id !== null && row.quota_baseline_bytes !== null) {
          baselines.set(row.key_id, {
            periodId: row.quota_period_id,
            bytes: Number(row.quota_baseline_bytes),
          });
        }
      }
      const { rows: confirmed } = await client.query<{ fingerprint: string }>(
        'select fingerprint from held_plans where confirmed_at is not null and resolved_at is null',
      );
      // The valve's window covers every enabled panel, so per-panel passes see each other's disables.
      const { rows: recentDisables } = await client.query<{ panel_id: string; n: number }>(
        `select e.panel_id::text, count(*)::int as n from reconcile_events e join panels p on p.id = e.panel_id
         where p.is_enabled and e.action = 'disable' and e.outcome in ('applied', 'unconfirmed')
           and e.at > $1::timestamptz - make_interval(secs => $2::float8 / 1000)
         group by e.panel_id`,
        [now, valveWindowMs],
      );
      const { rows: enabledRows } = await client.query<{ panel_id: string; n: number }>(
        `select k.panel_id::text, count(*)::int as n
         from key_state s join vpn_keys k on k.id = s.key_id join panels p on p.id = k.panel_id
         where p.is_enabled and s.observed ->> 'kind' = 'present' and (s.observed ->> 'enable')::boolean
         group by k.panel_id`,
      );
      const valveWindow: ValveWindow = {
        disablesByPanel: new Map(recentDisables.map((row) => [asPanelId(row.panel_id), row.n])),
        enabledByPanel: new Map(enabledRows.map((row) => [asPanelId(row.panel_id), row.n])),
      };
      // The correction applied most often to each key within the fix window (same before and after):
      // a count of FIX_ATTEMPTS means the panel keeps undoing it (issue 11, item 7).
      const { rows: fixRows } = await client.query<{
        key_id: string;
        action: 'enable' | 'disable' | 'update';
        before: ClientFields;
        after: ClientFields;
        n: number;
      }>(
        `select distinct on (e.key_id) e.key_id::text, e.action, e.before, e.after, count(*)::int as n
         from reconcile_events e join vpn_keys k on k.id = e.key_id
         where k.panel_id = any($1::bigint[]) and e.outcome = 'applied'
           and e.action in ('enable', 'disable', 'update') and e.before is not null and e.after is not null
           and e.at > $2::timestamptz - make_interval(secs => $3::float8 / 1000)
         group by e.key_id, e.action, e.before, e.after
         order by e.key_id, count(*) desc`,
        [panelRows.map((row) => row.id), now, FIX_WINDOW_MS],
      );
      const fixes = new Map<string, RecentFix>(
        fixRows.map((row) => [
          row.key_id,
          { kind: row.action, before: row.before, after: row.after, count: row.n },
        ]),
      );
      const keys = keyRows.map((row): KeyRecord => ({
        keyId: asKeyId(row.id),
        userId: asUserId(row.user_id),
        telegramId: Number(row.telegram_id),
        panelId: asPanelId(row.panel_id),
        inboundId: asInboundId(row.inbound_id),
        email: asClientEmail(row.email),
        clientUuid: row.client_uuid,
        secret: row.secret,
        subId: row.sub_id,
        flow: row.flow,
        isRevoked: row.revoked,
        isBanned: row.banned,
        isEntitled: row.is_entitled,
        entitledUntil: row.entitled_until,
        hasHadSubscription: row.has_had,
        quotaBytes: row.quota_bytes === null ? null : Number(row.quota_bytes),
        latestPeriodId: row.latest_period_id,
        currentPeriodId: row.current_period_id,
        quotaBaseline: baselines.get(row.id) ?? null,
        previousDesiredKind: previousKinds.get(row.id) ?? null,
        entitledSince: row.entitled_since,
        lastEndedAt: row.last_ended_at,
        ...recentFixOf(fixes, row.id),
      }));
      return {
        snapshot: {
          now,
          panels,
          keys,
          nextBoundaryAt,
          confirmedHolds: new Set(confirmed.map((row) => row.fingerprint)),
          valveWindow,
        },
        connections,
      };
    },
    { readOnly: true, isolation: 'repeatable read' },
  );
}
