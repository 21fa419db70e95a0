/**
 * What the subscription server says to customers, in Russian and English: the names of placeholder
 * entries (shown by the app in place of a server) and the subscription page.
 */

/** The languages of the subscription service (same rule as the bot: `ru*` → ru, else en). */
export type SubLanguage = 'en' | 'ru';

/** Picks the language from an Accept-Language header or a stored Telegram language code. */
export function pickSubLanguage(...candidates: ReadonlyArray<string | null | undefined>): SubLanguage {
  for (const candidate of candidates) {
    // `*` (what many HTTP stacks send) names no language; the next candidate decides.
    if (candidate !== null && candidate !== undefined && /^[A-Za-z]/.test(candidate.trim())) {
      return candidate.trim().toLowerCase().startsWith('ru') ? 'ru' : 'en';
    }
  }
  return 'en';
}

const inBot = (bot: string | undefined, ru: boolean): string =>
  bot === undefined ? (ru ? 'в боте' : 'in the bot') : `${ru ? 'в' : 'in'} @${bot}`;

const en = {
  placeholderExpired: (bot: string | undefined) => `Subscription expired — renew ${inBot(bot, false)}`,
  placeholderNoKeys: (bot: string | undefined) => `No active keys yet — get one ${inBot(bot, false)}`,
  placeholderBlocked: 'Access blocked — contact support',
  placeholderUnsupported: 'Your keys do not work in this app — use Happ or v2rayNG',
  announceDeviceLimit: (bot: string | undefined) =>
    `Device limit reached — remove a device ${inBot(bot, false)}`,
  pageTitle: 'Your subscription',
  statusActive: 'Active',
  statusExpired: 'Expired',
  statusBlocked: 'Blocked',
  daysLeft: (days: number) => `${days} day(s) left`,
  until: (at: string) => `until ${at}`,
  usage: (used: string, total: string | null) =>
    total === null ? `Used: ${used} (unlimited)` : `Used: ${used} of ${total}`,
  devices: (count: number, limit: number | null) =>
    limit === null ? `Devices: ${count}` : `Devices: ${count} of ${limit}`,
  qrCaption: 'Scan this QR code in your VPN app, or copy the address:',
  appsTitle: 'Install an app and import',
  importButton: (app: string) => `Add to ${app}`,
  pasteHint: 'Add a subscription and paste the address above.',
  linksTitle: 'Individual keys',
  noLinks: 'No active keys.',
  openInApp: (app: string) => `Opening ${app}… If nothing happens, install the app and tap the button.`,
};

const ru: typeof en = {
  placeholderExpired: (bot) => `Подписка истекла — продлите ${inBot(bot, true)}`,
  placeholderNoKeys: (bot) => `Активных ключей пока нет — получите ключ ${inBot(bot, true)}`,
  placeholderBlocked: 'Доступ заблокирован — напишите в поддержку',
  placeholderUnsupported: 'Ваши ключи не работают в этом приложении — используйте Happ или v2rayNG',
  announceDeviceLimit: (bot) => `Достигнут лимит устройств — удалите устройство ${inBot(bot, true)}`,
  pageTitle: 'Ваша подписка',
  statusActive: 'Активна',
  statusExpired: 'Истекла',
  statusBlocked: 'Заблокирована',
  daysLeft: (days) => `Осталось дней: ${days}`,
  until: (at) => `до ${at}`,
  usage: (used, total) =>
    total === null ? `Использовано: ${used} (без лимита)` : `Использовано: ${used} из ${total}`,
  devices: (count, limit) => (limit === null ? `Устройств: ${count}` : `Устройств: ${count} из ${limit}`),
  qrCaption: 'Отсканируйте QR-код в VPN-приложении или скопируйте адрес:',
  appsTitle: 'Установите приложение и импортируйте',
  importButton: (app) => `Добавить в ${app}`,
  pasteHint: 'Добавьте подписку и вставьте адрес выше.',
  linksTitle: 'Отдельные ключи',
  noLinks: 'Активных ключей нет.',
  openInApp: (app) => `Открываем ${app}… Если ничего не произошло, установите приложение и нажмите кнопку.`,
};

/** The texts of the subscription service. */
export type SubTexts = typeof en;

/** The texts of one language. */
export const subTexts = (language: SubLanguage): SubTexts => (language === 'ru' ? ru : en);
