/** Whether a user is entitled now, by the one SQL definition `kw_entitlements` (DESIGN.md §3). */
import type pg from 'pg';
import type { UserId } from '../../domain/index.ts';

/** A user's access now, on the DB clock. */
export interface Entitlement {
  readonly isEntitled: boolean;
  /** End of continuous coverage (grace included) while entitled, else null. */
  readonly entitledUntil: Date | null;
  readonly isBanned: boolean;
}

/** Reads a user's entitlement at the DB's `now()` with `graceMs` of grace; not entitled when unknown. */
export async function readEntitlement(
  db: pg.Pool | pg.ClientBase,
  userId: UserId,
  graceMs: number,
): Promise<Entitlement> {
  const { rows } = await db.query<{ is_entitled: boolean; entitled_until: Date | null; banned: boolean }>(
    `select e.is_entitled, e.entitled_until, (u.banned_at is not null and u.banned_at <= now()) as banned
     from kw_entitlements(now(), $2::double precision * interval '1 millisecond') e
     join users u on u.id = e.user_id
     where e.user_id = $1`,
    [userId, graceMs],
  );
  const row = rows[0];
  return row
    ? { isEntitled: row.is_entitled, entitledUntil: row.entitled_until, isBanned: row.banned }
    : { isEntitled: false, entitledUntil: null, isBanned: false };
}
