/**
 * Card (YooKassa) and crypto (Crypto Pay) payments the bot creates itself (issue 16, docs/payments.md):
 *
 * 1. the customer presses a plan's card or crypto button;
 * 2. an order is made (price in the provider's currency fixed, idempotence key stored);
 * 3. the provider is asked for a payment (YooKassa, redirect confirmation, `Idempotence-Key` = the
 *    order's key, `metadata.kw_ref` = `o:<order id>`, a 54-FZ receipt when configured) or an invoice
 *    (Crypto Pay, `payload` = `o:<order id>`); a call whose outcome is unknown is repeated once with
 *    the same key, which cannot create a second payment;
 * 4. the order becomes pending and the customer gets a "Pay" URL button;
 * 5. the provider's webhook records the payment (src/webhooks) and queues `payment-received`, which
 *    the bot delivers here.
 * A refused payment ends the order `failed`; an order nobody pays expires (orders-loop.ts).
 */
import { Composer, InlineKeyboard, Keyboard } from 'grammy';
import {
  createOrder,
  endOrder,
  findAutopay,
  findPlan,
  findReceiptContact,
  markOrderPending,
  saveReceiptContact,
  setAutopayEnabled,
  type OrderRecord,
  type PlanRecord,
} from '../../db/index.ts';
import { encodeOrderId, type PlanId } from '../../domain/index.ts';
import type { YooKassaReceipt } from '../../payments/index.ts';
import { formatPrice } from '../render.ts';
import { sleep } from '../../shared/index.ts';
import { encodeCallbackData, type CheckoutProvider } from '../callback-data.ts';
import { DEFAULT_ORDER_LIFETIME_MS, type BotContext, type BotDeps, type CheckoutDeps } from '../context.ts';
import { formatInstant, type Messages } from '../i18n/index.ts';

/** The card and crypto buttons of one plan, for the plans list. */
export function checkoutButtons(
  keyboard: InlineKeyboard,
  t: Messages,
  plan: PlanRecord,
  checkout: CheckoutDeps | undefined,
): void {
  const card = checkout?.yookassa;
  const cardPrice = card === undefined ? undefined : plan.prices[card.currency];
  if (card !== undefined && cardPrice !== undefined && Number(cardPrice) > 0) {
    keyboard
      .text(
        t.buttonBuyCard(plan.title, formatPrice(cardPrice, card.currency)),
        encodeCallbackData({ kind: 'checkout', provider: 'yookassa', planId: plan.id }),
      )
      .row()
      .text(
        t.buttonBuyCardAutopay(plan.title, formatPrice(cardPrice, card.currency)),
        encodeCallbackData({ kind: 'checkout', provider: 'yookassa', planId: plan.id, autopay: true }),
      )
      .row();
  }
  const crypto = checkout?.cryptoPay;
  const cryptoPrice = crypto === undefined ? undefined : plan.prices[crypto.currency];
  if (crypto !== undefined && cryptoPrice !== undefined && Number(cryptoPrice) > 0) {
    keyboard
      .text(
        t.buttonBuyCrypto(plan.title, formatPrice(cryptoPrice, crypto.currency)),
        encodeCallbackData({ kind: 'checkout', provider: 'cryptobot', planId: plan.id }),
      )
      .row();
  }
}

const EMAIL = /^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,}$/;

/** The receipt for a YooKassa payment, null when off, or `missing` when the customer must give a contact first. */
async function receiptFor(
  deps: BotDeps,
  ctx: BotContext,
  settings: NonNullable<CheckoutDeps['yookassa']>,
): Promise<YooKassaReceipt | null | 'missing'> {
  const user = ctx.user;
  if (settings.receipt === 'off' || user === undefined) {
    return null;
  }
  const contact = await findReceiptContact(deps.pool, user.id);
  const wantsEmail = settings.receipt !== 'phone';
  const wantsPhone = settings.receipt !== 'email';
  if (wantsEmail && contact.email !== null) {
    return { customer: { email: contact.email }, vatCode: settings.vatCode };
  }
  if (wantsPhone && contact.phone !== null) {
    return { customer: { phone: contact.phone }, vatCode: settings.vatCode };
  }
  return 'missing';
}

