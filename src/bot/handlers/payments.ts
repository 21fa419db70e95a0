/**
 * Plans and Telegram Stars payments (payments.md §1): an order first (price fixed), then the invoice
 * (XTR, one price, provider_token "", payload `o:<order id>`), pre-checkout re-validation against the
 * order answered inline within Telegram's 10 s window, successful_payment through the one payment use
 * case (`recordProviderPayment`, keyed by telegram_payment_charge_id), and refunded_payment through
 * `cancelPayment`. This file keeps only the Telegram transport; resolving and checking is in src/db.
 */
import { Composer, InlineKeyboard } from 'grammy';
import {
  cancelPayment,
  createOrder,
  endOrder,
  findOrder,
  findPlan,
  findStarsSubscriptions,
  findUser,
  listActivePlans,
  markOrderPending,
  markSubscriptionCancelled,
  paymentMetricOutcome,
  recordProviderPayment,
  refundMetricOutcome,
  type OrderRecord,
  type PlanRecord,
} from '../../db/index.ts';
import { backoffDelayMs, sleep, toError, type Logger } from '../../shared/index.ts';
import {
  encodeOrderId,
  isOrderOpen,
  parsePaymentReference,
  type PaymentReference,
  type PlanId,
  type UserId,
} from '../../domain/index.ts';
import { encodeCallbackData } from '../callback-data.ts';
import { autopayButton, checkoutButtons } from './checkout.ts';
import { DEFAULT_ORDER_LIFETIME_MS, type BotContext, type BotDeps } from '../context.ts';
import { NO_BOT_OBSERVER } from '../observer.ts';
import { formatInstant } from '../i18n/index.ts';

/** Provider name of Stars payments in `payments.provider`. */
export const STARS_PROVIDER = 'telegram_stars';

/** The plan's price in Stars: a whole positive number, or null when the plan is not sold for Stars. */
export function starsPrice(plan: PlanRecord): number | null {
  const raw = plan.prices['XTR'];
  if (raw === undefined) {
    return null;
  }
  const value = Number(raw);
  return Number.isInteger(value) && value > 0 ? value : null;
}

/** Lists the plans on sale with Stars buttons and the configured checkout links. */
export async function showPlans(ctx: BotContext, deps: BotDeps): Promise<void> {
  const user = ctx.user;
  if (user === undefined) {
    return;
  }
  const t = ctx.t;
  const plans = await listActivePlans(deps.pool);
  if (plans.length === 0) {
    await ctx.reply(t.plansEmpty);
    return;
  }
  const keyboard = new InlineKeyboard();
  const lines = [t.plansTitle];
  for (const plan of plans) {
    const stars = starsPrice(plan);
    lines.push(t.planLine(plan.title, plan.durationDays, stars === null ? null : String(stars)));
    if (stars !== null) {
      keyboard
        .text(
          t.buttonBuyStars(plan.title, String(stars)),
          encodeCallbackData({ kind: 'buy', planId: plan.id }),
        )
        .row();
      if (plan.durationDays === STARS_SUBSCRIPTION_DAYS) {
        keyboard
          .text(
            t.buttonSubscribeStars(plan.title, String(stars)),
            encodeCallbackData({ kind: 'subscribe', planId: plan.id }),
          )
          .row();
      }
    }
    checkoutButtons(keyboard, t, plan, deps.checkout);
    for (const link of deps.config.checkoutLinks) {
      const url = link.url
        .replaceAll('{user}', encodeURIComponent(user.id))
        .replaceAll('{plan}', encodeURIComponent(plan.code));
      keyboard.url(`${plan.title}: ${link.label}`, url).row();
    }
  }
  await autopayButton(keyboard, ctx, deps);
  if ((await findStarsSubscriptions(deps.pool, user.id)).length > 0) {
    keyboard.text(t.buttonStarsSubscriptionOff, encodeCallbackData({ kind: 'stars-subscription-off' })).row();
  }
  keyboard.text(t.buttonBack, encodeCallbackData({ kind: 'menu' }));
  await ctx.reply(lines.join('\n'), { reply_markup: keyboard });
}

/**
 * Opens a Stars order for one plan of `user` (a subscription order when `isSubscription`): null,
 * after telling the customer the plan is unavailable, when the plan is gone, inactive, has no Stars
 * price or (for a subscription) does not last the 30 days Telegram renews by.
 */
