import {
  archivePlan,
  createPlan,
  listPlans,
  recordAdminAction,
  updatePlan,
  type PlanRecord,
} from '../../db/index.ts';
import {
  AS_FLAG,
  AS_HELP,
  booleanFlag,
  cliAdmin,
  positiveInteger,
  requiredFlag,
  stringFlag,
  subcommand,
  UsageError,
  wantsJson,
  type Command,
  type CommandContext,
} from '../command.ts';
import { formatTable, println, withPool } from '../pool.ts';

const CODE = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const CURRENCY = /^[A-Z0-9]{2,10}$/;
const AMOUNT = /^\d{1,12}(\.\d{1,8})?$/;

function parseAmount(raw: string, flag: string): string {
  if (!AMOUNT.test(raw)) {
    throw new UsageError(`--${flag} must be a decimal amount like 299 or 3.50`);
  }
  return raw;
}

function parseCurrency(raw: string): string {
  if (!CURRENCY.test(raw)) {
    throw new UsageError('--currency must be a currency code like RUB, USD, USDT or XTR (Telegram Stars)');
  }
  return raw;
}

/** `--price-in XTR=150` (repeatable); `--price-in XTR=` removes that price on update. */
function parseExtraPrices(context: CommandContext): Record<string, string | null> {
  const raw = context.flags['price-in'];
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const prices: Record<string, string | null> = {};
  for (const entry of list) {
    const match = typeof entry === 'string' ? /^([A-Z0-9]{2,10})=(.*)$/.exec(entry) : null;
    if (match === null) {
      throw new UsageError('--price-in must look like XTR=150 (or XTR= to remove that price)');
    }
    const [, currency = '', amount = ''] = match;
    prices[currency] = amount === '' ? null : parseAmount(amount, 'price-in');
  }
  return prices;
}

function parseTraffic(raw: string | undefined): number | null | undefined {
  if (raw === undefined) {
    return undefined;
  }
  if (raw === '0' || raw === 'unlimited') {
    return null;
  }
  if (!/^\d{1,6}$/.test(raw)) {
    throw new UsageError('--traffic-gb must be a whole number of GB, or 0 / unlimited');
  }
  return Number(raw) * 1024 ** 3;
}

function planRow(plan: PlanRecord): string[] {
  return [
    plan.code,
    plan.title,
    `${String(plan.durationDays)}d`,
    Object.entries(plan.prices)
      .map(([currency, amount]) => `${amount.replace(/\.?0+$/, '')} ${currency}`)
      .join(', '),
    plan.trafficLimitBytes === null ? 'unlimited' : `${String(plan.trafficLimitBytes / 1024 ** 3)} GB`,
    String(plan.maxKeys),
    plan.isActive ? 'on sale' : 'archived',
  ];
}