/** Asks for the receipt contact the shop needs. */
async function askForReceiptContact(
  ctx: BotContext,
  mode: 'email' | 'phone' | 'email-or-phone',
): Promise<void> {
  const t = ctx.t;
  const kinds =
    mode === 'email' ? t.receiptKindEmail : mode === 'phone' ? t.receiptKindPhone : t.receiptKindEither;
  await ctx.reply(
    t.receiptContactNeeded(kinds),
    mode === 'email'
      ? {}
      : { reply_markup: new Keyboard().requestContact(t.buttonSharePhone).oneTime().resized() },
  );
}

type ProviderAnswer =
  | { readonly kind: 'created'; readonly providerPaymentId: string; readonly url: string }
  | { readonly kind: 'refused'; readonly reason: string }
  | { readonly kind: 'unavailable'; readonly reason: string };

/** Asks the provider for a payment or invoice for the order. */
async function askProvider(
  ctx: BotContext,
  deps: BotDeps,
  order: OrderRecord,
  plan: PlanRecord,
  description: string,
  receipt: YooKassaReceipt | null,
): Promise<ProviderAnswer> {
  // On the first payment the customer chose whether to save the card (save_payment_method).
  const checkout = deps.checkout;
  if (order.provider === 'yookassa' && checkout?.yookassa) {
    const created = await checkout.yookassa.api.createPayment({
      idempotenceKey: order.idempotenceKey,
      amount: order.amount,
      currency: order.currency,
      description,
      metadata: { kw_ref: encodeOrderId(order.id), plan: plan.code },
      returnUrl: checkout.yookassa.returnUrl ?? `https://t.me/${ctx.me.username}`,
      savePaymentMethod: order.saveMethod,
      receipt,
    });
    if (created.kind !== 'created') {
      return created;
    }
    if (created.payment.confirmationUrl === null) {
      return { kind: 'refused', reason: `payment ${created.payment.id} came without a confirmation URL` };
    }
    return { kind: 'created', providerPaymentId: created.payment.id, url: created.payment.confirmationUrl };
  }
  if (order.provider === 'cryptobot' && checkout?.cryptoPay) {
    const created = await checkout.cryptoPay.api.createInvoice({
      amount: order.amount,
      currency: order.currency,
      acceptedAssets: checkout.cryptoPay.assets,
      description,
      payload: encodeOrderId(order.id),
      expiresInSeconds: (order.expiresAt.getTime() - Date.now()) / 1000,
    });
    return created.kind === 'created'
      ? { kind: 'created', providerPaymentId: created.invoiceId, url: created.url }
      : created;
  }
  return { kind: 'refused', reason: `provider ${order.provider} is not configured` };
}