async function openStarsOrder(
  ctx: BotContext,
  deps: BotDeps,
  userId: UserId,
  planId: PlanId,
  isSubscription: boolean,
): Promise<{ readonly plan: PlanRecord; readonly order: OrderRecord; readonly stars: number } | null> {
  const plan = await findPlan(deps.pool, { id: planId });
  const stars = plan === null ? null : starsPrice(plan);
  const fits = plan !== null && (!isSubscription || plan.durationDays === STARS_SUBSCRIPTION_DAYS);
  if (plan === null || !plan.isActive || stars === null || !fits) {
    await ctx.reply(ctx.t.planUnavailable);
    return null;
  }
  const created = await createOrder(deps.pool, {
    userId,
    planId: plan.id,
    provider: STARS_PROVIDER,
    currency: 'XTR',
    lifetimeMs: deps.config.orderLifetimeMs ?? DEFAULT_ORDER_LIFETIME_MS,
    ...(isSubscription ? { isSubscription: true } : {}),
  });
  if (created.kind !== 'created') {
    await ctx.reply(ctx.t.planUnavailable);
    return null;
  }
  return { plan, order: created.order, stars };
}

/** The invoice's title, description and single price line (payments.md §1.1: 1-32 and 1-255 characters). */
function invoiceText(ctx: BotContext, plan: PlanRecord, order: OrderRecord) {
  const title = plan.title.slice(0, 32);
  return {
    title,
    description: ctx.t.invoiceDescription(plan.title, plan.durationDays).slice(0, 255),
    payload: encodeOrderId(order.id),
    prices: [{ label: title, amount: Number(order.amount) }],
  };
}

/** Sends a Stars invoice for one plan; the payload names our order (and so our user and the plan). */
export async function sendStarsInvoice(ctx: BotContext, deps: BotDeps, planId: PlanId): Promise<void> {
  const user = ctx.user;
  if (user === undefined) {
    return;
  }
  const opened = await openStarsOrder(ctx, deps, user.id, planId, false);
  if (opened === null) {
    return;
  }
  const { order } = opened;
  const invoice = invoiceText(ctx, opened.plan, order);
  try {
    await ctx.replyWithInvoice(invoice.title, invoice.description, invoice.payload, 'XTR', invoice.prices, {
      provider_token: '',
    });
  } catch (thrown: unknown) {
    await endOrder(deps.pool, order.id, 'failed', 'sendInvoice failed');
    throw thrown;
  }
  await markOrderPending(deps.pool, order.id, { providerPaymentId: null, confirmationUrl: null });
}

/** Telegram Stars subscriptions renew every 30 days (subscription_period 2592000 s, payments.md §1.1). */
export const STARS_SUBSCRIPTION_DAYS = 30;
const STARS_SUBSCRIPTION_PERIOD_S = 2_592_000;

/**
 * Sends a Stars subscription link for a 30-day plan: an order first, then `createInvoiceLink` with
 * `subscription_period` 2592000 and the order reference as payload. Telegram renews it every 30 days;
 * each recurring successful_payment pays one renewal order (one period).
 */
export async function sendStarsSubscription(ctx: BotContext, deps: BotDeps, planId: PlanId): Promise<void> {
  const user = ctx.user;
  if (user === undefined) {
    return;
  }
  const opened = await openStarsOrder(ctx, deps, user.id, planId, true);
  if (opened === null) {
    return;
  }
  const { plan, order, stars } = opened;
  const invoice = invoiceText(ctx, plan, order);
  let link: string;
  try {
    link = await ctx.api.createInvoiceLink(
      invoice.title,
      invoice.description,
      invoice.payload,
      '',
      'XTR',
      invoice.prices,
      { subscription_period: STARS_SUBSCRIPTION_PERIOD_S },
    );
  } catch (thrown: unknown) {
    await endOrder(deps.pool, order.id, 'failed', 'createInvoiceLink failed');
    throw thrown;
  }
  await markOrderPending(deps.pool, order.id, { providerPaymentId: null, confirmationUrl: link });
  await ctx.reply(ctx.t.subscriptionReady(plan.title, String(stars)), {
    reply_markup: new InlineKeyboard().url(ctx.t.buttonSubscribe, link),
  });
}

