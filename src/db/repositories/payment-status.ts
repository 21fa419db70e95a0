/**
 * Read-only views of the payments table for `keywarden status` and admins (issue 5): counts by
 * provider and status, and the payments recorded as `mismatch` (paid, but not the plan's price),
 * which grant nothing and need a human.
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

/** A payment whose amount or currency matched none of its plan's prices. */
export interface MismatchedPayment {
  readonly id: string;
  readonly provider: string;
  readonly externalId: string;
  readonly userId: string;
  readonly telegramId: number;
  readonly planCode: string | null;
  /** Decimal string, as paid. */
  readonly amount: string;
  readonly currency: string;
  /** The plan's prices when the payment was looked at (decimal strings by currency). */
  readonly expected: Readonly<Record<string, string>>;
  readonly createdAt: Date;
}

/** Lists mismatched payments, newest first (at most `limit`, default 50). */
export async function listMismatchedPayments(
  db: pg.Pool | pg.ClientBase,
  options: { readonly limit?: number } = {},
): Promise<readonly MismatchedPayment[]> {
  const { rows } = await db.query<{
    id: string;
    provider: string;
    external_id: string;
    user_id: string;
    telegram_id: string;
    plan_code: string | null;
    amount: string;
    currency: string;
    expected: Record<string, string> | null;
    created_at: Date;
  }>(
    `select p.id, p.provider, p.external_id, p.user_id, u.telegram_id, pl.code as plan_code,
            p.amount::text as amount, p.currency, p.created_at,
            case when pl.id is null then null else
              jsonb_build_object(pl.currency, pl.price::text)
              || coalesce((select jsonb_object_agg(pp.currency, pp.amount::text) from plan_prices pp
                           where pp.plan_id = pl.id), '{}'::jsonb) end as expected
     from payments p
     join users u on u.id = p.user_id
     left join plans pl on pl.id = p.plan_id
     where p.status = 'mismatch'
     order by p.created_at desc, p.id desc
     limit $1`,
    [options.limit ?? 50],
  );
  return rows.map((row) => ({
    id: row.id,
    provider: row.provider,
    externalId: row.external_id,
    userId: row.user_id,
    telegramId: Number(row.telegram_id),
    planCode: row.plan_code,
    amount: row.amount,
    currency: row.currency,
    expected: row.expected ?? {},
    createdAt: row.created_at,
  }));
}
