/**
 * The snapshot read (DESIGN.md §2): one read-only, repeatable-read transaction, so every row comes
 * from the same moment, and `now` is the DB clock at its start. Entitlement is `kw_entitlements`'
 * definition (migrations/001_schema.sql) evaluated set-based for the users in scope (KEYS_SQL). A
 * failed read throws: never a partial or empty result.
 */
import type pg from 'pg';
import { openPanelAuth, withTransaction, type SecretBox } from '../db/index.ts';
import {
  asClientEmail,
  asInboundId,
  asKeyId,
  asPanelId,
  asUserId,
  type ApiGeneration,
  type KeyRecord,
  type ObservedInbound,
  type PanelId,
  type PanelRecord,
  type UserId,
  type ValveWindow,
  type OutsideBatch,
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
  previous_kind: string | null;
  quota_period_id: string | null;
  quota_baseline_bytes: string | null;
}

/**
 * Entitlement, set-based: the same definition as `kw_entitlements` (migrations/001_schema.sql), one
 * pass over the live periods of the users in scope instead of correlated subqueries per user, so a
 * full pass over 100,000 keys stays well under a second. tests/integration/store/entitlement-set.test.ts
 * checks that both agree on the shared table of cases and on random data.
 *
 * - covered: a live period has starts_at <= at < ends_at + grace (entitled unless banned by `at`);
 * - entitled_until: the end of the merged run of live periods that covers `at` (periods that touch
 *   or overlap merge, as kw_entitlements' "first end no other period covers");
 * - next_boundary: the next start, end (grace included) or ban after `at`.
 *
 * $1 at, $2 grace, $3 panel ids, $4 user ids (null = every user with a key on those panels).
 */
export const KEYS_SQL = `
  with scope_keys as materialized (
    select k.id, k.user_id, k.panel_id, k.inbound_id, k.email, k.client_uuid, k.secret, k.sub_id, k.flow,
           k.revoked_at
    from vpn_keys k
    where k.panel_id = any($3::bigint[]) and ($4::bigint[] is null or k.user_id = any($4::bigint[]))
  ),
  live as materialized (
    select p.user_id, p.id, p.starts_at, p.ends_at + $2::interval as ends
    from subscription_periods p
    where p.cancelled_at is null
      and p.user_id in (select user_id from scope_keys)
  ),
  runs as (
    select l.user_id, l.starts_at, l.ends,
           sum(case when l.starts_at > l.prev_end then 1 else 0 end)
             over (partition by l.user_id order by l.starts_at, l.id) as run
    from (
      select l.*, coalesce(max(l.ends) over (partition by l.user_id order by l.starts_at, l.id
                                             rows between unbounded preceding and 1 preceding),
                           '-infinity') as prev_end
      from live l
    ) l
  ),
  covering_run as (
    select user_id, max(ends) as ends from runs group by user_id, run
    having min(starts_at) <= $1 and $1 < max(ends)
  ),
  per_user as (
    select l.user_id,
           bool_or(l.starts_at <= $1 and $1 < l.ends) as covered,
           bool_or(l.starts_at <= $1) as has_had,
           max(l.id) filter (where l.starts_at <= $1) as latest_period_id,
           max(l.ends) filter (where l.ends <= $1) as last_ended_at,
           least(min(l.starts_at) filter (where l.starts_at > $1), min(l.ends) filter (where l.ends > $1)) as next_moment,
           (array_agg(l.id order by l.starts_at desc, l.id desc) filter (where l.starts_at <= $1 and $1 < l.ends))[1] as cover_id
    from live l
    group by l.user_id
  )
  select k.id, k.user_id, u.telegram_id, k.panel_id, k.inbound_id, k.email, k.client_uuid::text,
         k.secret, k.sub_id, k.flow,
         k.revoked_at is not null and k.revoked_at <= $1 as revoked,
         u.banned_at is not null and u.banned_at <= $1 as banned,
         coalesce(pu.covered, false) and (u.banned_at is null or u.banned_at > $1) as is_entitled,
         case when coalesce(pu.covered, false) and (u.banned_at is null or u.banned_at > $1) then cr.ends end
           as entitled_until,
         coalesce(pu.has_had, false) as has_had,
         pl.traffic_limit_bytes as quota_bytes,
         pu.latest_period_id::text as latest_period_id,
         pu.cover_id::text as current_period_id,
         greatest(cp.starts_at, cp.created_at) as entitled_since,
         pu.last_ended_at,
         least(pu.next_moment, case when u.banned_at > $1 then u.banned_at end) as next_boundary,
         s.desired ->> 'kind' as previous_kind,
         s.quota_period_id::text as quota_period_id,
         s.quota_baseline_bytes::text as quota_baseline_bytes
  from scope_keys k
  join users u on u.id = k.user_id
  left join per_user pu on pu.user_id = k.user_id
  left join covering_run cr on cr.user_id = k.user_id
  left join subscription_periods cp on cp.id = pu.cover_id
  left join plans pl on pl.id = cp.plan_id
  left join key_state s on s.key_id = k.id
  order by k.id`;