/** Stops the customer's Stars subscriptions from renewing (editUserStarSubscription, is_canceled). */
export async function cancelStarsSubscription(ctx: BotContext, deps: BotDeps): Promise<void> {
  const user = ctx.user;
  if (user === undefined || ctx.from === undefined) {
    return;
  }
  const subscriptions = await findStarsSubscriptions(deps.pool, user.id);
  if (subscriptions.length === 0) {
    await ctx.reply(ctx.t.starsSubscriptionNone);
    return;
  }
  for (const subscription of subscriptions) {
    await ctx.api.editUserStarSubscription(ctx.from.id, subscription.chargeId, true);
    await markSubscriptionCancelled(deps.pool, subscription.orderId);
    deps.logger.info({ orderId: subscription.orderId }, 'stars subscription cancelled by the customer');
  }
  await ctx.reply(ctx.t.starsSubscriptionOff);
}

/** Attempts of a money write before the update is given up (then an error log names the charge). */
const MONEY_WRITE_ATTEMPTS = 5;

/**
 * Runs a money write, retrying failures (a database blip) with backoff: grammY confirms an update
 * once its handler returns or throws, so a payment update whose write failed would not come again.
 * The write is idempotent (unique provider + external id), so a retry after an unseen commit is safe.
 */
async function withRetries<T>(log: Logger, what: string, write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await write();
    } catch (thrown: unknown) {
      if (attempt >= MONEY_WRITE_ATTEMPTS) {
        log.error({ err: toError(thrown), attempt }, `${what} failed; needs a human`);
        throw thrown;
      }
      const delayMs = backoffDelayMs(attempt, { baseMs: 250, maxMs: 4_000 });
      log.warn({ err: toError(thrown), attempt, retryInMs: delayMs }, `${what} failed, retrying`);
      await sleep(delayMs);
    }
  }
}

