/**
 * Applies one panel's part of an adoption plan (docs/migrating.md) in one transaction: the owners
 * become users (or are found), each adopted client becomes a key with the client's own email, UUID or
 * password, subId and flow, and each owner gets an `import` period. Rows only: no panel is called, so
 * no client changes; the reconciler takes the keys over from its next pass (the key inserts NOTIFY).
 *
 * Idempotent: the `adoptions` row is unique per (plan fingerprint, panel), so applying the same plan
 * to the same panel again writes nothing and says when it was applied.
 */
import type pg from 'pg';
import type { InboundId, PanelId, PlanId } from '../../domain/index.ts';
import { withTransaction } from '../pool.ts';

/** One client to adopt as a key. */
export interface AdoptedKey {
  readonly email: string;
  readonly inboundId: InboundId;
  readonly telegramId: number;
  /** vmess/vless UUID; null = a random one (unused on other protocols). */
  readonly uuid: string | null;
  /** trojan/shadowsocks password; null = a random one (unused on other protocols). */
  readonly secret: string | null;
  /** null = a fresh subId of keywarden's own. */
  readonly subId: string | null;
  readonly flow: string;
}

/** One owner's import period: until a moment, or (3x-ui's delayed start) for a duration from now. */
export interface ImportPeriod {
  readonly telegramId: number;
  readonly end: { readonly at: Date } | { readonly afterMs: number };
  readonly planId: PlanId | null;
}

/** One panel's part of a plan. */
export interface ApplyAdoption {
  /** The fingerprint of the whole plan the operator confirmed. */
  readonly fingerprint: string;
  readonly panelId: PanelId;
  /** This panel's part of it. */
  readonly panelFingerprint: string;
  readonly keys: ReadonlyArray<AdoptedKey>;
  readonly periods: ReadonlyArray<ImportPeriod>;
}

/** What applying did. */
export type ApplyAdoptionOutcome =
  | {
      readonly kind: 'applied';
      readonly adoptionId: string;
      readonly keysCreated: number;
      readonly usersCreated: number;
      readonly periodsCreated: number;
    }
  | { readonly kind: 'already-applied'; readonly adoptionId: string; readonly appliedAt: Date }
  /** A key with this email appeared on the panel since the plan was made; nothing was written. */
  | { readonly kind: 'conflict'; readonly email: string };

/** Looks up whether `fingerprint` was applied to `panelId`; null when not. */
export async function findAdoption(
  db: pg.Pool | pg.ClientBase,
  fingerprint: string,
  panelId: PanelId,
): Promise<{
  readonly adoptionId: string;
  readonly appliedAt: Date;
  readonly panelFingerprint: string;
} | null> {
  const { rows } = await db.query<{ id: string; applied_at: Date; panel_fingerprint: string }>(
    'select id::text, applied_at, panel_fingerprint from adoptions where fingerprint = $1 and panel_id = $2',
    [fingerprint, panelId],
  );
  const row = rows[0];
  return row
    ? { adoptionId: row.id, appliedAt: row.applied_at, panelFingerprint: row.panel_fingerprint }
    : null;
}

/**
 * Writes one panel's adoption in one transaction (the panel row is locked for its duration, so two
 * adoptions of one panel never interleave). Import periods start at the DB clock's now; one that has
 * already ended starts a second before its end (its real start is not known). Nothing is written on
 * `conflict` or `already-applied`.
 */
