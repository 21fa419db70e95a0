/** The bot's dependencies and its grammY context: every handler sees the user's row and texts. */
import type { Context } from 'grammy';
import type pg from 'pg';
import type { Config } from '../config/index.ts';
import type { UserRecord } from '../db/index.ts';
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
>;

/** What the handlers need. */
export interface BotDeps {
  readonly pool: pg.Pool;
  readonly logger: Logger;
  readonly config: BotConfig;
  /** Metrics sink; default records nothing. */
  readonly observer?: BotObserver;
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
