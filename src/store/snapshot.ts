/**
 * The snapshot read (DESIGN.md §2): one read-only, repeatable-read transaction, so every row comes
 * from the same moment, and `now` is the DB clock at its start. Entitlement is `kw_entitlements`'
 * definition (migrations/001_schema.sql) evaluated set-based for the users in scope (KEYS_SQL). A
 * failed read throws: never a partial or empty result.
 */
import pg from 'pg';
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

/**
 * One row of KEYS_SQL, fetched in array mode (no per-row object) in this column order (the SQL
 * names each column after its label here, snake_cased; tests read them by name). Times are whole
 * epoch milliseconds (float8: parsed as a number, not by a date parser), computed in floating point
 * as `round(date_part('epoch', date_trunc('milliseconds', t)) * 1000)`: exact (the time truncated to
 * the millisecond, as a Date holds it) and about 0.4 µs a value cheaper than `extract(epoch ...)`,
 * whose numeric result and cast to float8 cost ~0.1 s of Postgres CPU at 100,000 keys. Ids are
 * bigint (and the client uuid uuid), kept as the text Postgres sends (KEY_ROW_TYPES), not cast to
 * text in the query; byte counts are float8 (exact below 2^53).
 */
type KeyRow = [
  id: string,
  userId: string,
  telegramId: number,
  panelId: string,
  inboundId: number,
  email: string,
  clientUuid: string,
  secret: string,
  subId: string,
  flow: string,
  flags: number,
  entitledUntilMs: number | null,
  quotaBytes: number | null,
  latestPeriodId: string | null,
  currentPeriodId: string | null,
  entitledSinceMs: number | null,
  lastEndedAtMs: number | null,
  nextBoundaryMs: number | null,
  quotaPeriodId: string | null,
  quotaBaselineBytes: number | null,
];

/**
 * The yes/no columns of a key row packed into one integer (`flags`): one value to parse per row
 * instead of seven. `previousEnabled`/`previousDisabled`: `key_state.desired.kind` of the last pass.
 */
export const KEY_FLAGS = {
  revoked: 1,
  banned: 2,
  entitled: 4,
  hasHad: 8,
  observedEnabled: 16,
  previousEnabled: 32,
  previousDisabled: 64,
} as const;

/**
 * Entitlement, set-based: the same definition as `kw_entitlements` (migrations/001_schema.sql),
 * evaluated in one ordered pass over the live periods of the users in scope instead of correlated
 * subqueries per user: its cost grows with the number of keys, not keys times periods (about 0.7-1 s
 * of Postgres CPU at 100,000 keys, bench/reconcile-pass.ts).
 * tests/integration/store/entitlement-set.test.ts checks that both agree on the shared table of cases
 * and on random data, and every other column against a per-user reading of its definition.
 *
 * Per user, the live periods are ordered by (starts_at, id) once (`ordered`); over that order:
 * - `reach`: the latest end (grace included) so far. A period is the last of a merged run (periods
 *   that touch or overlap merge, as kw_entitlements' "first end no other period covers") when the
 *   next one starts after `reach`; the run ends at that `reach`.
 * - covered: a live period has starts_at <= at < ends (entitled unless banned by `at`);
 * - entitled_until: the end of the run that covers `at`, i.e. the first run end after `at` (runs
 *   before the covering one end before it starts);
 * - current period: of the periods covering `at`, the last in that order (`rn`);
 * - next_boundary: the next start, end (grace included) or ban after `at`.
 *
 * - cover: the covering period as [rn, id, plan id, entitled since in ms], so the key row needs no
 *   second lookup of that period (a join of every period by id, ~0.05 s at 100,000 keys).
 *
 * Only what a pass needs, as cheap to parse as possible (see KeyRow): epoch milliseconds instead of
 * timestamptz text, ids as text, the yes/no columns in one integer (KEY_FLAGS), among them whether
 * the key's client was last recorded enabled (`key_state.observed`), which the safety valve counts
 * per panel.
 *
 * $1 at, $2 grace, $3 panel ids, $4 user ids (null = every user with a key on those panels), $5
 * whole: true when $3 is every enabled panel and $4 is null (a full pass). Then the periods and the
 * key_state rows are read without first checking that their key is in scope (two semi-joins with
 * vpn_keys, ~0.1 s of Postgres CPU at 100,000 keys): nearly all are, and the key rows' joins drop
 * the rest. Postgres plans the statement with its parameters' values, so `true or ...` folds away.
 */
