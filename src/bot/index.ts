export {
  startBot,
  checkoutDepsFrom,
  renewalScheduleFrom,
  type BotHandle,
  type StartBotConfig,
  type StartBotOptions,
} from './start-bot.ts';
export { runOrdersPass, runOrdersLoop, type OrdersLoopOptions } from './orders-loop.ts';
export {
  runAutopayPass,
  runAutopayLoop,
  AUTOPAY_FAILED_KIND,
  type AutopayOptions,
  type AutopayPassResult,
} from './autopay.ts';
export { createBot, type CreateBotOptions } from './create-bot.ts';
export { type BotConfig, type BotContext, type BotDeps, type CheckoutDeps } from './context.ts';
// The link builder lives in src/links (shared with the subscription server); re-exported for callers
// that render a key's link through the bot's surface.
export { renderLink, type LinkInput } from '../links/index.ts';
export { keyStatusOf, type KeyStatus, type KeyStateRow, type SuspendReason } from './key-status.ts';
export { parseCallbackData, encodeCallbackData, type CallbackAction } from './callback-data.ts';
export { deliverOutboxOnce, runOutboxLoop, type OutboxOptions, type OutboxPassResult } from './outbox.ts';
export { enqueueExpiryReminders } from './queries/outbox.ts';
export { confirmHeldPlan, listOpenHeldPlans, type HeldPlan } from './queries/held-plans.ts';
export { pickLanguage, messagesFor, type Language, type Messages } from './i18n/index.ts';
export {
  sweepStarTransactions,
  runStarsSweepLoop,
  type StarsSweepOptions,
  type StarsSweepResult,
} from './stars-sweep.ts';
export {
  NO_BOT_OBSERVER,
  type BotObserver,
  type OutboxOutcome,
  type StarsPaymentOutcome,
} from './observer.ts';