/** Key rows fetched per round trip of the snapshot's cursor. */
const SNAPSHOT_CHUNK_ROWS = 5_000;

/**
 * Reads a snapshot of `panelIds` (every enabled panel when undefined) with `graceMs` of grace: every
 * key of those panels, or, for a targeted pass, only the keys of `userIds`. Disabled panels are left
 * out; their keys are not touched. `secrets` opens sealed panel credentials.
 */
export async function readSnapshot(
  pool: pg.Pool,
  panelIds: ReadonlyArray<PanelId> | undefined,
  graceMs: number,
  userIds?: ReadonlyArray<UserId>,
  secrets?: SecretBox,
  valveWindowMs = 600_000,
): Promise<SnapshotRead> {
  return withTransaction(
    pool,
    async (client) => {
      const { rows: clock } = await client.query<{ now: Date }>('select now() as now');
      const now = clock[0]?.now;
      const clockReadAtMs = Date.now();
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
          // Through the panels repository: sealed credentials are opened there (throws PanelAuthError).
          auth: openPanelAuth(row.id, row.auth, secrets),
          apiGeneration:
            row.api_generation === 'g1' || row.api_generation === 'g2'
              ? (row.api_generation satisfies ApiGeneration)
              : undefined,
          tlsSkipVerify: row.tls_skip_verify,
          caPem: row.ca_pem ?? undefined,
        });
      }
      const panelIdList = panelRows.map((row) => row.id);
      const { rows: confirmed } = await client.query<{ fingerprint: string }>(
        'select fingerprint from held_plans where confirmed_at is not null and resolved_at is null',
      );
      const { valveWindow, desiredEnabledByPanel } = await readValveWindow(client, now, valveWindowMs);
      const fixes = await readRecentFixes(client, now, panelIdList);
      // The key rows come through a cursor, a chunk at a time: 100,000 rows fetched at once would
      // hold the whole wire result, the parsed rows and the records in memory together.
      // Every row is read: plan for all of them, not for a fast first row (nested loops per key).
      await client.query('set local cursor_tuple_fraction = 1');
      await client.query(`declare snapshot_keys no scroll cursor for ${KEYS_SQL}`, [
        now,
        grace,
        panelIdList,
        userIds === undefined ? null : [...userIds],
      ]);
      // Users without a live key cannot change any panel: their boundaries do not wake the timer.
      let nextBoundaryAt: Date | null = null;
      const keys: KeyRecord[] = [];
      for (;;) {
        const { rows } = await client.query<KeyRow>(
          `fetch ${String(SNAPSHOT_CHUNK_ROWS)} from snapshot_keys`,
        );
        for (const row of rows) {
          const boundary = row.next_boundary;
          if (boundary !== null && !row.revoked && (nextBoundaryAt === null || boundary < nextBoundaryAt)) {
            nextBoundaryAt = boundary;
          }
          keys.push({ ...keyRecordOf(row), ...recentFixOf(fixes, row.id) });
        }
        if (rows.length < SNAPSHOT_CHUNK_ROWS) {
          break;
        }
      }
      await client.query('close snapshot_keys');
      const targeted =
        userIds === undefined
          ? undefined
          : await readTargetedExtras(client, panelIdList, userIds, valveWindow, desiredEnabledByPanel);
      return {
        snapshot: {
          now,
          panels,
          keys,
          nextBoundaryAt,
          confirmedHolds: new Set(confirmed.map((row) => row.fingerprint)),
          valveWindow:
            targeted === undefined ? valveWindow : { ...valveWindow, outsideBatch: targeted.outsideBatch },
        },
        connections,
        clockReadAtMs,
        ...(targeted === undefined ? {} : { storedInbounds: targeted.storedInbounds }),
      };
    },
    { readOnly: true, isolation: 'repeatable read' },
  );
}

