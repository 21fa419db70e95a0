/**
 * The PostgreSQL implementation of the reconciler's store port: the snapshot read plus the writes of
 * one panel's pass (key_state, reconcile_events, inbounds, outbox, held_plans) in one transaction.
 * Rows go in as arrays through `unnest`, so a pass over 10,000 keys is a handful of statements.
 */
import type pg from 'pg';
import { recordPanelInbounds, withTransaction, type SecretBox } from '../db/index.ts';
import { asPanelId, asUserId, type PanelId, type PanelPassRecord, type UserId } from '../domain/index.ts';
import type { BoundaryChanges, ReconcileStore } from '../reconciler/index.ts';
import { readSnapshot } from './snapshot.ts';

async function writeKeyStates(client: pg.PoolClient, record: PanelPassRecord): Promise<void> {
  if (record.keyStates.length === 0) {
    return;
  }
  const states = record.keyStates;
  await client.query(
    `insert into key_state as ks (key_id, desired, observed, converged, last_action, last_error, attempts, updated_at,
                                  quota_period_id, quota_baseline_bytes)
     select s.key_id, s.desired, s.observed, s.converged, s.last_action, s.last_error,
            case when s.failed then 1 else 0 end, now(), s.quota_period_id, s.quota_baseline_bytes
     from unnest($1::bigint[], $2::jsonb[], $3::jsonb[], $4::boolean[], $5::text[], $6::text[], $7::boolean[],
                 $8::bigint[], $9::bigint[])
       as s(key_id, desired, observed, converged, last_action, last_error, failed, quota_period_id, quota_baseline_bytes)
     on conflict (key_id) do update set
       desired = excluded.desired,
       observed = excluded.observed,
       converged = excluded.converged,
       last_action = coalesce(excluded.last_action, ks.last_action),
       last_error = excluded.last_error,
       attempts = case when excluded.attempts = 1 then ks.attempts + 1 else 0 end,
       updated_at = now(),
       -- A null baseline means "keep": no period covers now, or the panel was not read.
       quota_period_id = coalesce(excluded.quota_period_id, ks.quota_period_id),
       quota_baseline_bytes = case when excluded.quota_period_id is null then ks.quota_baseline_bytes
                                   else excluded.quota_baseline_bytes end`,
    [
      states.map((state) => state.keyId),
      states.map((state) => JSON.stringify(state.desired)),
      states.map((state) => JSON.stringify(state.observed)),
      states.map((state) => state.converged),
      states.map((state) => state.lastAction),
      states.map((state) => state.lastError),
      states.map((state) => state.failed),
      states.map((state) => state.quotaBaseline?.periodId ?? null),
      states.map((state) => state.quotaBaseline?.bytes ?? null),
    ],
  );
  // needs_human only changes where the panel was read (undefined = keep what the last read found).
  const read = states.filter((state) => state.needsHuman !== undefined);
  if (read.length > 0) {
    await client.query(
      `update key_state ks set needs_human = v.needs_human
       from unnest($1::bigint[], $2::text[]) as v(key_id, needs_human)
       where ks.key_id = v.key_id and ks.needs_human is distinct from v.needs_human`,
      [read.map((state) => state.keyId), read.map((state) => state.needsHuman ?? null)],
    );
  }
}

async function writeEvents(
  client: pg.PoolClient,
  record: PanelPassRecord,
  events: PanelPassRecord['events'],
  planId: string,
): Promise<void> {
  if (events.length === 0) {
    return;
  }
  await client.query(
    `insert into reconcile_events (key_id, panel_id, action, reason, outcome, error, plan_id, before, after)
     select e.key_id, $1, e.action, e.reason, e.outcome, e.error, $2::uuid, e.before, e.after
     from unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[], $9::jsonb[])
       as e(key_id, action, reason, outcome, error, before, after)`,
    [
      record.panelId,
      planId,
      events.map((event) => event.keyId),
      events.map((event) => event.action),
      events.map((event) => event.reason),
      events.map((event) => event.outcome),
      events.map((event) => event.error),
      events.map((event) => (event.before === null ? null : JSON.stringify(event.before))),
      events.map((event) => (event.after === null ? null : JSON.stringify(event.after))),
    ],
  );
}

