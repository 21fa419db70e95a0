/**
 * Read-only views of the payments table for `keywarden status` and admins (issue 5): counts by
 * provider and status. The payments recorded as `mismatch` (paid, but not the plan's price), which
 * grant nothing and need a human, are listed by `listPayments({ mismatched: true })` (db/queries).
 */
import type pg from 'pg';

/** Payments of one provider in one status. */
export interface PaymentStatusCount {
  readonly provider: string;
  /** `succeeded`, `mismatch` or `refunded`. */
  readonly status: string;
  readonly count: number;
}

/** Counts payments by provider and status, ordered by provider then status. */
export async function countPaymentsByStatus(
  db: pg.Pool | pg.ClientBase,
): Promise<readonly PaymentStatusCount[]> {
  const { rows } = await db.query<{ provider: string; status: string; count: number }>(
    `select provider, status, count(*)::int as count from payments
     group by provider, status order by provider, status`,
  );
  return rows.map((row) => ({ provider: row.provider, status: row.status, count: row.count }));
}
