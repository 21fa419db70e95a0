/** Seed data of the demo: a plan, six customers with periods that end during the script, one key each. */
import type pg from 'pg';
import { grantPeriod, issueKey, upsertPlan, upsertTelegramUser } from '../db/index.ts';
import { asInboundId, type PanelId, type UserId } from '../domain/index.ts';
import type { Logger } from '../shared/index.ts';

/** One seeded customer. */
export interface Cast {
  readonly name: string;
  readonly telegramId: number;
  userId?: UserId;
}

/** Seeds the demo's plan, customers, periods and keys; `at(s)` scales the script's seconds. */
export async function seedDemo(
  pool: pg.Pool,
  log: Logger,
  panels: { modernId: PanelId; legacyId: PanelId; vless: number; vmess: number },
  at: (seconds: number) => number,
): Promise<Map<string, Cast>> {
  await upsertPlan(pool, {
    code: 'month',
    title: '30 days, 100 GB',
    durationDays: 30,
    price: '299.00',
    currency: 'RUB',
    prices: { XTR: '250' },
    trafficLimitBytes: 100 * 1024 ** 3,
    maxKeys: 2,
  });
  const people: Array<[string, number]> = [
    ['alice', 700_001],
    ['bob', 700_002],
    ['carol', 700_003],
    ['dave', 700_004],
    ['erin', 700_005],
    ['frank', 700_006],
  ];
  const cast = new Map<string, Cast>();
  for (const [name, telegramId] of people) {
    const { user } = await upsertTelegramUser(pool, { telegramId, username: name, language: 'en' });
    cast.set(name, { name, telegramId, userId: user.id });
  }
  const id = (name: string): UserId => {
    const userId = cast.get(name)?.userId;
    if (userId === undefined) {
      throw new Error(`demo user ${name} was not seeded`);
    }
    return userId;
  };
  const month = 30 * 86_400_000;
  await grantPeriod(pool, { userId: id('alice'), source: 'admin', durationMs: month });
  await grantPeriod(pool, { userId: id('bob'), source: 'admin', durationMs: at(25) });
  await grantPeriod(pool, { userId: id('carol'), source: 'admin', durationMs: at(40) });
  await pool.query(
    `insert into subscription_periods (user_id, source, starts_at, ends_at)
     values ($1, 'admin', now() - interval '40 days', now() - interval '10 days')`,
    [id('dave')],
  );
  await grantPeriod(pool, { userId: id('erin'), source: 'trial', durationMs: at(60) });
  await grantPeriod(pool, { userId: id('frank'), source: 'promo', durationMs: month });
  const placement: Record<string, [PanelId, number]> = {
    alice: [panels.modernId, panels.vless],
    bob: [panels.modernId, panels.vless],
    carol: [panels.modernId, panels.vless],
    dave: [panels.modernId, panels.vless],
    erin: [panels.legacyId, panels.vmess],
    frank: [panels.legacyId, panels.vmess],
  };
  for (const [name, [panelId, inboundId]] of Object.entries(placement)) {
    const issued = await issueKey(pool, {
      userId: id(name),
      panelId,
      inboundId: asInboundId(inboundId),
      enforceLimit: false,
    });
    if (issued.kind !== 'issued') {
      throw new Error(`could not issue the demo key of ${name}: ${issued.kind}`);
    }
  }
  log.info(
    {
      active: ['alice', 'frank'],
      endsSoon: { bob: '25s', carol: '40s (renews at 30s)', erin: 'trial, 60s' },
      noSubscription: ['dave'],
    },
    'seeded 6 users with a key each',
  );
  return cast;
}
