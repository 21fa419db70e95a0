import { describe, expect, it } from 'vitest';
import { pickLanguage } from '../../../src/bot/index.ts';
import { en } from '../../../src/bot/i18n/en.ts';
import { ru } from '../../../src/bot/i18n/ru.ts';

describe('texts', () => {
  it('has the same keys in Russian and English', () => {
    expect(Object.keys(ru).sort()).toEqual(Object.keys(en).sort());
  });

  it.each([
    ['ru', 'ru'],
    ['ru-RU', 'ru'],
    ['RU', 'ru'],
    ['en', 'en'],
    ['uk', 'en'],
    [undefined, 'en'],
    [null, 'en'],
  ] as const)('picks %j → %s', (code, language) => {
    expect(pickLanguage(code)).toBe(language);
  });
});
