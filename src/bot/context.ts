/** The bot's dependencies and its grammY context: every handler sees the user's row and texts. */
import type { Context } from 'grammy';
import type pg from 'pg';
import type { Config } from '../config/index.ts';
import type { UserRecord } from '../db/index.ts';
import type { CryptoPayApi, YooKassaApi } from '../payments/index.ts';
import type { Logger } from '../shared/index.ts';
import type { Language, Messages } from './i18n/index.ts';
import type { BotObserver } from './observer.ts';

/** The settings the bot reads. */
export type BotConfig = Pick<
  Config,
  | 'graceMs'
  | 'adminTelegramIds'
  | 'trialDurationMs'
  | 'checkoutLinks'
  | 'subPublicUrl'
  | 'subTokenSecret'
  | 'subTitle'
> &
  Partial<Pick<Config, 'orderLifetimeMs'>> &
  // Where /console links point (issue 14); absent: the console's defaults.
  Partial<Pick<Config, 'consolePublicUrl' | 'consoleHost' | 'consolePort'>>;

/** What the handlers need. */
export interface BotDeps {
  readonly pool: pg.Pool;
  readonly logger: Logger;
  readonly config: BotConfig;
  /** Metrics sink; default records nothing. */
  readonly observer?: BotObserver;
  /** Card and crypto payments the bot creates itself; absent providers get no button. */
  readonly checkout?: CheckoutDeps;
}

/** The provider APIs and their settings (issue 16). */
export interface CheckoutDeps {
  readonly yookassa?: {
    readonly api: YooKassaApi;
    /** The plan price in this currency is charged (KEYWARDEN_YOOKASSA_CURRENCY). */
    readonly currency: string;
    /** Where YooKassa sends the customer back; null: the bot's own t.me link. */
    readonly returnUrl: string | null;
    /** 54-FZ receipts: which contact to ask for, or off. */
    readonly receipt: 'off' | 'email' | 'phone' | 'email-or-phone';
    readonly vatCode: number;
  };
  readonly cryptoPay?: {
    readonly api: CryptoPayApi;
    readonly currency: string;
    readonly assets: readonly string[];
  };
}

/** Per-update state set by the registration middleware. */
export interface KeywardenFlavor {
  /** The user's row; present on every update that has a sender. */
  user: UserRecord | undefined;
  language: Language;
  t: Messages;
}

/** grammY context with the keywarden flavour. */
export type BotContext = Context & KeywardenFlavor;

/** An order's lifetime when the config does not say (KEYWARDEN_ORDER_LIFETIME's default). */
export const DEFAULT_ORDER_LIFETIME_MS = 3_600_000;