/**
 * The safety valve's window (issue 11): disables applied within it per enabled panel, and the keys
 * last recorded enabled per panel. It covers every enabled panel, so per-panel and targeted passes
 * see each other's disables.
 */
async function readValveWindow(
  client: pg.PoolClient,
  now: Date,
  windowMs: number,
): Promise<{
  readonly valveWindow: ValveWindow;
  /**
   * Of the keys recorded enabled, those also recorded as desired enabled, per panel (a targeted
   * pass's batch is judged with them; see `OutsideBatch.desiredEnabled`).
   */
  readonly desiredEnabledByPanel: ReadonlyMap<PanelId, number>;
}> {
  const { rows: recentDisables } = await client.query<{ panel_id: string; n: number }>(
    `select e.panel_id::text, count(*)::int as n from reconcile_events e join panels p on p.id = e.panel_id
     where p.is_enabled and e.action = 'disable' and e.outcome in ('applied', 'unconfirmed')
       and e.at > $1::timestamptz - make_interval(secs => $2::float8 / 1000)
     group by e.panel_id`,
    [now, windowMs],
  );
  // The desired count rides on the same scan and filter (an OR over all rows cost activation ~20 ms
  // at 100,000 keys), so it counts only keys that serve a client.
  const { rows: enabledRows } = await client.query<{ panel_id: string; n: number; desired_enabled: number }>(
    `select k.panel_id::text, count(*)::int as n,
            count(*) filter (where s.desired ->> 'kind' = 'enabled')::int as desired_enabled
     from key_state s join vpn_keys k on k.id = s.key_id join panels p on p.id = k.panel_id
     where p.is_enabled and s.observed ->> 'kind' = 'present' and (s.observed ->> 'enable')::boolean
     group by k.panel_id`,
  );
  return {
    valveWindow: {
      disablesByPanel: new Map(recentDisables.map((row) => [asPanelId(row.panel_id), row.n])),
      enabledByPanel: new Map(enabledRows.map((row) => [asPanelId(row.panel_id), row.n])),
    },
    desiredEnabledByPanel: new Map(enabledRows.map((row) => [asPanelId(row.panel_id), row.desired_enabled])),
  };
}

/**
 * The correction applied most often to each key of `panelIds` within the fix window (same action,
 * same before and after): a count of FIX_ATTEMPTS means the panel keeps undoing it (issue 11).
 */
async function readRecentFixes(
  client: pg.PoolClient,
  now: Date,
  panelIds: ReadonlyArray<string>,
): Promise<ReadonlyMap<string, RecentFix>> {
  const { rows } = await client.query<{
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
    [panelIds, now, FIX_WINDOW_MS],
  );
  return new Map(
    rows.map((row) => [row.key_id, { kind: row.action, before: row.before, after: row.after, count: row.n }]),
  );
}

