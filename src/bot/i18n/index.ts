/** Texts by language: `ru*` Telegram language codes get Russian, everything else English. */
import { en, type Messages } from './en.ts';
import { ru } from './ru.ts';

export type { Messages } from './en.ts';

/** The languages the bot speaks. */
export type Language = 'en' | 'ru';

/** Picks the language from a Telegram `language_code` (`ru`, `ru-RU` → ru; anything else → en). */
export function pickLanguage(languageCode: string | null | undefined): Language {
  return languageCode?.toLowerCase().startsWith('ru') === true ? 'ru' : 'en';
}

/** The texts of one language. */
export function messagesFor(language: Language): Messages {
  return language === 'ru' ? ru : en;
}

/** Formats an instant for users: `2026-12-31 23:59 UTC` (one unambiguous form for every language). */
export function formatInstant(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
