/** Russian texts of the bot; the same keys as `en.ts`, checked by the `Messages` type. */
import type { Messages } from './en.ts';

/** Russian texts, for Telegram language codes starting with `ru`. */
export const ru: Messages = {
  // — главное меню
  welcome: (name) => `Здравствуйте, ${name}!`,
  menuEntitled: (until) => `Подписка активна до ${until}.`,
  menuNoSubscription:
    'У вас нет активной подписки, поэтому ключей VPN пока нет. Выберите тариф, чтобы получить доступ.',
  menuBanned: 'Ваш аккаунт заблокирован. Если это ошибка, напишите в поддержку.',
  buttonMyKeys: '🔑 Мои ключи',
  buttonGetKey: '➕ Получить ключ',
  buttonPlans: '💳 Тарифы',
  buttonTrial: '🎁 Пробный период',
  buttonBack: '⬅️ Меню',
  staleButton: 'Эта кнопка устарела. Вот актуальное меню.',

  // — тарифы и оплата
  plansTitle: 'Тарифы:',
  plansEmpty: 'Сейчас нет тарифов в продаже.',
  planLine: (title, days, stars) =>
    stars === null ? `• ${title}: ${days} дн.` : `• ${title}: ${days} дн., ${stars} ⭐`,
  buttonBuyStars: (title, stars) => `${title}: ${stars} ⭐`,
  invoiceDescription: (title, days) => `${title}: доступ к VPN на ${days} дн.`,
  planUnavailable: 'Этот тариф больше не продаётся. Выберите другой.',
  preCheckoutRejected: 'Предложение устарело. Откройте список тарифов заново.',
  buttonBuyCard: (title, price) => `💳 ${title}: ${price}`,
  buttonBuyCrypto: (title, price) => `🪙 ${title}: ${price} в криптовалюте`,
  buttonPay: (price) => `Оплатить ${price}`,
  checkoutReady: (title, price, until) =>
    `Заказ: ${title}, ${price}. Оплатите кнопкой ниже до ${until}; бот подтвердит здесь, как только платёж поступит.`,
  checkoutRefused: 'Не удалось создать платёж. Попробуйте позже или выберите другой способ оплаты.',
  checkoutUnavailable: 'Платёжный сервис сейчас не отвечает. Попробуйте через несколько минут.',
  receiptContactNeeded: (kinds) =>
    `На каждую оплату картой отправляется чек. Пришлите, пожалуйста, ваш ${kinds} сообщением (или поделитесь номером телефона кнопкой ниже) и выберите тариф ещё раз.`,
  receiptKindEmail: 'адрес e-mail',
  receiptKindPhone: 'номер телефона',
  receiptKindEither: 'адрес e-mail или номер телефона',
  buttonSharePhone: '📱 Поделиться номером',
  receiptContactSaved: 'Спасибо, чеки будут приходить туда. Выберите тариф ещё раз, чтобы оплатить.',
  buttonBuyCardAutopay: (title, price) => `🔁 ${title}: ${price}, с автопродлением`,
  buttonAutopayOff: '🔁 Отключить автопродление',
  autopayOff:
    'Автопродление отключено. Карта больше не будет списываться; доступ действует до конца оплаченного срока.',
  autopayNotSet: 'У вас нет карты, сохранённой для автопродления.',
  noticeAutopayFailed: (price, until) =>
    `Не удалось списать ${price} для автопродления. Доступ действует до ${until}; оплатите сейчас, чтобы сохранить его, или мы попробуем позже.`,
  buttonPayNow: (price) => `Оплатить ${price} сейчас`,
  noticeExpiringAutopay: (price, on) =>
    `Автопродление спишет ${price} ${on}; ничего делать не нужно. Отключить его можно в меню тарифов.`,
  buttonRenew: '🔄 Продлить',
  buttonSubscribeStars: (title, stars) => `⭐ ${title}: подписка, ${stars} ⭐ каждые 30 дней`,
  subscriptionReady: (title, stars) =>
    `${title}: ${stars} ⭐ каждые 30 дней, Telegram продлевает подписку, пока вы её не отмените. Оформите её кнопкой ниже.`,
  buttonSubscribe: 'Оформить подписку',
  buttonStarsSubscriptionOff: '⭐ Отменить подписку за звёзды',
  starsSubscriptionOff:
    'Подписка за звёзды не будет продлена. Доступ действует до конца оплаченного периода.',
  starsSubscriptionNone: 'У вас нет подписки за звёзды.',
  paymentGranted: (until) => `Оплата получена, спасибо! Доступ активен до ${until}.`,
  paymentDuplicate: 'Этот платёж уже учтён; ничего не изменилось.',
  paymentMismatch:
    'Сумма оплаты не совпадает с тарифом, доступ не выдан. Напишите в поддержку, там разберутся.',
  paymentFailed: 'Не удалось записать платёж. Поддержка уже знает; напишите им.',
  paymentRefunded: 'Платёж возвращён, оплаченный им период отменён.',
  trialGranted: (until) => `Пробный период активен до ${until}.`,
  trialUsed: 'Вы уже использовали пробный период.',

  // — ключи
  keysTitle: 'Ваши ключи:',
  keysEmpty: 'У вас пока нет ключей.',
  keyLine: (index, status) => `${index}. ${status}`,
  statusActive: '✅ активен',
  statusSuspended: (reason) => `⏸ приостановлен: ${reason}`,
  statusSettingUp: '⏳ настраивается, будет готов в течение минуты',
  statusProblem: (detail) => `⚠️ проблема: ${detail}`,
  reasonExpired: 'подписка закончилась',
  reasonNoSubscription: 'нет подписки',
  reasonBanned: 'аккаунт заблокирован',
  reasonQuotaExhausted: 'исчерпан лимит трафика',
  reasonRevoked: 'ключ отозван',
  reasonOther: 'причина неизвестна',
  problemUnknown: 'сервер сообщил об ошибке; мы разбираемся',
  buttonShowKey: (index) => `🔗 Ключ ${index}`,
  buttonReplaceKey: (index) => `♻️ Заменить ${index}`,
  buttonRevokeKey: (index) => `🗑 Отозвать ${index}`,
  keyLink: (link) => `Ваша ссылка для подключения (нажмите, чтобы скопировать):\n<code>${link}</code>`,
  keyLinkUnavailable: 'Ссылка пока недоступна: сервер ещё не настроен. Попробуйте через минуту.',
  keyQrCaption: 'Отсканируйте этот QR-код в приложении VPN.',
  keyIssued: 'Новый ключ настраивается. Через минуту откройте «Мои ключи», чтобы получить ссылку.',
  keyLimitReached: (limit) => `У вас уже максимальное для тарифа число ключей: ${limit}.`,
  keyNoCapacity: 'Сейчас ни один сервер не может принять новый ключ. Попробуйте позже.',
  keyNotFound: 'Этот ключ не ваш или уже не существует.',
  keyRevoked: 'Ключ отозван.',
  keyReplaced: 'Ключ заменён. Через минуту откройте «Мои ключи», чтобы получить новую ссылку.',
  keysPrivateOnly: 'Ключи показываются и меняются только в личном чате с ботом.',
  needSubscription: 'Для этого нужна активная подписка. Сначала выберите тариф.',
  commandStart: 'Начать и открыть меню',
  commandMenu: 'Главное меню',

  // — ссылка-подписка
  buttonSubscription: '🔗 Моя подписка',
  subscriptionUrl: (url) =>
    `Ваша ссылка-подписка: один адрес для всех ваших ключей, в любом VPN-приложении (нажмите, чтобы скопировать):\n<code>${url}</code>\n\nДобавьте её как подписку в приложении или нажмите на своё приложение ниже. Не передавайте её никому: по ней пользуются вашим доступом.`,
  subscriptionQrCaption: 'Отсканируйте этот QR-код в VPN-приложении, чтобы добавить подписку.',
  subscriptionUnavailable: 'Ссылки-подписки в этом сервисе не настроены. Пользуйтесь «Моими ключами».',
  subscriptionPrivateOnly: 'Ради безопасности ссылка-подписка показывается только в личном чате с ботом.',
  buttonOpenPage: '🌐 Открыть в браузере',
  buttonImportApp: (app) => `📲 ${app}`,
  buttonDevices: '📱 Устройства',
  buttonRotate: '♻️ Новая ссылка',
  rotateConfirm:
    'Новая ссылка сразу отключает текущую: во все приложения, где она добавлена, нужно будет добавить новую. Продолжить?',
  buttonRotateConfirm: '♻️ Да, создать новую ссылку',
  rotated: 'Готово: старая ссылка больше не работает. Вот новая.',
  devicesTitle: (count, limit) =>
    limit === null ? `Устройств, получавших подписку: ${count}` : `Устройства: ${count} из ${limit}`,
  devicesEmpty:
    'Устройств пока нет. Приложения, которые передают идентификатор устройства (Happ, v2rayTun, …), появятся здесь после первого обновления.',
  devicesNote:
    'Учитываются только приложения, которые передают идентификатор устройства. Удалите неиспользуемое устройство, чтобы освободить место.',
  deviceLine: (index, name, lastSeen) => `${index}. ${name} — последний раз ${lastSeen}`,
  deviceUnknown: 'неизвестное устройство',
  buttonRemoveDevice: (index) => `🗑 Удалить ${index}`,
  deviceRemoved: 'Устройство удалено, место освободилось.',
  deviceNotFound: 'Этого устройства уже нет в списке.',

  // — уведомления из outbox
  noticeSuspended: (reason) => `Доступ к VPN приостановлен: ${reason}.`,
  noticeReactivated: 'Доступ к VPN снова активен.',
  noticeExpiring: (until) => `Подписка заканчивается ${until}. Продлите её, чтобы VPN продолжал работать.`,
  noticeGeneric: 'Есть новости о вашем доступе к VPN. Откройте меню, чтобы посмотреть.',

  // — администраторы
  adminOnly: 'Эта команда только для администраторов.',
  adminStats: (lines) => lines.join('\n'),
  adminStatsUsers: (total, entitled, banned) =>
    `Пользователи: ${total}, с доступом: ${entitled}, заблокированы: ${banned}`,
  adminStatsKeys: (byStatus) => `Ключи: ${byStatus}`,
  adminStatsPanels: (enabled, total, suspended) =>
    `Панели: включено ${enabled}/${total}, только наблюдение: ${suspended}`,
  adminStatsInbounds: (observedRecently) =>
    `Панели, прочитанные реконсилером за 10 минут: ${observedRecently}`,
  adminStatsHeld: (count) => `Задержанные планы, ждут подтверждения: ${count}`,
  adminUserUsage: 'Использование: /user <telegram id | id пользователя | @username>',
  adminGrantUsage: 'Использование: /grant <telegram id | @username> <длительность, напр. 30d>',
  adminBanUsage: 'Использование: /ban <telegram id | @username> (или /unban)',
  adminUserNotFound: 'Нет такого пользователя.',
  adminUserHeader: (id, telegramId, username, bannedAt) =>
    `Пользователь #${id}, Telegram ${telegramId}${username === null ? '' : `, @${username}`}${bannedAt === null ? '' : `, заблокирован с ${bannedAt}`}`,
  adminPeriods: (count) => `Периоды (${count}):`,
  adminPeriodLine: (id, source, plan, from, to, cancelledAt) =>
    `  #${id} ${source}${plan === null ? '' : ` ${plan}`}: ${from} → ${to}${cancelledAt === null ? '' : `, отменён ${cancelledAt}`}`,
  adminPayments: (count) => `Платежи (${count}):`,
  adminPaymentLine: (id, provider, amount, currency, status, at) =>
    `  #${id} ${provider} ${amount} ${currency} ${status}, ${at}`,
  adminKeys: (count) => `Ключи (${count}):`,
  adminKeyLine: (id, email, panel, status) => `  #${id} ${email} на ${panel}: ${status}`,
  adminKeyRevoked: (at) => `отозван ${at}`,
  adminGranted: (until) => `Выдано. Новый период заканчивается ${until}.`,
  adminBanned: 'Заблокирован; реконсилер отключит ключи пользователя.',
  adminUnbanned: 'Разблокирован; реконсилер включит ключи, на которые есть право.',
  adminHeldTitle: (panel, cause, count) => `Задержанный план на ${panel}: ${count} отключений (${cause}).`,
  adminHeldConfirm: '✅ Подтвердить этот план',
  adminHeldConfirmed: 'Подтверждено; реконсилер применит ровно этот план.',
  adminHeldGone: 'Этот план уже не ожидает (применён, заменён или уже подтверждён).',
  consoleLink: 'Ссылка для входа в консоль (работает один раз, 10 минут; не пересылайте её):',
};
