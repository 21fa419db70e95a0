/**
 * Devices per subscription (issue 15): apps that send `x-hwid` when they fetch the subscription are
 * recorded by the SHA-256 of that id. With a plan limit, a device not seen before is admitted only
 * while fewer than `limit` devices are live; the decision and the insert happen under the
 * customer's row lock, so two new devices racing cannot both take the last slot. Renewals never
 * touch this table; the customer removes devices in the bot (marked, not deleted).
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { UserId } from '../../domain/index.ts';
import { withTransaction } from '../pool.ts';

/** What the app said about itself (each value trimmed to 256 characters; absent headers are null). */
export interface DeviceInfo {
  readonly hwid: string;
  readonly deviceOs: string | null;
  readonly osVersion: string | null;
  readonly deviceModel: string | null;
  readonly userAgent: string | null;
}

/** The outcome of one fetch that carried an `x-hwid`. */
export type DeviceAdmission =
  | { readonly kind: 'admitted'; readonly registered: number; readonly isNew: boolean }
  | { readonly kind: 'over-limit'; readonly registered: number };

/** A device as the customer sees it. */
export interface DeviceRecord {
  readonly id: string;
  readonly deviceOs: string | null;
  readonly osVersion: string | null;
  readonly deviceModel: string | null;
  readonly userAgent: string | null;
  readonly firstSeenAt: Date;
  readonly lastSeenAt: Date;
}

const trim = (value: string | null): string | null =>
  value === null || value.trim().length === 0 ? null : value.trim().slice(0, 256);

/** SHA-256 of a device id. */
export const hashDeviceId = (hwid: string): Buffer =>
  createHash('sha256').update(hwid.trim(), 'utf8').digest();

/**
 * Records a fetch by `device` and decides whether it may have the subscription: a known live device
 * always may (its last-seen time is refreshed); a new one may while the live count is below `limit`
 * (null: no limit). Over the limit nothing is written.
 */
export async function admitDevice(
  pool: pg.Pool,
  userId: UserId,
  device: DeviceInfo,
  limit: number | null,
): Promise<DeviceAdmission> {
  const hash = hashDeviceId(device.hwid);
  const meta = [
    trim(device.deviceOs),
    trim(device.osVersion),
    trim(device.deviceModel),
    trim(device.userAgent),
  ];
  return withTransaction(pool, async (client) => {
    await client.query('select 1 from users where id = $1 for update', [userId]);
    const { rows: known } = await client.query<{ id: string }>(
      `update subscription_devices set last_seen_at = now(), device_os = coalesce($3, device_os),
         os_version = coalesce($4, os_version), device_model = coalesce($5, device_model),
         user_agent = coalesce($6, user_agent)
       where user_id = $1 and hwid_hash = $2 and removed_at is null
       returning id`,
      [userId, hash, ...meta],
    );
    const { rows: counted } = await client.query<{ live: string }>(
      'select count(*)::text as live from subscription_devices where user_id = $1 and removed_at is null',
      [userId],
    );
    const live = Number(counted[0]?.live ?? '0');
    if (known.length > 0) {
      return { kind: 'admitted', registered: live, isNew: false };
    }
    if (limit !== null && live >= limit) {
      return { kind: 'over-limit', registered: live };
    }
    await client.query(
      `insert into subscription_devices (user_id, hwid_hash, device_os, os_version, device_model, user_agent)
       values ($1, $2, $3, $4, $5, $6)
       on conflict (user_id, hwid_hash) do update set removed_at = null, first_seen_at = now(),
         last_seen_at = now(), device_os = excluded.device_os, os_version = excluded.os_version,
         device_model = excluded.device_model, user_agent = excluded.user_agent`,
      [userId, hash, ...meta],
    );
    return { kind: 'admitted', registered: live + 1, isNew: true };
  });
}

/** The customer's live devices, most recently seen first. */
export async function listDevices(
  db: pg.Pool | pg.ClientBase,
  userId: UserId,
): Promise<readonly DeviceRecord[]> {
  const { rows } = await db.query<{
    id: string;
    device_os: string | null;
    os_version: string | null;
    device_model: string | null;
    user_agent: string | null;
    first_seen_at: Date;
    last_seen_at: Date;
  }>(
    `select id::text, device_os, os_version, device_model, user_agent, first_seen_at, last_seen_at
     from subscription_devices where user_id = $1 and removed_at is null
     order by last_seen_at desc, id desc`,
    [userId],
  );
  return rows.map((row) => ({
    id: row.id,
    deviceOs: row.device_os,
    osVersion: row.os_version,
    deviceModel: row.device_model,
    userAgent: row.user_agent,
    firstSeenAt: row.first_seen_at,
    lastSeenAt: row.last_seen_at,
  }));
}

/** Removes one of the customer's devices (frees its slot); `not-found` when it is not theirs or gone. */
export async function removeDevice(
  db: pg.Pool | pg.ClientBase,
  userId: UserId,
  deviceId: string,
): Promise<'removed' | 'not-found'> {
  const { rowCount } = await db.query(
    `update subscription_devices set removed_at = now()
     where id = $2 and user_id = $1 and removed_at is null`,
    [userId, deviceId],
  );
  return rowCount === 1 ? 'removed' : 'not-found';
}

/**
 * The device limit that applies to the customer now: `max_devices` of the plan of the period being
 * counted (the live period covering now, grace included; of several, the one that started last).
 * Null: no limit (no such period, no plan, or a plan without a limit).
 */
export async function readDeviceLimit(
  db: pg.Pool | pg.ClientBase,
  userId: UserId,
  graceMs: number,
): Promise<number | null> {
  const { rows } = await db.query<{ max_devices: number | null }>(
    `select pl.max_devices from subscription_periods p join plans pl on pl.id = p.plan_id
     where p.user_id = $1 and p.cancelled_at is null and p.starts_at <= now()
       and now() < p.ends_at + $2::double precision * interval '1 millisecond'
     order by p.starts_at desc, p.id desc limit 1`,
    [userId, graceMs],
  );
  return rows[0]?.max_devices ?? null;
}
