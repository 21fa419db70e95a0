/**
 * Branded ids. Every id that crosses a module boundary carries its kind in the type, so a panel id
 * can never be passed where a key id is expected. Only parsers and row mappers create them.
 */
declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** `users.id`. */
export type UserId = Brand<string, 'UserId'>;
/** `vpn_keys.id`. */
export type KeyId = Brand<string, 'KeyId'>;
/** `panels.id`. */
export type PanelId = Brand<string, 'PanelId'>;
/** 3x-ui's numeric inbound id, unique within one panel. */
export type InboundId = Brand<number, 'InboundId'>;
/** 3x-ui's client email: the client's name, unique per panel. */
export type ClientEmail = Brand<string, 'ClientEmail'>;
/** `plans.id`. */
export type PlanId = Brand<string, 'PlanId'>;
/** `orders.id`: a UUID, opaque to providers and customers. */
export type OrderId = Brand<string, 'OrderId'>;
/** Telegram's numeric user id (fits a JS number: Telegram guarantees at most 52 significant bits). */
export type TelegramId = Brand<number, 'TelegramId'>;

// Bigint primary keys travel as decimal strings: pg returns int8 as text, and JS numbers would lose
// precision past 2^53.

/** Brands a decimal id string as a user id. */
export const asUserId = (id: string | number | bigint): UserId => String(id) as UserId;
/** Brands a decimal id string as a key id. */
export const asKeyId = (id: string | number | bigint): KeyId => String(id) as KeyId;
/** Brands a decimal id string as a panel id. */
export const asPanelId = (id: string | number | bigint): PanelId => String(id) as PanelId;
/** Brands a decimal id string as a plan id. */
export const asPlanId = (id: string | number | bigint): PlanId => String(id) as PlanId;
/** Brands a 3x-ui inbound id. */
export const asInboundId = (id: number): InboundId => id as InboundId;
/** Brands a 3x-ui client email. */
export const asClientEmail = (email: string): ClientEmail => email as ClientEmail;
/** Brands a Telegram user id. */
export const asTelegramId = (id: number): TelegramId => id as TelegramId;
/** Brands a UUID string as an order id. */
export const asOrderId = (id: string): OrderId => id.toLowerCase() as OrderId;
