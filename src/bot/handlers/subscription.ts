/**
 * "My subscription" (issue 15): the customer's one subscription URL with its QR code, a button per
 * app that can import it (an https page of the subscription server that opens the app's deep link,
 * since Telegram buttons carry only http(s) links), the browser page, a new URL on request (the old
 * one stops at once), and the devices that fetched it, each removable. Shown only in a private chat:
 * the URL is the customer's access.
 */
import { InlineKeyboard, InputFile } from 'grammy';
import QRCode from 'qrcode';
import {
  listDevices,
  readDeviceLimit,
  removeDevice,
  rotateSubscriptionToken,
  subscriptionTokenOf,
} from '../../db/index.ts';
import { CLIENT_APPS } from '../../links/index.ts';
import { encodeCallbackData } from '../callback-data.ts';
import type { BotContext, BotDeps } from '../context.ts';
import { formatInstant } from '../i18n/index.ts';

const escapeHtml = (value: string): string =>
  value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** Whether subscription URLs can be shown (public URL and token secret are set). */
export const hasSubscriptionUrls = (deps: BotDeps): boolean =>
  deps.config.subPublicUrl !== undefined && deps.config.subTokenSecret !== undefined;

/** The customer's subscription URL, or null when not configured or not a private chat (replying why). */
async function subscriptionUrlFor(ctx: BotContext, deps: BotDeps, rotate: boolean): Promise<string | null> {
  const { subPublicUrl, subTokenSecret } = deps.config;
  if (ctx.user === undefined) {
    return null;
  }
  if (subPublicUrl === undefined || subTokenSecret === undefined) {
    await ctx.reply(ctx.t.subscriptionUnavailable);
    return null;
  }
  if (ctx.chat?.type !== 'private') {
    await ctx.reply(ctx.t.subscriptionPrivateOnly);
    return null;
  }
  const token = rotate
    ? await rotateSubscriptionToken(deps.pool, ctx.user.id, subTokenSecret)
    : await subscriptionTokenOf(deps.pool, ctx.user.id, subTokenSecret);
  return `${subPublicUrl}sub/${token}`;
}

async function sendSubscription(ctx: BotContext, url: string): Promise<void> {
  const t = ctx.t;
  const keyboard = new InlineKeyboard();
  let inRow = 0;
  for (const app of CLIENT_APPS) {
    if (app.deepLink === null) {
      continue;
    }
    keyboard.url(t.buttonImportApp(app.name.split(',')[0] ?? app.name), `${url}/import/${app.id}`);
    inRow += 1;
    if (inRow === 2) {
      keyboard.row();
      inRow = 0;
    }
  }
  if (inRow > 0) {
    keyboard.row();
  }
  keyboard.url(t.buttonOpenPage, url).row();
  keyboard
    .text(t.buttonDevices, encodeCallbackData({ kind: 'devices' }))
    .text(t.buttonRotate, encodeCallbackData({ kind: 'rotate-subscription' }))
    .row();
  keyboard.text(t.buttonBack, encodeCallbackData({ kind: 'menu' }));
  await ctx.reply(t.subscriptionUrl(escapeHtml(url)), {
    parse_mode: 'HTML',
    reply_markup: keyboard,
    link_preview_options: { is_disabled: true },
  });
  const png = await QRCode.toBuffer(url, { type: 'png', errorCorrectionLevel: 'M', margin: 2, width: 512 });
  await ctx.replyWithPhoto(new InputFile(png, 'subscription.png'), { caption: t.subscriptionQrCaption });
}

/** "My subscription": the URL, its QR code and the import buttons. */
export async function showSubscription(ctx: BotContext, deps: BotDeps): Promise<void> {
  const url = await subscriptionUrlFor(ctx, deps, false);
  if (url !== null) {
    await sendSubscription(ctx, url);
  }
}

/** Asks before making a new URL (every app must then be given it). */
export async function askRotateSubscription(ctx: BotContext, deps: BotDeps): Promise<void> {
  if (!hasSubscriptionUrls(deps)) {
    await ctx.reply(ctx.t.subscriptionUnavailable);
    return;
  }
  await ctx.reply(ctx.t.rotateConfirm, {
    reply_markup: InlineKeyboard.from([
      [
        InlineKeyboard.text(
          ctx.t.buttonRotateConfirm,
          encodeCallbackData({ kind: 'confirm-rotate-subscription' }),
        ),
      ],
      [InlineKeyboard.text(ctx.t.buttonBack, encodeCallbackData({ kind: 'subscription' }))],
    ]),
  });
}

/** Makes a new URL; the old one answers 404 from now on. */
export async function rotateSubscription(ctx: BotContext, deps: BotDeps): Promise<void> {
  const url = await subscriptionUrlFor(ctx, deps, true);
  if (url === null || ctx.user === undefined) {
    return;
  }
  deps.logger.info({ userId: ctx.user.id }, 'subscription URL rotated by the customer');
  await ctx.reply(ctx.t.rotated);
  await sendSubscription(ctx, url);
}

/** The devices that fetched the subscription, each with a remove button. */
export async function showDevices(ctx: BotContext, deps: BotDeps): Promise<void> {
  if (ctx.user === undefined) {
    return;
  }
  const t = ctx.t;
  const devices = await listDevices(deps.pool, ctx.user.id);
  const limit = await readDeviceLimit(deps.pool, ctx.user.id, deps.config.graceMs);
  const keyboard = new InlineKeyboard();
  const lines = [t.devicesTitle(devices.length, limit)];
  if (devices.length === 0) {
    lines.push(t.devicesEmpty);
  }
  for (const [position, device] of devices.entries()) {
    const index = position + 1;
    const name =
      [device.deviceModel, [device.deviceOs, device.osVersion].filter(Boolean).join(' '), device.userAgent]
        .filter((part) => part !== null && part.length > 0)
        .join(' · ') || t.deviceUnknown;
    lines.push(t.deviceLine(index, name, formatInstant(device.lastSeenAt)));
    keyboard
      .text(t.buttonRemoveDevice(index), encodeCallbackData({ kind: 'remove-device', deviceId: device.id }))
      .row();
  }
  lines.push('', t.devicesNote);
  keyboard.text(t.buttonBack, encodeCallbackData({ kind: 'subscription' }));
  await ctx.reply(lines.join('\n'), { reply_markup: keyboard });
}

/** Removes one of the customer's devices (only their own: the id is checked against the user). */
export async function removeUserDevice(ctx: BotContext, deps: BotDeps, deviceId: string): Promise<void> {
  if (ctx.user === undefined) {
    return;
  }
  const outcome = await removeDevice(deps.pool, ctx.user.id, deviceId);
  if (outcome === 'removed') {
    deps.logger.info({ userId: ctx.user.id, deviceId }, 'subscription device removed by the customer');
  }
  await ctx.reply(outcome === 'removed' ? ctx.t.deviceRemoved : ctx.t.deviceNotFound);
  await showDevices(ctx, deps);
}
