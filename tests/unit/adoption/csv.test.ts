import { describe, expect, it } from 'vitest';
import { formatCsvProblems, parseAdoptionCsv, parsePaidUntil } from '../../../src/adoption/index.ts';

describe('parsePaidUntil', () => {
  it.each([
    ['', null],
    ['2026-12-31', '2027-01-01T00:00:00.000Z'],
    ['2026-12-31T18:30:00Z', '2026-12-31T18:30:00.000Z'],
    ['2026-12-31 18:30', '2026-12-31T18:30:00.000Z'],
    ['2026-12-31T18:30:00+03:00', '2026-12-31T15:30:00.000Z'],
    ['2026-12-31T18:30:00.250-0130', '2026-12-31T20:00:00.250Z'],
    ['1798761600', '2027-01-01T00:00:00.000Z'],
    ['1798761600000', '2027-01-01T00:00:00.000Z'],
  ])('reads %j', (raw, expected) => {
    const value = parsePaidUntil(raw);
    expect(value instanceof Date ? value.toISOString() : value).toBe(expected);
  });

  it.each(['2026-02-30', '2026-13-01', '31.12.2026', 'tomorrow', '2026-12-31T25:00'])('rejects %j', (raw) => {
    expect(typeof parsePaidUntil(raw)).toBe('string');
  });
});

describe('parseAdoptionCsv', () => {
  it('reads lines without a header in the documented order, skipping blank lines and a BOM', () => {
    const parsed = parseAdoptionCsv('\uFEFF111,111_vless,2026-12-31,basic\n\n222,user222\r\n');
    expect(parsed).toEqual({
      ok: true,
      value: [
        {
          line: 1,
          telegramId: 111,
          email: '111_vless',
          paidUntil: new Date('2027-01-01T00:00:00Z'),
          planCode: 'basic',
        },
        { line: 3, telegramId: 222, email: 'user222', paidUntil: null, planCode: null },
      ],
    });
  });

  it('takes the column order from a header, semicolons, and quoted fields', () => {
    const parsed = parseAdoptionCsv('email;telegram_id\n"a;b ""c""";5\n');
    // The header must start with telegram_id to be recognised; this one is data with a bad id.
    expect(parsed.ok).toBe(false);
    const named = parseAdoptionCsv('telegram_id;plan;email\n5;pro;"a;b ""c"""\n');
    expect(named).toMatchObject({
      ok: true,
      value: [{ telegramId: 5, email: 'a;b "c"', planCode: 'pro', paidUntil: null }],
    });
  });

  it('keeps two owners of one email as two claims and drops an exact repeat', () => {
    const parsed = parseAdoptionCsv('1,a\n2,A\n1,a\n');
    expect(parsed).toMatchObject({ ok: true, value: [{ telegramId: 1 }, { telegramId: 2 }] });
  });

  it('reports every bad line with its number and accepts nothing', () => {
    const parsed = parseAdoptionCsv(
      [
        'telegram_id,email,paid_until,plan,extra',
        '0,a',
        'x,b',
        '3,,2026-01-01',
        '4,c,soon',
        '5,d,,Gold',
        '6,"e',
        '7,f,2026-01-01',
        '7,f,2026-02-01',
        '8',
      ].join('\n'),
    );
    expect(parsed.ok).toBe(false);
    if (parsed.ok) {
      return;
    }
    expect(parsed.error.map((problem) => problem.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 9, 10]);
    expect(formatCsvProblems('old.csv', parsed.error)).toContain('old.csv:1: header: unknown column "extra"');
    expect(parsed.error.find((problem) => problem.line === 9)?.message).toContain('already on line 8');
  });

  it('reports an empty file', () => {
    expect(parseAdoptionCsv('\n \n')).toMatchObject({ ok: false, error: [{ line: 1 }] });
  });
});
