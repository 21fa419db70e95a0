import type pg from 'pg';
import { asPlanId, type PlanId } from '../../domain/index.ts';
import { withTransaction } from '../pool.ts';

/** A plan as the writers and the bot see it. */
export interface PlanRecord {
  readonly id: PlanId;
  readonly code: string;
  readonly title: string;
  readonly durationDays: number;
  /** Primary price, a decimal string (never a float). */
  readonly price: string;
  readonly currency: string;
  /** Other prices by currency (plan_prices), e.g. XTR next to RUB. */
  readonly prices: Readonly<Record<string, string>>;
  readonly trafficLimitBytes: number | null;
  readonly maxKeys: number;
  /** Devices that may fetch the subscription (apps sending x-hwid); null: no limit. */
  readonly maxDevices: number | null;
  readonly isActive: boolean;
}

interface PlanRow {
  id: string;
  code: string;
  title: string;
  duration_days: number;
  price: string;
  currency: string;
  prices: Record<string, string> | null;
  traffic_limit_bytes: string | null;
  max_keys: number;
  max_devices: number | null;
  is_active: boolean;
}

const SELECT_PLAN = `
  select p.id, p.code, p.title, p.duration_days, p.price::text as price, p.currency, p.traffic_limit_bytes,
         p.max_keys, p.max_devices, p.is_active,
         (select jsonb_object_agg(pp.currency, pp.amount::text) from plan_prices pp where pp.plan_id = p.id) as prices
  from plans p`;

const toPlan = (row: PlanRow): PlanRecord => ({
  id: asPlanId(row.id),
  code: row.code,
  title: row.title,
  durationDays: row.duration_days,
  price: row.price,
  currency: row.currency,
  prices: { ...(row.prices ?? {}), [row.currency]: row.price },
  trafficLimitBytes: row.traffic_limit_bytes === null ? null : Number(row.traffic_limit_bytes),
  maxKeys: row.max_keys,
  maxDevices: row.max_devices,
  isActive: row.is_active,
});

/** Finds a plan by code or id; null when unknown. */
export async function findPlan(
  db: pg.Pool | pg.ClientBase,
  by: { readonly code: string } | { readonly id: PlanId },
): Promise<PlanRecord | null> {
  const { rows } = await db.query<PlanRow>(
    `${SELECT_PLAN} where ${'code' in by ? 'p.code = $1' : 'p.id = $1'}`,
    ['code' in by ? by.code : by.id],
  );
  const row = rows[0];
  return row ? toPlan(row) : null;
}

/** Lists the plans on sale, cheapest first. */
export async function listActivePlans(db: pg.Pool | pg.ClientBase): Promise<readonly PlanRecord[]> {
  const { rows } = await db.query<PlanRow>(`${SELECT_PLAN} where p.is_active order by p.duration_days, p.id`);
  return rows.map(toPlan);
}

/** Inserts or updates a plan by code (operators' seeding, the demo, tests). */
export async function upsertPlan(
  db: pg.Pool | pg.ClientBase,
  plan: {
    readonly code: string;
    readonly title: string;
    readonly durationDays: number;
    readonly price: string;
    readonly currency: string;
    readonly trafficLimitBytes?: number | null;
    readonly maxKeys?: number;
    readonly maxDevices?: number | null;
    readonly isActive?: boolean;
    readonly prices?: Readonly<Record<string, string>>;
  },
): Promise<PlanRecord> {
  const { rows } = await db.query<{ id: string }>(
    `insert into plans (code, title, duration_days, price, currency, traffic_limit_bytes, max_keys, is_active,
                        max_devices)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     on conflict (code) do update set title = excluded.title, duration_days = excluded.duration_days,
       price = excluded.price, currency = excluded.currency, traffic_limit_bytes = excluded.traffic_limit_bytes,
       max_keys = excluded.max_keys, is_active = excluded.is_active, max_devices = excluded.max_devices
     returning id`,
    [
      plan.code,
      plan.title,
      plan.durationDays,
      plan.price,
      plan.currency,
      plan.trafficLimitBytes ?? null,
      plan.maxKeys ?? 1,
      plan.isActive ?? true,
      plan.maxDevices ?? null,
    ],
  );
  const id = rows[0]?.id;
  if (id === undefined) {
    throw new Error(`upsert of plan ${plan.code} returned no row`);
  }
  for (const [currency, amount] of Object.entries(plan.prices ?? {})) {
    await db.query(
      `insert into plan_prices (plan_id, currency, amount) values ($1, $2, $3)
       on conflict (plan_id, currency) do update set amount = excluded.amount`,
      [id, currency, amount],
    );
  }
  const stored = await findPlan(db, { id: asPlanId(id) });
  if (!stored) {
    throw new Error(`plan ${plan.code} vanished after upsert`);
  }
  return stored;
}

