/** Builders of Telegram updates as the Bot API delivers them, for `bot.handleUpdate`. */
import type { Update } from 'grammy/types';

let updateId = 500_000;
let messageId = 1;
const nextUpdateId = (): number => (updateId += 1);

/** A Telegram user (the sender). */
export interface TgUser {
  readonly id: number;
  readonly first_name: string;
  readonly username?: string;
  readonly language_code?: string;
}

const from = (user: TgUser) => ({ ...user, is_bot: false as const });
const chat = (user: TgUser) => ({ id: user.id, type: 'private' as const, first_name: user.first_name });

/** A text message; a leading /command gets its bot_command entity, as Telegram sends it. */
export function textUpdate(user: TgUser, text: string): Update {
  const command = /^\/[a-z_]+/.exec(text);
  return privateMessage(user, {
    text,
    ...(command
      ? { entities: [{ type: 'bot_command' as const, offset: 0, length: command[0].length }] }
      : {}),
  });
}

/** A group chat a button can be pressed in. */
export interface TgGroupChat {
  readonly id: number;
  readonly type: 'group' | 'supergroup';
  readonly title: string;
}

/** A button press with the given callback data (in the user's private chat unless `inChat` is given). */
export function callbackUpdate(user: TgUser, data: string, inChat?: TgGroupChat): Update {
  messageId += 1;
  return {
    update_id: nextUpdateId(),
    callback_query: {
      id: `cb-${updateId}`,
      from: from(user),
      chat_instance: 'ci',
      data,
      message: {
        message_id: messageId,
        date: Math.floor(Date.now() / 1000),
        chat: inChat ?? chat(user),
        text: 'menu',
      },
    },
  };
}

/** A pre_checkout_query (payments.md §1.2). */
export function preCheckoutUpdate(
  user: TgUser,
  payload: string,
  totalAmount: number,
  currency = 'XTR',
): Update {
  return {
    update_id: nextUpdateId(),
    pre_checkout_query: {
      id: `pcq-${updateId}`,
      from: from(user),
      currency,
      total_amount: totalAmount,
      invoice_payload: payload,
    },
  };
}

/** The fields a Stars successful_payment and refunded_payment share. */
const starsPayment = (payload: string, totalAmount: number, chargeId: string) => ({
  currency: 'XTR' as const,
  total_amount: totalAmount,
  invoice_payload: payload,
  telegram_payment_charge_id: chargeId,
});

/** A message from `user` in their private chat with `content` (text or a Stars payment). */
function privateMessage(
  user: TgUser,
  content:
    | { text: string; entities?: Array<{ type: 'bot_command'; offset: number; length: number }> }
    | { successful_payment: ReturnType<typeof starsPayment> & { provider_payment_charge_id: string } }
    | { refunded_payment: ReturnType<typeof starsPayment> },
): Update {
  messageId += 1;
  return {
    update_id: nextUpdateId(),
    message: {
      message_id: messageId,
      date: Math.floor(Date.now() / 1000),
      from: from(user),
      chat: chat(user),
      ...content,
    },
  };
}

/** A successful_payment service message (payments.md §1.3). */
export function successfulPaymentUpdate(
  user: TgUser,
  payload: string,
  totalAmount: number,
  chargeId: string,
): Update {
  return privateMessage(user, {
    successful_payment: { ...starsPayment(payload, totalAmount, chargeId), provider_payment_charge_id: '' },
  });
}

/** A refunded_payment service message (payments.md §1.4). */
export function refundedPaymentUpdate(
  user: TgUser,
  payload: string,
  totalAmount: number,
  chargeId: string,
): Update {
  return privateMessage(user, { refunded_payment: starsPayment(payload, totalAmount, chargeId) });
}
