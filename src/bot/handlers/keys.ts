/**
 * Keys: "get a key" inserts a vpn_keys row (the reconciler creates the client), "my keys" lists each
 * live key with its status from key_state, one key's link and QR code, revoke and replace. Only
 * entitled users may take or replace keys; looking at and revoking existing keys is always allowed.
 */
import { InputFile, InlineKeyboard } from 'grammy';
import QRCode from 'qrcode';
import { issueKey, replaceKey, revokeKey } from '../../db/index.ts';
import type { KeyId } from '../../domain/index.ts';
import { linkInputOf, renderLink } from '../../links/index.ts';
import { encodeCallbackData } from '../callback-data.ts';
import type { BotContext, BotDeps } from '../context.ts';
import { keyStatusOf } from '../key-status.ts';
import { readEntitlement } from '../queries/entitlement.ts';
import { findLiveKey, listLiveKeys, type UserKey } from '../queries/keys.ts';
import { statusText } from '../render.ts';

const escapeHtml = (value: string): string =>
  value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** The connection link of a key, or null while its inbound has not been observed or can't be rendered. */
export function linkOf(key: UserKey): string | null {
  const input = linkInputOf(key);
  if (input === null) {
    return null;
  }
  const link = renderLink(input);
  return link.ok ? link.value : null;
}

async function requireEntitled(ctx: BotContext, deps: BotDeps): Promise<boolean> {
  if (ctx.user === undefined) {
    return false;
  }
  const entitlement = await readEntitlement(deps.pool, ctx.user.id, deps.config.graceMs);
  if (!entitlement.isEntitled) {
    await ctx.reply(ctx.t.needSubscription, {
      reply_markup: InlineKeyboard.from([
        [InlineKeyboard.text(ctx.t.buttonPlans, encodeCallbackData({ kind: 'plans' }))],
      ]),
    });
    return false;
  }
  return true;
}

/** "My keys": every live key with its status and buttons to show, replace or revoke it. */
export async function showKeys(ctx: BotContext, deps: BotDeps): Promise<void> {
  if (ctx.user === undefined) {
    return;
  }
  const t = ctx.t;
  const keys = await listLiveKeys(deps.pool, ctx.user.id);
  const keyboard = new InlineKeyboard();
  if (keys.length === 0) {
    keyboard.text(t.buttonGetKey, encodeCallbackData({ kind: 'get-key' })).row();
    keyboard.text(t.buttonBack, encodeCallbackData({ kind: 'menu' }));
    await ctx.reply(t.keysEmpty, { reply_markup: keyboard });
    return;
  }
  const lines = [t.keysTitle];
  for (const [position, key] of keys.entries()) {
    const index = position + 1;
    lines.push(t.keyLine(index, statusText(t, keyStatusOf(key.state))));
    keyboard
      .text(t.buttonShowKey(index), encodeCallbackData({ kind: 'show-key', keyId: key.id }))
      .text(t.buttonReplaceKey(index), encodeCallbackData({ kind: 'replace-key', keyId: key.id }))
      .text(t.buttonRevokeKey(index), encodeCallbackData({ kind: 'revoke-key', keyId: key.id }))
      .row();
  }
  keyboard.text(t.buttonBack, encodeCallbackData({ kind: 'menu' }));
  await ctx.reply(lines.join('\n'), { reply_markup: keyboard });
}

/** One key: its link as copyable text and as a QR code PNG. */
export async function showKey(ctx: BotContext, deps: BotDeps, keyId: KeyId): Promise<void> {
  if (ctx.user === undefined) {
    return;
  }
  const key = await findLiveKey(deps.pool, ctx.user.id, keyId);
  if (key === null) {
    await ctx.reply(ctx.t.keyNotFound);
    return;
  }
  const link = linkOf(key);
  if (link === null) {
    await ctx.reply(ctx.t.keyLinkUnavailable);
    return;
  }
  await ctx.reply(ctx.t.keyLink(escapeHtml(link)), { parse_mode: 'HTML' });
  const png = await QRCode.toBuffer(link, { type: 'png', errorCorrectionLevel: 'M', margin: 2, width: 512 });
  await ctx.replyWithPhoto(new InputFile(png, 'key.png'), { caption: ctx.t.keyQrCaption });
}

/** "Get a key": issues a key on the least-loaded inbound, within the plan's key limit. */
export async function getKey(ctx: BotContext, deps: BotDeps): Promise<void> {
  if (ctx.user === undefined || !(await requireEntitled(ctx, deps))) {
    return;
  }
  const outcome = await issueKey(deps.pool, { userId: ctx.user.id, enforceLimit: true });
  switch (outcome.kind) {
    case 'issued':
      deps.logger.info(
        { userId: ctx.user.id, keyId: outcome.key.id, panelId: outcome.key.panelId },
        'key issued',
      );
      await ctx.reply(ctx.t.keyIssued, {
        reply_markup: InlineKeyboard.from([
          [InlineKeyboard.text(ctx.t.buttonMyKeys, encodeCallbackData({ kind: 'keys' }))],
        ]),
      });
      return;
    case 'limit-reached':
      await ctx.reply(ctx.t.keyLimitReached(outcome.limit));
      return;
    case 'no-inbound':
    case 'unknown-inbound':
      deps.logger.error({ userId: ctx.user.id }, 'no enabled inbound can take a new key');
      await ctx.reply(ctx.t.keyNoCapacity);
      return;
    case 'unknown-user':
      return;
  }
}

/** Revokes one of the user's keys (the reconciler disables its client). */
export async function revokeUserKey(ctx: BotContext, deps: BotDeps, keyId: KeyId): Promise<void> {
  if (ctx.user === undefined) {
    return;
  }
  const outcome = await revokeKey(deps.pool, keyId, { userId: ctx.user.id });
  await ctx.reply(outcome === 'not-found' ? ctx.t.keyNotFound : ctx.t.keyRevoked);
}

/**
 * Replaces a key: the new key is inserted and the old one revoked in one transaction under the
 * user's row lock (db replaceKey), so concurrent presses cannot pass the plan's key limit, and a
 * user never ends up with no key when no inbound can take the new one.
 */
export async function replaceUserKey(ctx: BotContext, deps: BotDeps, keyId: KeyId): Promise<void> {
  if (ctx.user === undefined || !(await requireEntitled(ctx, deps))) {
    return;
  }
  const outcome = await replaceKey(deps.pool, { userId: ctx.user.id, keyId });
  switch (outcome.kind) {
    case 'replaced':
      deps.logger.info(
        { userId: ctx.user.id, oldKeyId: keyId, keyId: outcome.key.id, panelId: outcome.key.panelId },
        'key replaced',
      );
      await ctx.reply(ctx.t.keyReplaced);
      return;
    case 'not-found':
      await ctx.reply(ctx.t.keyNotFound);
      return;
    case 'limit-reached':
      await ctx.reply(ctx.t.keyLimitReached(outcome.limit));
      return;
    case 'no-inbound':
      deps.logger.error({ userId: ctx.user.id }, 'no enabled inbound can take a replacement key');
      await ctx.reply(ctx.t.keyNoCapacity);
      return;
    case 'unknown-user':
      return;
  }
}