/** `keywarden plans add|list|update|archive`: plans and their prices, without SQL. */
export const plansCommand: Command = {
  name: 'plans',
  summary: 'plans and prices: plans list | add | update CODE | archive CODE',
  usage:
    'list [--json] | add --code C --title T --days N --price P --currency CUR [--price-in XTR=150] [--traffic-gb N] [--max-keys N] | update CODE [...] | archive CODE',
  flags: {
    code: { type: 'string' },
    title: { type: 'string' },
    days: { type: 'string' },
    price: { type: 'string' },
    currency: { type: 'string' },
    'price-in': { type: 'string', multiple: true },
    'traffic-gb': { type: 'string' },
    'max-keys': { type: 'string' },
    activate: { type: 'boolean' },
    json: { type: 'boolean' },
    ...AS_FLAG,
  },
  positionals: { min: 1, max: 2 },
  help: {
    description:
      'Plans are what the bot sells. A plan has one primary price and any number of prices in other currencies (XTR for Telegram Stars). Archiving takes a plan off sale; payments and periods keep referring to it. Changes apply to new sales only.',
    flags: {
      code: { description: 'plan code (add): a-z, 0-9, _ and -, unique; it never changes' },
      title: { description: 'what customers see', default: 'required for add; unchanged on update' },
      days: {
        description: 'length of one period in days',
        default: 'required for add; unchanged on update',
      },
      price: {
        description: 'primary price, a decimal like 299 or 3.50',
        default: 'required for add; unchanged on update',
      },
      currency: {
        description: 'currency of the primary price: RUB, USD, USDT, XTR, ...',
        default: 'required for add; unchanged on update',
      },
      'price-in': {
        description: 'a further price, CUR=AMOUNT; repeat for more; CUR= removes it (update)',
        default: 'none',
      },
      'traffic-gb': {
        description: 'traffic quota per period in GB; 0 or unlimited for none',
        default: 'unlimited',
      },
      'max-keys': { description: 'keys a customer on this plan may have', default: '1' },
      activate: { description: 'update: put an archived plan back on sale', default: 'off' },
      json: { description: 'list: print JSON for scripts', default: 'off' },
      ...AS_HELP,
    },
    examples: [
      'keywarden plans add --code month --title "1 month" --days 30 --price 299 --currency RUB --price-in XTR=150',
      'keywarden plans update month --price 349 --traffic-gb 200',
      'keywarden plans archive month --as 5001',
      'keywarden plans list --json',
    ],
  },
  run: async (context) => {
    const sub = subcommand(context, ['list', 'add', 'update', 'archive']);
    const by = cliAdmin(context);
    if (sub === 'list') {
      return withPool(context, async (pool) => {
        const plans = await listPlans(pool);
        println(
          context,
          wantsJson(context)
            ? JSON.stringify(plans, null, 2)
            : formatTable(
                ['code', 'title', 'period', 'prices', 'traffic', 'keys', 'state'],
                plans.map(planRow),
              ),
        );
        return 0;
      });
    }
    if (sub === 'add') {
      const code = requiredFlag(context, 'code');
      if (!CODE.test(code)) {
        throw new UsageError('--code must be 1-64 of a-z, 0-9, _ and -, starting with a letter or digit');
      }
      const plan = {
        code,
        title: requiredFlag(context, 'title'),
        durationDays: positiveInteger(requiredFlag(context, 'days'), 'days', 3650),
        price: parseAmount(requiredFlag(context, 'price'), 'price'),
        currency: parseCurrency(requiredFlag(context, 'currency')),
        trafficLimitBytes: parseTraffic(stringFlag(context, 'traffic-gb')) ?? null,
        maxKeys: positiveInteger(stringFlag(context, 'max-keys') ?? '1', 'max-keys', 100),
        prices: Object.fromEntries(
          Object.entries(parseExtraPrices(context)).filter(
            (entry): entry is [string, string] => entry[1] !== null,
          ),
        ),
      };
      return withPool(context, async (pool) => {
        const outcome = await createPlan(pool, plan);
        await recordAdminAction(pool, {
          ...by,
          action: 'plan.create',
          detail: { ...plan },
          outcome: outcome.kind === 'created' ? 'ok' : 'exists',
        });
        if (outcome.kind === 'exists') {
          context.stderr.write(
            `keywarden plans: a plan with code ${JSON.stringify(code)} exists (use update)\n`,
          );
          return 1;
        }
        println(
          context,
          formatTable(
            ['code', 'title', 'period', 'prices', 'traffic', 'keys', 'state'],
            [planRow(outcome.plan)],
          ),
        );
        return 0;
      });
    }
    const code = context.positionals[1];
    if (code === undefined) {
      throw new UsageError(`plans ${sub} needs the plan CODE`);
    }
    return withPool(context, async (pool) => {
      let plan: PlanRecord | null;
      let detail: Record<string, unknown>;
      if (sub === 'archive') {
        plan = await archivePlan(pool, code);
        detail = { code };
      } else {
        const days = stringFlag(context, 'days');
        const price = stringFlag(context, 'price');
        const currency = stringFlag(context, 'currency');
        const maxKeys = stringFlag(context, 'max-keys');
        const title = stringFlag(context, 'title');
        const traffic = parseTraffic(stringFlag(context, 'traffic-gb'));
        const changes = {
          ...(title === undefined ? {} : { title }),
          ...(days === undefined ? {} : { durationDays: positiveInteger(days, 'days', 3650) }),
          ...(price === undefined ? {} : { price: parseAmount(price, 'price') }),
          ...(currency === undefined ? {} : { currency: parseCurrency(currency) }),
          ...(traffic === undefined ? {} : { trafficLimitBytes: traffic }),
          ...(maxKeys === undefined ? {} : { maxKeys: positiveInteger(maxKeys, 'max-keys', 100) }),
          ...(booleanFlag(context, 'activate') ? { isActive: true } : {}),
          prices: parseExtraPrices(context),
        };
        plan = await updatePlan(pool, code, changes);
        detail = { code, ...changes };
      }
      await recordAdminAction(pool, {
        ...by,
        action: `plan.${sub}`,
        detail,
        outcome: plan === null ? 'not-found' : 'ok',
      });
      if (plan === null) {
        context.stderr.write(`keywarden plans: no plan with code ${JSON.stringify(code)}\n`);
        return 1;
      }
      println(
        context,
        formatTable(['code', 'title', 'period', 'prices', 'traffic', 'keys', 'state'], [planRow(plan)]),
      );
      return 0;
    });
  },
};