export const KEYS_SQL = `
  with live as (
    select p.user_id, p.id, p.starts_at, p.ends_at + $2::interval as ends, p.plan_id,
           greatest(p.starts_at, p.created_at) as since
    from subscription_periods p
    where p.cancelled_at is null
      and ($4::bigint[] is null or p.user_id = any($4::bigint[]))
      and ($5::boolean or exists (select from vpn_keys v where v.user_id = p.user_id and v.panel_id = any($3::bigint[])))
  ),
  ordered as (
    select l.user_id, l.id, l.starts_at, l.ends, l.plan_id, l.since,
           max(l.ends) over w as reach,
           lead(l.starts_at) over w as next_start,
           row_number() over w as rn
    from live l
    window w as (partition by l.user_id order by l.starts_at, l.id
                 rows between unbounded preceding and current row)
  ),
  per_user as (
    select o.user_id,
           bool_or(o.starts_at <= $1) as has_had,
           max(o.id) filter (where o.starts_at <= $1) as latest_period_id,
           max(o.ends) filter (where o.ends <= $1) as last_ended_at,
           least(min(o.starts_at) filter (where o.starts_at > $1),
                 min(o.ends) filter (where o.ends > $1)) as next_moment,
           min(o.reach) filter (where o.reach > $1 and (o.next_start is null or o.next_start > o.reach))
             as run_end,
           -- The covering period (the last by rn) and what the key row needs of it: [rn, id, plan, since ms].
           max(array[o.rn, o.id, o.plan_id, round(date_part('epoch', date_trunc('milliseconds', o.since)) * 1000)::bigint])
             filter (where o.starts_at <= $1 and $1 < o.ends) as cover
    from ordered o
    group by o.user_id
  )
  select k.id as id, k.user_id as user_id, u.telegram_id::float8 as telegram_id,
         k.panel_id as panel_id, k.inbound_id, k.email, k.client_uuid as client_uuid,
         k.secret, k.sub_id, k.flow,
         -- KEY_FLAGS
         case when k.revoked_at <= $1 then 1 else 0 end
           | case when u.banned_at <= $1 then 2 else 0 end
           | case when pu.cover is not null and (u.banned_at is null or u.banned_at > $1) then 4 else 0 end
           | case when pu.has_had then 8 else 0 end
           | case when s.is_observed_enabled then 16 else 0 end
           | case s.desired_kind when 'enabled' then 32 when 'disabled' then 64 else 0 end as flags,
         case when pu.cover is not null and (u.banned_at is null or u.banned_at > $1)
              then round(date_part('epoch', date_trunc('milliseconds', pu.run_end)) * 1000) end as entitled_until_ms,
         pl.traffic_limit_bytes::float8 as quota_bytes,
         pu.latest_period_id as latest_period_id,
         pu.cover[2] as current_period_id,
         pu.cover[4]::float8 as entitled_since_ms,
         round(date_part('epoch', date_trunc('milliseconds', pu.last_ended_at)) * 1000) as last_ended_at_ms,
         round(date_part('epoch', date_trunc('milliseconds', least(pu.next_moment, case when u.banned_at > $1 then u.banned_at end))) * 1000)
           as next_boundary_ms,
         s.quota_period_id as quota_period_id,
         s.quota_baseline_bytes::float8 as quota_baseline_bytes
  from vpn_keys k
  join users u on u.id = k.user_id
  left join per_user pu on pu.user_id = k.user_id
  left join plans pl on pl.id = pu.cover[3]
  left join (
    -- The previous pass's state, its documents read down to what a pass needs here: evaluated in
    -- this scan (offset 0 keeps the subquery apart), so the join carries a few narrow columns, not
    -- every key's desired and observed documents (~50 MB at 100,000 keys).
    select s.key_id, s.desired ->> 'kind' as desired_kind,
           s.observed ->> 'kind' = 'present' and (s.observed ->> 'enable')::boolean as is_observed_enabled,
           s.quota_period_id, s.quota_baseline_bytes
    from key_state s
    where $5::boolean
       or s.key_id in (select v.id from vpn_keys v
                       where v.panel_id = any($3::bigint[]) and ($4::bigint[] is null or v.user_id = any($4::bigint[])))
    offset 0
  ) s on s.key_id = k.id
  where k.panel_id = any($3::bigint[]) and ($4::bigint[] is null or k.user_id = any($4::bigint[]))
  order by k.id`;