/** Creates an order and its payment with `provider`, and gives the customer the "Pay" button. */
export async function startCheckout(
  ctx: BotContext,
  deps: BotDeps,
  provider: CheckoutProvider,
  planId: PlanId,
  autopay = false,
): Promise<void> {
  const user = ctx.user;
  if (user === undefined) {
    return;
  }
  const t = ctx.t;
  const settings = provider === 'yookassa' ? deps.checkout?.yookassa : deps.checkout?.cryptoPay;
  const plan = await findPlan(deps.pool, { id: planId });
  if (settings === undefined || plan === null || !plan.isActive || user.bannedAt !== null) {
    await ctx.reply(t.planUnavailable);
    return;
  }
  let receipt: YooKassaReceipt | null = null;
  if (provider === 'yookassa' && deps.checkout?.yookassa) {
    const found = await receiptFor(deps, ctx, deps.checkout.yookassa);
    if (found === 'missing') {
      await askForReceiptContact(
        ctx,
        deps.checkout.yookassa.receipt === 'off' ? 'email' : deps.checkout.yookassa.receipt,
      );
      return;
    }
    receipt = found;
  }
  const created = await createOrder(deps.pool, {
    userId: user.id,
    planId: plan.id,
    provider,
    currency: settings.currency,
    lifetimeMs: deps.config.orderLifetimeMs ?? DEFAULT_ORDER_LIFETIME_MS,
    saveMethod: provider === 'yookassa' && autopay,
  });
  if (created.kind !== 'created') {
    await ctx.reply(t.planUnavailable);
    return;
  }
  const order = created.order;
  const log = deps.logger.child({ orderId: order.id, provider });
  const description = t.invoiceDescription(plan.title, plan.durationDays);
  let answer = await askProvider(ctx, deps, order, plan, description, receipt);
  if (answer.kind === 'unavailable') {
    // The outcome is unknown; the same idempotence key makes the repeat return the same payment.
    log.warn({ reason: answer.reason }, 'payment provider unavailable, repeating once with the same key');
    await sleep(500);
    answer = await askProvider(ctx, deps, order, plan, description, receipt);
  }
  switch (answer.kind) {
    case 'created': {
      const pending = await markOrderPending(deps.pool, order.id, {
        providerPaymentId: answer.providerPaymentId,
        confirmationUrl: answer.url,
      });
      log.info({ providerPaymentId: answer.providerPaymentId, state: pending?.state }, 'payment created');
      const price = formatPrice(order.amount, order.currency);
      await ctx.reply(t.checkoutReady(plan.title, price, formatInstant(order.expiresAt)), {
        reply_markup: new InlineKeyboard().url(t.buttonPay(price), answer.url),
      });
      return;
    }
    case 'refused':
      log.error({ reason: answer.reason }, 'payment provider refused to create the payment');
      await endOrder(deps.pool, order.id, 'failed', answer.reason);
      await ctx.reply(t.checkoutRefused);
      return;
    case 'unavailable':
      // Left `created`: it expires with its lifetime, and a payment that still comes is honoured.
      log.error({ reason: answer.reason }, 'payment provider unavailable; order left to expire');
      await ctx.reply(t.checkoutUnavailable);
      return;
  }
}

/** Receipt contacts: a shared phone number (own contact only) or an e-mail address sent as text. */
export function receiptContactHandlers(deps: BotDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const mode = deps.checkout?.yookassa?.receipt ?? 'off';
  if (mode === 'off') {
    return composer;
  }
  if (mode !== 'email') {
    composer.on('message:contact', async (ctx, next) => {
      const contact = ctx.message.contact;
      const phone = contact.phone_number.replace(/\D/g, '');
      if (ctx.user === undefined || contact.user_id !== ctx.from.id || !/^[0-9]{7,15}$/.test(phone)) {
        await next();
        return;
      }
      await saveReceiptContact(deps.pool, ctx.user.id, { phone });
      await ctx.reply(ctx.t.receiptContactSaved, { reply_markup: { remove_keyboard: true } });
    });
  }
  if (mode !== 'phone') {
    composer.on('message:text', async (ctx, next) => {
      const text = ctx.message.text.trim();
      if (ctx.user === undefined || !EMAIL.test(text) || text.length > 320) {
        await next();
        return;
      }
      await saveReceiptContact(deps.pool, ctx.user.id, { email: text });
      await ctx.reply(ctx.t.receiptContactSaved, {
        reply_markup: new InlineKeyboard().text(ctx.t.buttonPlans, encodeCallbackData({ kind: 'plans' })),
      });
    });
  }
  return composer;
}

/** Turns the customer's automatic renewal off (a saved card is never charged while it is off). */
export async function turnAutopayOff(ctx: BotContext, deps: BotDeps): Promise<void> {
  const user = ctx.user;
  if (user === undefined) {
    return;
  }
  const had = await setAutopayEnabled(deps.pool, user.id, false);
  deps.logger.info({ userId: user.id, had }, 'autopay turned off by the customer');
  await ctx.reply(had ? ctx.t.autopayOff : ctx.t.autopayNotSet);
}

/** The "turn autopay off" button for the plans list, when the customer has autopay on. */
export async function autopayButton(keyboard: InlineKeyboard, ctx: BotContext, deps: BotDeps): Promise<void> {
  const user = ctx.user;
  if (user === undefined || deps.checkout?.yookassa === undefined) {
    return;
  }
  const autopay = await findAutopay(deps.pool, user.id);
  if (autopay?.isEnabled === true) {
    keyboard.text(ctx.t.buttonAutopayOff, encodeCallbackData({ kind: 'autopay-off' })).row();
  }
}