async function writeInbounds(client: pg.PoolClient, record: PanelPassRecord): Promise<void> {
  if (record.inbounds === null) {
    return;
  }
  const inbounds = record.inbounds;
  // A full read that does not show a known inbound: it is missing (kept, never deleted: keys and
  // history refer to it). One that shows up again is no longer missing (the upsert below).
  await client.query(
    `update inbounds set missing_since = now()
     where panel_id = $1 and missing_since is null and not (inbound_id = any($2::int[]))`,
    [record.panelId, inbounds.map((inbound) => inbound.id)],
  );
  // The same upsert a panel check does (`panels add|test|update`); it clears missing_since too.
  await recordPanelInbounds(client, record.panelId, inbounds);
}

async function writeOutbox(client: pg.PoolClient, record: PanelPassRecord): Promise<void> {
  if (record.outbox.length === 0) {
    return;
  }
  await client.query(
    `insert into outbox (user_id, kind, dedupe_key, payload)
     select o.user_id, o.kind, o.dedupe_key, o.payload
     from unnest($1::bigint[], $2::text[], $3::text[], $4::jsonb[]) as o(user_id, kind, dedupe_key, payload)
     on conflict (dedupe_key) do nothing`,
    [
      record.outbox.map((message) => message.userId),
      record.outbox.map((message) => message.kind),
      record.outbox.map((message) => message.dedupeKey),
      record.outbox.map((message) => JSON.stringify(message.payload)),
    ],
  );
}

/**
 * Records the held plan; returns true when it is new (its held events are then written once, not
 * on every pass that keeps holding it). Other open plans of the panel are superseded.
 */
async function writeHeld(client: pg.PoolClient, record: PanelPassRecord): Promise<boolean> {
  const held = record.held;
  if (record.appliedFingerprint !== null) {
    await client.query(
      `update held_plans set resolved_at = now(), resolution = 'applied' where fingerprint = $1 and resolved_at is null`,
      [record.appliedFingerprint],
    );
  }
  await client.query(
    `update held_plans set resolved_at = now(), resolution = 'superseded'
     where panel_id = $1 and resolved_at is null and fingerprint is distinct from $2`,
    [record.panelId, held?.fingerprint ?? null],
  );
  if (held === null) {
    return false;
  }
  const { rows } = await client.query<{ inserted: boolean }>(
    `insert into held_plans (fingerprint, panel_id, cause, actions, action_count)
     values ($1, $2, $3, $4, $5)
     on conflict (fingerprint) do update set last_seen_at = now(),
       -- A plan an admin discarded stays closed: the same set of disables stays held, unasked.
       resolved_at = case when held_plans.resolution = 'discarded' then held_plans.resolved_at end,
       resolution = case when held_plans.resolution = 'discarded' then 'discarded' end
     returning (xmax = 0) as inserted`,
    [
      held.fingerprint,
      record.panelId,
      held.cause,
      JSON.stringify(
        held.actions.map((action) => ({
          key_id: action.keyId,
          email: action.email,
          action: action.action,
          reason: action.reason,
        })),
      ),
      held.actions.length,
    ],
  );
  return rows[0]?.inserted === true;
}

/** The moments of entitlement change: period starts, period ends (grace included), bans. */
const MOMENTS_SQL = `
  select p.user_id, p.starts_at as at from subscription_periods p where p.cancelled_at is null
  union all
  select p.user_id, p.ends_at + $1::interval from subscription_periods p where p.cancelled_at is null
  union all
  select u.id, u.banned_at from users u where u.banned_at is not null`;

