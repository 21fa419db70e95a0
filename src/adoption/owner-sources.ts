/**
 * Where the owner of a panel client comes from (docs/migrating.md "Who owns a client"). The operator
 * lists sources in order of trust with `--match`; the first one that names an owner decides.
 *
 * - `tgid`: the client's own `tgId` (3x-ui stores a Telegram id per client; 0 = none).
 * - `email:REGEX`: a pattern on the client's email with a named group `tg`, e.g. `^(?<tg>\d+)[-_]`.
 * - `subid`: the owner of the other clients that share this client's subId (3x-ui's subscription
 *   groups one customer's clients by subId), as the other sources resolve them.
 * - `subid:REGEX`: a pattern on the subId with a named group `tg` (bots that set subId from the id).
 * - `csv`: the line(s) of the old bot's CSV naming the client's email.
 */
import { err, ok, type Result } from '../domain/index.ts';

/** The name of a source, as shown in plans (`matched by`). */
export type OwnerSourceName = 'tgid' | 'email' | 'subid' | 'csv';

/** One configured source of ownership. */
export type OwnerSource =
  | { readonly kind: 'tgid' }
  | { readonly kind: 'csv' }
  | { readonly kind: 'email'; readonly pattern: RegExp }
  | { readonly kind: 'subid'; readonly pattern: RegExp | null };

/** The sources used when `--match` is not given: the CSV (when there is one), then tgId, then subId. */
export function defaultOwnerSources(hasCsv: boolean): ReadonlyArray<OwnerSource> {
  return [
    ...(hasCsv ? [{ kind: 'csv' } as const] : []),
    { kind: 'tgid' } as const,
    { kind: 'subid', pattern: null } as const,
  ];
}

function compile(spec: string, source: string, pattern: string): Result<RegExp, string> {
  let regex: RegExp;
  try {
    regex = new RegExp(pattern, 'u');
  } catch {
    // The engine's message would repeat the pattern; ours names the flag value instead.
    return err(`--match ${JSON.stringify(spec)}: ${source} pattern is not a valid regular expression`);
  }
  if (!/\(\?<tg>/.test(pattern)) {
    return err(
      `--match ${JSON.stringify(spec)}: the pattern needs a named group tg holding the Telegram id, e.g. ${source}:^(?<tg>\\d+)[-_]`,
    );
  }
  return ok(regex);
}

/** Parses one `--match` value; an error is a one-line message naming the value. */
export function parseOwnerSource(spec: string): Result<OwnerSource, string> {
  if (spec === 'tgid' || spec === 'csv') {
    return ok({ kind: spec });
  }
  if (spec === 'subid') {
    return ok({ kind: 'subid', pattern: null });
  }
  const colon = spec.indexOf(':');
  const name = colon === -1 ? spec : spec.slice(0, colon);
  if ((name === 'email' || name === 'subid') && colon !== -1) {
    const compiled = compile(spec, name, spec.slice(colon + 1));
    if (!compiled.ok) {
      return compiled;
    }
    return ok(
      name === 'email'
        ? { kind: 'email', pattern: compiled.value }
        : { kind: 'subid', pattern: compiled.value },
    );
  }
  return err(
    `--match ${JSON.stringify(spec)}: use tgid, csv, subid, email:REGEX or subid:REGEX (REGEX with a named group tg)`,
  );
}

/** The Telegram id a pattern finds in `text`, or null (no match, or not a positive integer). */
export function telegramIdByPattern(pattern: RegExp, text: string): number | null {
  const found = pattern.exec(text)?.groups?.['tg'];
  if (found === undefined || !/^[1-9]\d{0,15}$/.test(found)) {
    return null;
  }
  const value = Number(found);
  return Number.isSafeInteger(value) ? value : null;
}

/** A short text for a source, as the operator wrote it. */
export function describeOwnerSource(source: OwnerSource): string {
  switch (source.kind) {
    case 'tgid':
    case 'csv':
      return source.kind;
    case 'email':
      return `email:${source.pattern.source}`;
    case 'subid':
      return source.pattern === null ? 'subid' : `subid:${source.pattern.source}`;
  }
}
