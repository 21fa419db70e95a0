/**
 * The CSV an operator exports from the old bot (docs/migrating.md): `telegram_id,email[,paid_until][,plan]`,
 * one client per line. Pure: text in, rows or line-numbered errors out.
 *
 * - A first line naming the columns (`telegram_id,email,...`) is a header; the columns may then come
 *   in any order. Without a header the order is telegram_id, email, paid_until, plan.
 * - `;` separates when the first line has no `,` (spreadsheets in many locales export that way).
 * - Fields may be double-quoted (`"a,b"`, `""` inside for a quote). Blank lines are skipped.
 * - paid_until: empty (no date), `YYYY-MM-DD` (paid through that day: access ends at the next
 *   midnight UTC), `YYYY-MM-DD[T ]HH:MM[:SS[.fff]]` with `Z` or `±HH:MM` (no zone = UTC), or a Unix
 *   time in seconds (or ms when it has 13 digits or more).
 * - An email listed twice for the same telegram_id with the same paid_until and plan is one row; with
 *   a different paid_until or plan it is an error; under two telegram ids it stays two claims (the
 *   planner calls the client ambiguous).
 */
import { err, ok, type Result } from '../domain/index.ts';

/** One client line of the CSV. */
export interface CsvClaim {
  /** 1-based line number in the file. */
  readonly line: number;
  readonly telegramId: number;
  readonly email: string;
  /** End of the paid access; null when the line gives none. */
  readonly paidUntil: Date | null;
  /** A plan code of keywarden's `plans`; null when the line gives none. */
  readonly planCode: string | null;
}

/** One problem in the CSV, with its line. */
export interface CsvProblem {
  readonly line: number;
  readonly message: string;
}

const COLUMNS = ['telegram_id', 'email', 'paid_until', 'plan'] as const;
type Column = (typeof COLUMNS)[number];

/** At most this many problems are reported (the rest are counted). */
export const MAX_CSV_PROBLEMS = 50;

const isBlank = (char: string): boolean => char === ' ' || char === '\t';