const keepText = (value: string): string => value;

/**
 * The parsers of the key rows: a bigint id stays the text Postgres sent. pg's default gives the same
 * string, after testing it against a pattern (one test per id, six ids a row); a `::text` cast in
 * the query instead costs Postgres a conversion per id (~0.05 s at 100,000 keys).
 */
const KEY_ROW_TYPES: pg.CustomTypesConfig = {
  getTypeParser: (oid, format): unknown =>
    oid === pg.types.builtins.INT8 ? keepText : (pg.types.getTypeParser(oid, format) as unknown),
};

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
      const fixes = await readRecentFixes(client, now, panelIdList);
      // The key rows come through a cursor, a chunk at a time: 100,000 rows fetched at once would
      // hold the whole wire result, the parsed rows and the records in memory together.
      // Every row is read: plan for all of them, not for a fast first row (nested loops per key).
      await client.query('set local cursor_tuple_fraction = 1');
      // Compiling this query costs more than it saves (~0.15 s at 100,000 keys): no JIT for it.
      await client.query('set local jit = off');
      await client.query(`declare snapshot_keys no scroll cursor for ${KEYS_SQL}`, [
        now,
        grace,
        panelIdList,
        userIds === undefined ? null : [...userIds],
        panelIds === undefined && userIds === undefined,
      ]);
      // One string per panel id, shared by every key of the panel.
      const panelIdOf = new Map(panels.map((panel) => [panel.panelId as string, panel.panelId]));
      const enabledInScope = new Map<PanelId, number>();
      // Users without a live key cannot change any panel: their boundaries do not wake the timer.
      let nextBoundaryMs = Number.POSITIVE_INFINITY;
      const keys: KeyRecord[] = [];
      for (;;) {
        const { rows } = await client.query<KeyRow>({
          text: `fetch ${String(SNAPSHOT_CHUNK_ROWS)} from snapshot_keys`,
          rowMode: 'array',
          types: KEY_ROW_TYPES,
        });
        for (const row of rows) {
          const key = keyRecordOf(row, panelIdOf, fixes);
          const boundary = row[17];
          if (boundary !== null && !key.isRevoked && boundary < nextBoundaryMs) {
            nextBoundaryMs = boundary;
          }
          if ((row[10] & KEY_FLAGS.observedEnabled) !== 0) {
            enabledInScope.set(key.panelId, (enabledInScope.get(key.panelId) ?? 0) + 1);
          }
          keys.push(key);
        }
        if (rows.length < SNAPSHOT_CHUNK_ROWS) {
          break;
        }
      }
      await client.query('close snapshot_keys');
      const { valveWindow, desiredEnabledByPanel } = await readValveWindow(
        client,
        now,
        valveWindowMs,
        panelIdList,
        // A read of whole panels counted their enabled clients on the way; a targeted read did not.
        userIds === undefined ? enabledInScope : undefined,
      );
      const targeted =
        userIds === undefined
          ? undefined
          : await readTargetedExtras(client, panelIdList, userIds, valveWindow, desiredEnabledByPanel);
      return {
        snapshot: {
          now,
          panels,
          keys,
          nextBoundaryAt: nextBoundaryMs === Number.POSITIVE_INFINITY ? null : new Date(nextBoundaryMs),
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
 * see each other's disables. `enabledInScope`: the counts of the panels whose keys the snapshot read
 * whole (taken from the key rows); only the other enabled panels are counted here (a scan of their
 * keys' `key_state`). Without it (a targeted read), every enabled panel but the snapshot's own is
 * counted: a pass never uses the recorded count of a panel it plans (applySafetyValve).
 */
async function readValveWindow(
  client: pg.PoolClient,
  now: Date,
  windowMs: number,
  scopePanelIds: ReadonlyArray<string>,
  enabledInScope: ReadonlyMap<PanelId, number> | undefined,
): Promise<{
  readonly valveWindow: ValveWindow;
  /**
   * Of the keys recorded enabled, those also recorded as desired enabled, per panel (a targeted
   * pass's batch is judged with them; see `OutsideBatch.desiredEnabled`). Empty for a read of
   * whole panels, which judges every key of its panels itself.
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
  if (enabledInScope !== undefined) {
    // A read of whole panels: their counts came with the key rows; only the other enabled panels
    // are counted here.
    const enabledByPanel = new Map(enabledInScope);
    const { rows: others } = await client.query<{ id: string }>(
      'select id::text from panels where is_enabled and not (id = any($1::bigint[]))',
      [scopePanelIds],
    );
    if (others.length > 0) {
      // The filter in the count, not in a where clause: the planner cannot estimate a jsonb condition
      // and, expecting a few rows, would look up every key by its id (~0.5 s at 100,000 keys).
      const { rows: enabledRows } = await client.query<{ panel_id: string; n: number }>(
        `select k.panel_id::text,
                count(*) filter (where s.observed ->> 'kind' = 'present' and (s.observed ->> 'enable')::boolean)::int as n
         from key_state s join vpn_keys k on k.id = s.key_id
         where k.panel_id = any($1::bigint[])
         group by k.panel_id`,
        [others.map((row) => row.id)],
      );
      for (const row of enabledRows) {
        if (row.n > 0) {
          enabledByPanel.set(asPanelId(row.panel_id), row.n);
        }
      }
    }
    return {
      valveWindow: {
        disablesByPanel: new Map(recentDisables.map((row) => [asPanelId(row.panel_id), row.n])),
        enabledByPanel,
      },
      desiredEnabledByPanel: new Map(),
    };
  }
  // A targeted read judges its batch against its whole panel: every enabled panel is counted, its
  // own included. The desired count rides on the same scan and filter (an OR over all rows cost
  // activation ~20 ms at 100,000 keys), so it counts only keys that serve a client.
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

/** Maps one KEYS_SQL row to a KeyRecord (panel ids shared through `panelIdOf`). */
function keyRecordOf(
  row: KeyRow,
  panelIdOf: ReadonlyMap<string, PanelId>,
  fixes: ReadonlyMap<string, RecentFix>,
): KeyRecord {
  const id = row[0];
  const flags = row[10];
  const quotaPeriodId = row[18];
  const quotaBaselineBytes = row[19];
  const latestPeriodId = row[13];
  // Usually the same period as the latest, and as the stored baseline's: one string for all three.
  const currentPeriodId = row[14] === latestPeriodId ? latestPeriodId : row[14];
  const record: KeyRecord = {
    keyId: asKeyId(id),
    userId: asUserId(row[1]),
    telegramId: row[2],
    panelId: panelIdOf.get(row[3]) ?? asPanelId(row[3]),
    inboundId: asInboundId(row[4]),
    email: asClientEmail(row[5]),
    clientUuid: row[6],
    secret: row[7],
    subId: row[8],
    flow: row[9],
    isRevoked: (flags & KEY_FLAGS.revoked) !== 0,
    isBanned: (flags & KEY_FLAGS.banned) !== 0,
    isEntitled: (flags & KEY_FLAGS.entitled) !== 0,
    entitledUntilMs: row[11],
    hasHadSubscription: (flags & KEY_FLAGS.hasHad) !== 0,
    quotaBytes: row[12],
    latestPeriodId,
    currentPeriodId,
    quotaBaseline:
      quotaPeriodId !== null && quotaBaselineBytes !== null
        ? {
            periodId: quotaPeriodId === currentPeriodId ? currentPeriodId : quotaPeriodId,
            bytes: quotaBaselineBytes,
          }
        : null,
    previousDesiredKind:
      (flags & KEY_FLAGS.previousEnabled) !== 0
        ? 'enabled'
        : (flags & KEY_FLAGS.previousDisabled) !== 0
          ? 'disabled'
          : null,
    entitledSinceMs: row[15],
    lastEndedAtMs: row[16],
  };
  const fix = fixes.get(id);
  // The field is optional, never undefined.
  return fix === undefined ? record : { ...record, recentFix: fix };
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