/** pre_checkout_query, successful_payment and refunded_payment. */
export function paymentHandlers(deps: BotDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();

  // Answered in the handler itself, never through a queue: Telegram drops the checkout after 10 s.
  composer.on('pre_checkout_query', async (ctx) => {
    const query = ctx.preCheckoutQuery;
    const reject = async (why: string): Promise<void> => {
      deps.logger.warn({ why, telegramId: query.from.id }, 'pre-checkout rejected');
      await ctx.answerPreCheckoutQuery(false, { error_message: ctx.t.preCheckoutRejected });
    };
    const reference = parsePaymentReference(query.invoice_payload, 'invoice_payload');
    if (!reference.ok) {
      await reject('unparseable payload');
      return;
    }
    if (query.currency !== 'XTR') {
      await reject('currency is not XTR');
      return;
    }
    let verdict: string | null;
    try {
      verdict = await preCheckoutVerdict(deps, reference.value, query.from.id, query.total_amount);
    } catch (thrown: unknown) {
      // Without the database we cannot validate; saying no now beats Telegram's timeout after 10 s.
      deps.logger.error({ err: toError(thrown) }, 'pre-checkout could not read the database');
      await reject('database unavailable');
      return;
    }
    if (verdict !== null) {
      await reject(verdict);
      return;
    }
    await ctx.answerPreCheckoutQuery(true);
  });

  composer.on('message:successful_payment', async (ctx) => {
    const payment = ctx.message.successful_payment;
    const log = deps.logger.child({ chargeId: payment.telegram_payment_charge_id });
    const reference = parsePaymentReference(payment.invoice_payload, 'invoice_payload');
    if (!reference.ok || payment.currency !== 'XTR') {
      // Money arrived that we cannot attribute: a human must look (refund or grant by hand).
      log.error(
        { currency: payment.currency, error: reference.ok ? null : reference.error },
        'stars payment cannot be attributed',
      );
      await ctx.reply(ctx.t.paymentFailed);
      return;
    }
    const outcome = await withRetries(log, 'record stars payment', () =>
      recordProviderPayment(deps.pool, {
        provider: STARS_PROVIDER,
        externalId: payment.telegram_payment_charge_id,
        reference: reference.value,
        amount: String(payment.total_amount),
        currency: 'XTR',
        recurring: payment.is_recurring === true && payment.is_first_recurring !== true,
        payload: {
          invoice_payload: payment.invoice_payload,
          is_recurring: payment.is_recurring ?? false,
          is_first_recurring: payment.is_first_recurring ?? false,
          subscription_expiration_date: payment.subscription_expiration_date ?? null,
          message_date: ctx.message.date,
          telegram_user_id: ctx.from.id,
        },
      }),
    );
    (deps.observer ?? NO_BOT_OBSERVER).onPayment(STARS_PROVIDER, paymentMetricOutcome(outcome));
    if (outcome.kind === 'granted' || outcome.kind === 'duplicate' || outcome.kind === 'mismatch') {
      if (ctx.user !== undefined && outcome.userId !== null && ctx.user.id !== outcome.userId) {
        log.warn(
          { payerUserId: ctx.user.id, orderUserId: outcome.userId },
          'stars payment made by another user than the order names',
        );
      }
    }
    switch (outcome.kind) {
      case 'granted':
        log.info(
          {
            paymentId: outcome.paymentId,
            periodId: outcome.period.id,
            orderId: outcome.orderId,
            late: outcome.late,
          },
          'stars payment granted a period',
        );
        await ctx.reply(ctx.t.paymentGranted(formatInstant(outcome.period.endsAt)));
        return;
      case 'duplicate':
        log.info({ paymentId: outcome.paymentId }, 'stars payment already recorded');
        await ctx.reply(ctx.t.paymentDuplicate);
        return;
      case 'mismatch':
        log.error(
          { paymentId: outcome.paymentId, amount: payment.total_amount, reason: outcome.reason },
          'stars payment does not match its order or plan',
        );
        await ctx.reply(ctx.t.paymentMismatch);
        return;
      case 'unknown-order':
      case 'unknown-plan':
      case 'unknown-user':
        log.error({ outcome: outcome.kind }, 'stars payment names an unknown order, plan or user');
        await ctx.reply(ctx.t.paymentFailed);
        return;
    }
  });

  composer.on('message:refunded_payment', async (ctx) => {
    const refund = ctx.message.refunded_payment;
    const outcome = await cancelPayment(deps.pool, {
      provider: STARS_PROVIDER,
      externalId: refund.telegram_payment_charge_id,
      refund: {
        total_amount: refund.total_amount,
        currency: refund.currency,
        message_date: ctx.message.date,
      },
    });
    deps.logger.info(
      { chargeId: refund.telegram_payment_charge_id, outcome: outcome.kind },
      'stars refund handled',
    );
    (deps.observer ?? NO_BOT_OBSERVER).onPayment(STARS_PROVIDER, refundMetricOutcome(outcome));
    if (outcome.kind === 'cancelled') {
      await ctx.reply(ctx.t.paymentRefunded);
    }
  });

  return composer;
}

/**
 * Why a Stars pre-checkout must be refused, or null to approve. An order must be open, belong to the
 * payer and cost exactly `totalAmount` Stars; a legacy reference must name the payer and the plan's
 * Stars price. A banned payer is refused either way.
 */
async function preCheckoutVerdict(
  deps: BotDeps,
  reference: PaymentReference,
  telegramId: number,
  totalAmount: number,
): Promise<string | null> {
  const user = await findUser(deps.pool, { telegramId });
  if (user === null) {
    return 'payer is unknown';
  }
  if (user.bannedAt !== null) {
    return 'user is banned';
  }
  if (reference.kind === 'order') {
    const order: OrderRecord | null = await findOrder(deps.pool, reference.orderId);
    if (order === null || order.userId !== user.id) {
      return 'payer is not the user of the order';
    }
    if (!isOrderOpen(order.state) || order.expiresAt.getTime() <= Date.now()) {
      return `order is ${order.state}`;
    }
    if (
      order.provider !== STARS_PROVIDER ||
      order.currency !== 'XTR' ||
      Number(order.amount) !== totalAmount
    ) {
      return 'amount is not the order price';
    }
    return null;
  }
  const plan: PlanRecord | null = await findPlan(deps.pool, { code: reference.reference.planCode });
  if (user.id !== reference.reference.userId) {
    return 'payer is not the user named in the payload';
  }
  if (plan === null || !plan.isActive || starsPrice(plan) !== totalAmount) {
    return 'plan not on sale at this price';
  }
  return null;
}