export async function applyAdoption(pool: pg.Pool, adoption: ApplyAdoption): Promise<ApplyAdoptionOutcome> {
  return withTransaction(pool, async (client) => {
    const panel = await client.query('select 1 from panels where id = $1 for update', [adoption.panelId]);
    if (panel.rowCount !== 1) {
      throw new Error(`panel ${adoption.panelId} does not exist`);
    }
    const earlier = await findAdoption(client, adoption.fingerprint, adoption.panelId);
    if (earlier !== null) {
      return { kind: 'already-applied', adoptionId: earlier.adoptionId, appliedAt: earlier.appliedAt };
    }
    const emails = adoption.keys.map((key) => key.email.toLowerCase());
    const { rows: taken } = await client.query<{ email: string }>(
      'select email from vpn_keys where panel_id = $1 and lower(email) = any($2::text[]) limit 1',
      [adoption.panelId, emails],
    );
    if (taken[0] !== undefined) {
      return { kind: 'conflict', email: taken[0].email };
    }
    const { rows: created } = await client.query<{ id: string }>(
      `insert into adoptions (fingerprint, panel_id, panel_fingerprint, keys_created, users_created, periods_created)
       values ($1, $2, $3, 0, 0, 0) returning id::text`,
      [adoption.fingerprint, adoption.panelId, adoption.panelFingerprint],
    );
    const adoptionId = created[0]?.id;
    if (adoptionId === undefined) {
      throw new Error('insert of an adoption returned no row');
    }
    const owners = [...new Set([...adoption.keys, ...adoption.periods].map((row) => String(row.telegramId)))];
    const users = await client.query(
      `insert into users (telegram_id) select unnest($1::bigint[]) order by 1
       on conflict (telegram_id) do nothing`,
      [owners],
    );
    const keys = await client.query(
      `insert into vpn_keys (user_id, panel_id, inbound_id, email, client_uuid, secret, sub_id, flow, adoption_id)
       select u.id, $1, r.inbound_id, r.email,
              coalesce(r.uuid::uuid, gen_random_uuid()),
              coalesce(r.secret, replace(gen_random_uuid()::text, '-', '')),
              coalesce(r.sub_id, substr(replace(gen_random_uuid()::text, '-', ''), 1, 16)),
              r.flow, $2
       from jsonb_to_recordset($3::jsonb)
         as r(email text, inbound_id integer, telegram_id bigint, uuid text, secret text, sub_id text, flow text)
       join users u on u.telegram_id = r.telegram_id
       order by r.email`,
      [
        adoption.panelId,
        adoptionId,
        JSON.stringify(
          adoption.keys.map((key) => ({
            email: key.email,
            inbound_id: key.inboundId,
            telegram_id: key.telegramId,
            uuid: key.uuid,
            secret: key.secret,
            sub_id: key.subId,
            flow: key.flow,
          })),
        ),
      ],
    );
    const periods = await client.query(
      `insert into subscription_periods (user_id, plan_id, source, starts_at, ends_at, adoption_id)
       select u.id, r.plan_id, 'import',
              case when e.ends_at > now() then now() else e.ends_at - interval '1 second' end,
              e.ends_at, $1
       from jsonb_to_recordset($2::jsonb) as r(telegram_id bigint, ends_at timestamptz, after_ms float8, plan_id bigint)
       cross join lateral (select coalesce(r.ends_at, now() + make_interval(secs => r.after_ms / 1000)) as ends_at) e
       join users u on u.telegram_id = r.telegram_id
       order by u.id`,
      [
        adoptionId,
        JSON.stringify(
          adoption.periods.map((period) => ({
            telegram_id: period.telegramId,
            ends_at: 'at' in period.end ? period.end.at.toISOString() : null,
            after_ms: 'afterMs' in period.end ? period.end.afterMs : null,
            plan_id: period.planId,
          })),
        ),
      ],
    );
    const counts = {
      keysCreated: keys.rowCount ?? 0,
      usersCreated: users.rowCount ?? 0,
      periodsCreated: periods.rowCount ?? 0,
    };
    if (counts.keysCreated !== adoption.keys.length || counts.periodsCreated !== adoption.periods.length) {
      throw new Error(
        `adoption of panel ${adoption.panelId}: wrote ${String(counts.keysCreated)} of ${String(adoption.keys.length)} keys and ${String(counts.periodsCreated)} of ${String(adoption.periods.length)} periods; rolled back`,
      );
    }
    await client.query(
      'update adoptions set keys_created = $2, users_created = $3, periods_created = $4 where id = $1',
      [adoptionId, counts.keysCreated, counts.usersCreated, counts.periodsCreated],
    );
    return { kind: 'applied', adoptionId, ...counts };
  });
}
