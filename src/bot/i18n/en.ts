/**
 * English texts of the bot: every string a user or an admin sees. `ru.ts` has the same keys (the
 * `Messages` type makes a missing or extra key a compile error). Dates arrive formatted.
 */
export const en = {
  // — main menu
  welcome: (name: string): string => `Hello, ${name}!`,
  menuEntitled: (until: string): string => `Your subscription is active until ${until}.`,
  menuNoSubscription:
    'You have no active subscription, so there are no VPN keys to show yet. Choose a plan to get access.',
  menuBanned: 'Your account is blocked. Contact support if you think this is a mistake.',
  buttonMyKeys: '🔑 My keys',
  buttonGetKey: '➕ Get a key',
  buttonPlans: '💳 Plans',
  buttonTrial: '🎁 Free trial',
  buttonBack: '⬅️ Menu',
  staleButton: 'This button is out of date. Here is the current menu.',

  // — plans and payment
  plansTitle: 'Plans:',
  plansEmpty: 'No plans are on sale right now.',
  planLine: (title: string, days: number, stars: string | null): string =>
    stars === null ? `• ${title}: ${days} days` : `• ${title}: ${days} days, ${stars} ⭐`,
  buttonBuyStars: (title: string, stars: string): string => `${title}: ${stars} ⭐`,
  invoiceDescription: (title: string, days: number): string => `${title}: VPN access for ${days} days.`,
  planUnavailable: 'This plan is no longer on sale. Please choose another one.',
  preCheckoutRejected: 'This offer is no longer valid. Please open the plans again.',
  paymentGranted: (until: string): string => `Payment received, thank you! Access is active until ${until}.`,
  paymentDuplicate: 'This payment was already recorded; nothing changed.',
  paymentMismatch:
    'The amount paid does not match the plan, so no access was granted. Support will sort it out: please contact them.',
  paymentFailed: 'We could not record this payment. Support has been notified; please contact them.',
  paymentRefunded: 'Your payment was refunded and the period it paid for is cancelled.',
  buttonBuyCard: (title: string, price: string): string => `💳 ${title}: ${price}`,
  buttonBuyCrypto: (title: string, price: string): string => `🪙 ${title}: ${price} in crypto`,
  buttonPay: (price: string): string => `Pay ${price}`,
  checkoutReady: (title: string, price: string, until: string): string =>
    `Order: ${title}, ${price}. Pay with the button below before ${until}; the bot confirms here as soon as the payment arrives.`,
  checkoutRefused: 'The payment could not be created. Please try again later or choose another way to pay.',
  checkoutUnavailable: 'The payment service is not answering right now. Please try again in a few minutes.',
  receiptContactNeeded: (kinds: string): string =>
    `A receipt is sent for every card payment. Please send your ${kinds} as a message (or share your phone number with the button below), then choose the plan again.`,
  receiptKindEmail: 'e-mail address',
  receiptKindPhone: 'phone number',
  receiptKindEither: 'e-mail address or phone number',
  buttonSharePhone: '📱 Share my phone number',
  receiptContactSaved: 'Thank you, receipts will be sent there. Choose the plan again to pay.',
  buttonBuyCardAutopay: (title: string, price: string): string =>
    `🔁 ${title}: ${price}, renew automatically`,
  buttonAutopayOff: '🔁 Turn automatic renewal off',
  autopayOff:
    'Automatic renewal is off. Your card will not be charged; your access runs until the end of what you paid for.',
  autopayNotSet: 'You have no card saved for automatic renewal.',
  noticeAutopayFailed: (price: string, until: string): string =>
    `Automatic renewal could not charge ${price}. Your access runs until ${until}; pay now to keep it, or we will try again later.`,
  buttonPayNow: (price: string): string => `Pay ${price} now`,
  noticeExpiringAutopay: (price: string, on: string): string =>
    `Automatic renewal will charge ${price} on ${on}; nothing to do. You can turn it off in the plans menu.`,
  buttonRenew: '🔄 Renew',
  buttonSubscribeStars: (title: string, stars: string): string =>
    `⭐ ${title}: subscribe, ${stars} ⭐ every 30 days`,
  subscriptionReady: (title: string, stars: string): string =>
    `${title}: ${stars} ⭐ every 30 days, renewed by Telegram until you cancel. Subscribe with the button below.`,
  buttonSubscribe: 'Subscribe',
  buttonStarsSubscriptionOff: '⭐ Cancel the Stars subscription',
  starsSubscriptionOff:
    'Your Stars subscription will not renew. Access runs until the end of the period already paid.',
  starsSubscriptionNone: 'You have no Stars subscription to cancel.',
  trialGranted: (until: string): string => `Your free trial is active until ${until}.`,
  trialUsed: 'You have already used your free trial.',

  // — keys
  keysTitle: 'Your keys:',
  keysEmpty: 'You have no keys yet.',
  keyLine: (index: number, status: string): string => `${index}. ${status}`,
  statusActive: '✅ active',
  statusSuspended: (reason: string): string => `⏸ suspended: ${reason}`,
  statusSettingUp: '⏳ being set up, ready within a minute',
  statusProblem: (detail: string): string => `⚠️ problem: ${detail}`,
  reasonExpired: 'the subscription has ended',
  reasonNoSubscription: 'no subscription',
  reasonBanned: 'the account is blocked',
  reasonQuotaExhausted: 'the traffic limit is used up',
  reasonRevoked: 'the key was revoked',
  reasonOther: 'unknown reason',
  problemUnknown: 'the server reported an error; we are on it',
  buttonShowKey: (index: number): string => `🔗 Key ${index}`,
  buttonReplaceKey: (index: number): string => `♻️ Replace ${index}`,
  buttonRevokeKey: (index: number): string => `🗑 Revoke ${index}`,
  keyLink: (link: string): string => `Your connection link (tap to copy):\n<code>${link}</code>`,
  keyLinkUnavailable: 'The link is not available yet: the server has not been set up. Try again in a minute.',
  keyQrCaption: 'Scan this QR code in your VPN app.',
  keyIssued: 'Your new key is being set up. Open “My keys” in a minute to get the link.',
  keyLimitReached: (limit: number): string =>
    `You already have the maximum of ${limit} key(s) for your plan.`,
  keyNoCapacity: 'No server can take a new key right now. Please try again later.',
  keyNotFound: 'This key is not yours or no longer exists.',
  keyRevoked: 'The key is revoked.',
  keyReplaced: 'The key was replaced. Open “My keys” in a minute to get the new link.',
  keysPrivateOnly: 'Keys are shown and changed only in a private chat with the bot.',
  needSubscription: 'This needs an active subscription. Choose a plan first.',
  commandStart: 'Start and open the menu',
  commandMenu: 'Main menu',

  // — subscription URL
  buttonSubscription: '🔗 My subscription',
  subscriptionUrl: (url: string): string =>
    `Your subscription URL: one address for all your keys, in every VPN app (tap to copy):\n<code>${url}</code>\n\nAdd it as a subscription in your app, or tap your app below. Keep it private: anyone with it uses your access.`,
  subscriptionQrCaption: 'Scan this QR code in your VPN app to add the subscription.',
  subscriptionUnavailable: 'Subscription URLs are not set up on this service. Use “My keys” instead.',
  subscriptionPrivateOnly:
    'For your safety, the subscription URL is shown only in a private chat with the bot.',
  buttonOpenPage: '🌐 Open in browser',
  buttonImportApp: (app: string): string => `📲 ${app}`,
  buttonDevices: '📱 Devices',
  buttonRotate: '♻️ New URL',
  rotateConfirm:
    'A new URL stops the current one at once: every app that uses it must be given the new one. Continue?',
  buttonRotateConfirm: '♻️ Yes, make a new URL',
  rotated: 'Done: the old URL no longer works. Here is the new one.',
  devicesTitle: (count: number, limit: number | null): string =>
    limit === null ? `Devices that fetched your subscription: ${count}` : `Devices: ${count} of ${limit}`,
  devicesEmpty:
    'No devices yet. Apps that send a device id (Happ, v2rayTun, …) appear here after their first update.',
  devicesNote:
    'Only apps that send a device id are counted. Remove a device you no longer use to free its place.',
  deviceLine: (index: number, name: string, lastSeen: string): string =>
    `${index}. ${name} — last seen ${lastSeen}`,
  deviceUnknown: 'unknown device',
  buttonRemoveDevice: (index: number): string => `🗑 Remove ${index}`,
  deviceRemoved: 'The device is removed; its place is free.',
  deviceNotFound: 'This device is not in your list any more.',

  // — notifications from the outbox
  noticeSuspended: (reason: string): string => `Your VPN access is paused: ${reason}.`,
  noticeReactivated: 'Your VPN access is active again.',
  noticeExpiring: (until: string): string =>
    `Your subscription ends on ${until}. Renew it to keep your VPN working.`,
  noticeGeneric: 'There is news about your VPN access. Open the menu to see it.',

  // — admins
  adminOnly: 'This command is for administrators only.',
  adminStats: (lines: readonly string[]): string => lines.join('\n'),
  adminStatsUsers: (total: number, entitled: number, banned: number): string =>
    `Users: ${total}, entitled: ${entitled}, banned: ${banned}`,
  adminStatsKeys: (byStatus: string): string => `Keys: ${byStatus}`,
  adminStatsPanels: (enabled: number, total: number, suspended: number): string =>
    `Panels: ${enabled}/${total} enabled, ${suspended} observe-only`,
  adminStatsInbounds: (observedRecently: number): string =>
    `Panels seen by the reconciler in the last 10 minutes: ${observedRecently}`,
  adminStatsHeld: (count: number): string => `Held plans awaiting confirmation: ${count}`,
  adminUserUsage: 'Usage: /user <telegram id | user id | @username>',
  adminGrantUsage: 'Usage: /grant <telegram id | @username> <duration, e.g. 30d>',
  adminBanUsage: 'Usage: /ban <telegram id | @username> (or /unban)',
  adminUserNotFound: 'No such user.',
  adminUserHeader: (
    id: string,
    telegramId: number,
    username: string | null,
    bannedAt: string | null,
  ): string =>
    `User #${id}, Telegram ${telegramId}${username === null ? '' : `, @${username}`}${bannedAt === null ? '' : `, banned since ${bannedAt}`}`,
  adminPeriods: (count: number): string => `Periods (${count}):`,
  adminPeriodLine: (
    id: string,
    source: string,
    plan: string | null,
    from: string,
    to: string,
    cancelledAt: string | null,
  ): string =>
    `  #${id} ${source}${plan === null ? '' : ` ${plan}`}: ${from} → ${to}${cancelledAt === null ? '' : `, cancelled ${cancelledAt}`}`,
  adminPayments: (count: number): string => `Payments (${count}):`,
  adminPaymentLine: (
    id: string,
    provider: string,
    amount: string,
    currency: string,
    status: string,
    at: string,
  ): string => `  #${id} ${provider} ${amount} ${currency} ${status}, ${at}`,
  adminKeys: (count: number): string => `Keys (${count}):`,
  adminKeyLine: (id: string, email: string, panel: string, status: string): string =>
    `  #${id} ${email} on ${panel}: ${status}`,
  adminKeyRevoked: (at: string): string => `revoked ${at}`,
  adminGranted: (until: string): string => `Granted. The new period ends ${until}.`,
  adminBanned: 'Banned; the reconciler disables the user’s keys.',
  adminUnbanned: 'Unbanned; the reconciler re-enables keys the user is entitled to.',
  adminHeldTitle: (panel: string, cause: string, count: number): string =>
    `Held plan on ${panel}: ${count} disable(s) held (${cause}).`,
  adminHeldConfirm: '✅ Confirm this plan',
  adminHeldConfirmed: 'Confirmed; the reconciler applies exactly this plan.',
  adminHeldGone: 'This held plan is no longer open (applied, superseded or already confirmed).',
  consoleLink: 'Your console login link (works once, for 10 minutes; do not forward it):',
};

/** The shape every language file has. */
export type Messages = typeof en;