/** `{ recentFix }` when the key has one, else nothing (the field is optional, never undefined). */
function recentFixOf(fixes: ReadonlyMap<string, RecentFix>, keyId: string): { recentFix?: RecentFix } {
  const fix = fixes.get(keyId);
  return fix === undefined ? {} : { recentFix: fix };
}

function keyRecordOf(row: KeyRow): KeyRecord {
  const kind = row.previous_kind;
  return {
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
    quotaBaseline:
      row.quota_period_id !== null && row.quota_baseline_bytes !== null
        ? { periodId: row.quota_period_id, bytes: Number(row.quota_baseline_bytes) }
        : null,
    previousDesiredKind: kind === 'enabled' || kind === 'disabled' ? kind : null,
    entitledSince: row.entitled_since,
    lastEndedAt: row.last_ended_at,
  };
}

/**
 * What only a targeted pass reads: the inbounds as last observed (it may read single clients, not the
 * inbound list), and the panel's keys outside the batch as last recorded (the valve judges a batch
 * against its whole panel): the panel's counts from the valve window less the batch's own, so only
 * the batch's rows are read here.
 */
async function readTargetedExtras(
  client: pg.PoolClient,
  panelIds: ReadonlyArray<string>,
  userIds: ReadonlyArray<UserId>,
  window: ValveWindow,
  desiredEnabledByPanel: ReadonlyMap<PanelId, number>,
): Promise<{
  readonly storedInbounds: ReadonlyMap<PanelId, ReadonlyArray<ObservedInbound>>;
  readonly outsideBatch: ReadonlyMap<PanelId, OutsideBatch>;
}> {
  const { rows: batch } = await client.query<{ panel_id: string; enabled: number; desired_enabled: number }>(
    `select k.panel_id::text, count(*)::int as enabled,
            count(*) filter (where s.desired ->> 'kind' = 'enabled')::int as desired_enabled
     from vpn_keys k join key_state s on s.key_id = k.id
     where k.panel_id = any($1::bigint[]) and k.user_id = any($2::bigint[])
       and s.observed ->> 'kind' = 'present' and (s.observed ->> 'enable')::boolean
     group by k.panel_id`,
    [panelIds, [...userIds]],
  );
  const inBatch = new Map(batch.map((row) => [asPanelId(row.panel_id), row]));
  const outsideBatch = new Map<PanelId, OutsideBatch>();
  for (const id of panelIds) {
    const panelId = asPanelId(id);
    const own = inBatch.get(panelId);
    // Same snapshot, same conditions: the differences are exact.
    outsideBatch.set(panelId, {
      enabled: (window.enabledByPanel.get(panelId) ?? 0) - (own?.enabled ?? 0),
      desiredEnabled: (desiredEnabledByPanel.get(panelId) ?? 0) - (own?.desired_enabled ?? 0),
    });
  }
  const { rows } = await client.query<{
    panel_id: string;
    inbound_id: number;
    protocol: string;
    port: number;
    remark: string;
    is_enabled: boolean;
    settings: Record<string, unknown>;
    stream_settings: Record<string, unknown>;
    disable_flow: boolean;
  }>(
    `select panel_id::text, inbound_id, protocol, port, remark, is_enabled, settings, stream_settings, disable_flow
     from inbounds where panel_id = any($1::bigint[]) and missing_since is null`,
    [panelIds],
  );
  const storedInbounds = new Map<PanelId, ObservedInbound[]>();
  for (const row of rows) {
    const panelId = asPanelId(row.panel_id);
    const list = storedInbounds.get(panelId) ?? [];
    list.push({
      panelId,
      id: asInboundId(row.inbound_id),
      protocol: row.protocol,
      port: row.port,
      remark: row.remark,
      listen: '',
      isEnabled: row.is_enabled,
      settings: row.settings,
      streamSettings: row.stream_settings,
      isFlowDisabled: row.disable_flow,
    });
    storedInbounds.set(panelId, list);
  }
  return { storedInbounds, outsideBatch };
}