/** Lists every plan, archived ones too (the console and `plans list`), by code. */
export async function listPlans(db: pg.Pool | pg.ClientBase): Promise<readonly PlanRecord[]> {
  const { rows } = await db.query<PlanRow>(
    `${SELECT_PLAN} order by p.is_active desc, p.duration_days, p.code`,
  );
  return rows.map(toPlan);
}

/** What a new plan needs. */
export interface NewPlan {
  readonly code: string;
  readonly title: string;
  readonly durationDays: number;
  /** Primary price, a decimal string. */
  readonly price: string;
  readonly currency: string;
  readonly trafficLimitBytes?: number | null;
  readonly maxKeys?: number;
  /** Further prices by currency (e.g. `{ XTR: "150" }`). */
  readonly prices?: Readonly<Record<string, string>>;
}

/** Creates a plan; `exists` when the code is taken (nothing changes then). */
export async function createPlan(
  pool: pg.Pool,
  plan: NewPlan,
): Promise<{ readonly kind: 'created'; readonly plan: PlanRecord } | { readonly kind: 'exists' }> {
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ id: string }>(
      `insert into plans (code, title, duration_days, price, currency, traffic_limit_bytes, max_keys)
       values ($1, $2, $3, $4, $5, $6, $7) on conflict (code) do nothing returning id`,
      [
        plan.code,
        plan.title,
        plan.durationDays,
        plan.price,
        plan.currency,
        plan.trafficLimitBytes ?? null,
        plan.maxKeys ?? 1,
      ],
    );
    const id = rows[0]?.id;
    if (id === undefined) {
      return { kind: 'exists' };
    }
    await setPrices(client, id, plan.prices ?? {});
    const stored = await findPlan(client, { id: asPlanId(id) });
    if (!stored) {
      throw new Error(`plan ${plan.code} vanished after insert`);
    }
    return { kind: 'created', plan: stored };
  });
}

/** Changes to a plan; absent fields stay. A price of null removes that currency's extra price. */
export interface PlanChanges {
  readonly title?: string;
  readonly durationDays?: number;
  readonly price?: string;
  readonly currency?: string;
  readonly trafficLimitBytes?: number | null;
  readonly maxKeys?: number;
  readonly isActive?: boolean;
  readonly prices?: Readonly<Record<string, string | null>>;
}

/**
 * Edits a plan by code; null when unknown. Past payments and periods keep what they were: a plan's
 * duration and price only apply to new sales. A changed quota wakes the reconciler (NOTIFY trigger).
 */
export async function updatePlan(
  pool: pg.Pool,
  code: string,
  changes: PlanChanges,
): Promise<PlanRecord | null> {
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ id: string }>(
      `update plans set
         title = coalesce($2, title),
         duration_days = coalesce($3, duration_days),
         price = coalesce($4::numeric, price),
         currency = coalesce($5, currency),
         traffic_limit_bytes = case when $6::boolean then $7::bigint else traffic_limit_bytes end,
         max_keys = coalesce($8, max_keys),
         is_active = coalesce($9, is_active)
       where code = $1 returning id`,
      [
        code,
        changes.title ?? null,
        changes.durationDays ?? null,
        changes.price ?? null,
        changes.currency ?? null,
        changes.trafficLimitBytes !== undefined,
        changes.trafficLimitBytes ?? null,
        changes.maxKeys ?? null,
        changes.isActive ?? null,
      ],
    );
    const id = rows[0]?.id;
    if (id === undefined) {
      return null;
    }
    await setPrices(client, id, changes.prices ?? {});
    return findPlan(client, { id: asPlanId(id) });
  });
}

/** Takes a plan off sale (kept for history: payments and periods refer to it); null when unknown. */
export async function archivePlan(pool: pg.Pool, code: string): Promise<PlanRecord | null> {
  return updatePlan(pool, code, { isActive: false });
}

async function setPrices(
  client: pg.ClientBase,
  planId: string,
  prices: Readonly<Record<string, string | null>>,
): Promise<void> {
  for (const [currency, amount] of Object.entries(prices)) {
    if (amount === null) {
      await client.query('delete from plan_prices where plan_id = $1 and currency = $2', [planId, currency]);
    } else {
      await client.query(
        `insert into plan_prices (plan_id, currency, amount) values ($1, $2, $3)
         on conflict (plan_id, currency) do update set amount = excluded.amount`,
        [planId, currency, amount],
      );
    }
  }
}