/**
 * The (panel, user) pairs whose entitlement changed in (since, now], and the next boundary. One
 * transaction, so `now()` is one instant for every statement; it is read first, alone, so that
 * `clockReadAtMs` maps it to wall time within a round trip (the expiry timer arms from the pair).
 */
async function readBoundaryChanges(
  pool: pg.Pool,
  since: Date | null,
  graceMs: number,
): Promise<BoundaryChanges> {
  const grace = `${String(graceMs)} milliseconds`;
  return withTransaction(
    pool,
    async (client) => {
      const { rows: clock } = await client.query<{ now: Date }>('select now() as now');
      const clockReadAtMs = Date.now();
      const now = clock[0]?.now;
      if (now === undefined) {
        throw new Error('boundary changes: the clock query returned no row');
      }
      const { rows: next } = await client.query<{ next: Date | null }>(
        `with moments as (${MOMENTS_SQL})
         select min(m.at) as next from moments m
         where m.at > now()
           and exists (select 1 from vpn_keys v where v.user_id = m.user_id and v.revoked_at is null)`,
        [grace],
      );
      const nextBoundaryAt = next[0]?.next ?? null;
      if (since === null) {
        return { now, clockReadAtMs, changes: [], nextBoundaryAt };
      }
      const { rows } = await client.query<{ panel_id: string; user_id: string }>(
        `with moments as (${MOMENTS_SQL})
         select distinct k.panel_id::text, k.user_id::text
         from moments m
         join vpn_keys k on k.user_id = m.user_id
         join panels p on p.id = k.panel_id and p.is_enabled
         where m.at > $2 and m.at <= $3`,
        [grace, since, now],
      );
      return {
        now,
        clockReadAtMs,
        changes: rows.map((change) => ({
          panelId: asPanelId(change.panel_id),
          userId: asUserId(change.user_id),
        })),
        nextBoundaryAt,
      };
    },
    { readOnly: true },
  );
}

/** Creates the PostgreSQL store; `graceMs` is the entitlement grace (KEYWARDEN_GRACE). */
export function createPostgresStore(
  pool: pg.Pool,
  graceMs: number,
  secrets?: SecretBox,
  valveWindowMs?: number,
): ReconcileStore {
  return {
    readSnapshot: (panelIds, userIds) =>
      readSnapshot(pool, panelIds, graceMs, userIds, secrets, valveWindowMs),
    usersChangedSince: (since) => readBoundaryChanges(pool, since, graceMs),
    async panelsOfUser(userId: UserId) {
      const { rows } = await pool.query<{ panel_id: string }>(
        'select distinct panel_id from vpn_keys where user_id = $1',
        [userId],
      );
      return rows.map((row) => asPanelId(row.panel_id));
    },
    async listPanelIds(): Promise<ReadonlyArray<PanelId>> {
      const { rows } = await pool.query<{ id: string }>('select id from panels where is_enabled order by id');
      return rows.map((row) => asPanelId(row.id));
    },
    async recordPanelPass(record, planId) {
      await withTransaction(pool, async (client) => {
        await writeInbounds(client, record);
        await writeKeyStates(client, record);
        // A targeted pass saw a few keys: the panel's held plan is not its to replace.
        const isNewHold = record.scope === 'panel' ? await writeHeld(client, record) : false;
        const events = record.events.filter((event) => event.outcome !== 'held' || isNewHold);
        await writeEvents(client, record, events, planId);
        await writeOutbox(client, record);
        if (record.generation !== null) {
          await client.query(
            'update panels set api_generation = $2 where id = $1 and api_generation is distinct from $2',
            [record.panelId, record.generation],
          );
        }
        // What `panels list` shows: the version (kept when none was reported), the last read and its error.
        await client.query(
          `update panels set panel_version = coalesce($2, panel_version), last_error = $3, last_read_at = now(),
             last_read_ok = ($3::text is null)
           where id = $1`,
          [record.panelId, record.panelVersion, record.readError],
        );
      });
    },
  };
}