/** Splits one line into cells; null when a quote is not closed or text follows a closing quote. */
function splitLine(text: string, separator: string): string[] | null {
  const cells: string[] = [];
  let start = 0;
  for (;;) {
    let index = start;
    while (isBlank(text.charAt(index))) {
      index += 1;
    }
    if (text.charAt(index) !== '"') {
      const end = text.indexOf(separator, start);
      if (end === -1) {
        cells.push(text.slice(start).trim());
        return cells;
      }
      cells.push(text.slice(start, end).trim());
      start = end + 1;
      continue;
    }
    let value = '';
    index += 1;
    for (;;) {
      if (index >= text.length) {
        return null;
      }
      const char = text.charAt(index);
      if (char === '"' && text.charAt(index + 1) === '"') {
        value += '"';
        index += 2;
      } else if (char === '"') {
        index += 1;
        break;
      } else {
        value += char;
        index += 1;
      }
    }
    while (isBlank(text.charAt(index))) {
      index += 1;
    }
    cells.push(value);
    if (index >= text.length) {
      return cells;
    }
    if (text.charAt(index) !== separator) {
      return null;
    }
    start = index + 1;
  }
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

function validDate(year: number, month: number, day: number): boolean {
  const probe = new Date(Date.UTC(year, month - 1, day));
  return probe.getUTCFullYear() === year && probe.getUTCMonth() === month - 1 && probe.getUTCDate() === day;
}

/** Parses a paid_until cell; a string is the error message. */
export function parsePaidUntil(raw: string): Date | null | string {
  if (raw === '') {
    return null;
  }
  if (/^\d{9,16}$/.test(raw)) {
    const value = Number(raw);
    return new Date(raw.length >= 13 ? value : value * 1000);
  }
  const dateOnly = DATE_ONLY.exec(raw);
  if (dateOnly !== null) {
    const [year, month, day] = [Number(dateOnly[1]), Number(dateOnly[2]), Number(dateOnly[3])];
    if (!validDate(year, month, day)) {
      return `paid_until ${JSON.stringify(raw)} is not a calendar date`;
    }
    return new Date(Date.UTC(year, month - 1, day + 1)); // Paid through that day.
  }
  const dateTime = DATE_TIME.exec(raw);
  if (dateTime !== null) {
    const [year, month, day] = [Number(dateTime[1]), Number(dateTime[2]), Number(dateTime[3])];
    const [hour, minute, second] = [Number(dateTime[4]), Number(dateTime[5]), Number(dateTime[6] ?? '0')];
    const fraction = Number((dateTime[7] ?? '0').padEnd(3, '0').slice(0, 3));
    if (!validDate(year, month, day) || hour > 23 || minute > 59 || second > 59) {
      return `paid_until ${JSON.stringify(raw)} is not a valid time`;
    }
    let offsetMinutes = 0;
    const zone = dateTime[8];
    if (zone !== undefined && zone.toUpperCase() !== 'Z') {
      const digits = zone.replace(':', '');
      const sign = digits.startsWith('-') ? -1 : 1;
      offsetMinutes = sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
    }
    return new Date(Date.UTC(year, month - 1, day, hour, minute, second, fraction) - offsetMinutes * 60_000);
  }
  return `paid_until ${JSON.stringify(raw)} is not a date (use 2026-12-31, 2026-12-31T18:00:00Z or Unix seconds)`;
}

/**
 * Parses the CSV. Every problem is reported with its line (up to {@link MAX_CSV_PROBLEMS}); one
 * problem rejects the whole file, so nothing is adopted from a half-understood export.
 */
export function parseAdoptionCsv(text: string): Result<ReadonlyArray<CsvClaim>, ReadonlyArray<CsvProblem>> {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const problems: CsvProblem[] = [];
  const claims: CsvClaim[] = [];
  const firstIndex = lines.findIndex((line) => line.trim() !== '');
  if (firstIndex === -1) {
    return err([{ line: 1, message: 'the file is empty (expected telegram_id,email[,paid_until][,plan])' }]);
  }
  const first = lines[firstIndex] ?? '';
  const separator = first.includes(',') || !first.includes(';') ? ',' : ';';
  let order: ReadonlyArray<Column> = COLUMNS;
  let start = firstIndex;
  const headerCells = splitLine(first, separator);
  if (headerCells?.[0]?.toLowerCase() === 'telegram_id') {
    const named: Column[] = [];
    for (const cell of headerCells) {
      const name = cell.toLowerCase();
      const column = COLUMNS.find((candidate) => candidate === name);
      if (column === undefined || named.includes(column)) {
        problems.push({
          line: firstIndex + 1,
          message: `header: ${column === undefined ? 'unknown' : 'repeated'} column ${JSON.stringify(cell)} (columns: ${COLUMNS.join(', ')})`,
        });
      } else {
        named.push(column);
      }
    }
    if (!named.includes('email')) {
      problems.push({ line: firstIndex + 1, message: 'header: the email column is missing' });
    }
    order = named;
    start = firstIndex + 1;
  }
  const seen = new Map<string, CsvClaim>();
  for (let index = start; index < lines.length; index += 1) {
    const line = index + 1;
    const rawLine = lines[index] ?? '';
    if (rawLine.trim() === '') {
      continue;
    }
    const cells = splitLine(rawLine, separator);
    if (cells === null) {
      problems.push({ line, message: 'unbalanced quotes' });
      continue;
    }
    if (cells.length < 2 || cells.length > order.length) {
      problems.push({
        line,
        message: `expected ${order.length === COLUMNS.length ? '2 to 4' : String(order.length)} fields (${order.join(',')}), got ${String(cells.length)}`,
      });
      continue;
    }
    const cell = (column: Column): string => {
      const position = order.indexOf(column);
      return position === -1 ? '' : (cells[position] ?? '');
    };
    const telegramRaw = cell('telegram_id');
    const email = cell('email');
    const paid = parsePaidUntil(cell('paid_until'));
    const planRaw = cell('plan');
    const lineProblems: string[] = [];
    if (!/^[1-9]\d{0,15}$/.test(telegramRaw) || !Number.isSafeInteger(Number(telegramRaw))) {
      lineProblems.push(`telegram_id must be a positive integer, got ${JSON.stringify(telegramRaw)}`);
    }
    if (email === '') {
      lineProblems.push('email is empty');
    }
    if (typeof paid === 'string') {
      lineProblems.push(paid);
    }
    if (planRaw !== '' && !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(planRaw)) {
      lineProblems.push(`plan ${JSON.stringify(planRaw)} is not a plan code`);
    }
    if (lineProblems.length > 0) {
      problems.push({ line, message: lineProblems.join('; ') });
      continue;
    }
    const claim: CsvClaim = {
      line,
      telegramId: Number(telegramRaw),
      email,
      paidUntil: typeof paid === 'string' ? null : paid,
      planCode: planRaw === '' ? null : planRaw,
    };
    const key = `${String(claim.telegramId)}\n${email.toLowerCase()}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      const same =
        earlier.paidUntil?.getTime() === claim.paidUntil?.getTime() && earlier.planCode === claim.planCode;
      if (!same) {
        problems.push({
          line,
          message: `${email} for telegram_id ${telegramRaw} is already on line ${String(earlier.line)} with a different paid_until or plan`,
        });
      }
      continue;
    }
    seen.set(key, claim);
    claims.push(claim);
  }
  if (problems.length > 0) {
    return err(problems);
  }
  return ok(claims);
}

/** Formats CSV problems as lines for a person: `FILE:LINE: message`, capped, with a count of the rest. */
export function formatCsvProblems(file: string, problems: ReadonlyArray<CsvProblem>): string {
  const shown = problems
    .slice(0, MAX_CSV_PROBLEMS)
    .map((problem) => `${file}:${String(problem.line)}: ${problem.message}`);
  if (problems.length > MAX_CSV_PROBLEMS) {
    shown.push(`... and ${String(problems.length - MAX_CSV_PROBLEMS)} more`);
  }
  return shown.join('\n');
}
