/**
 * Durations with units, as every setting and CLI flag takes them: `250ms`, `90s`, `5m`, `24h`, `30d`.
 * A bare number is rejected: a unit is always required so that nobody confuses seconds with milliseconds.
 */

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const satisfies Record<
  string,
  number
>;

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** Parses a duration such as `90s` into milliseconds; returns undefined when the text is not one. */
export function parseDurationMs(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) {
    return undefined;
  }
  const [, amount, unit] = match;
  if (amount === undefined || unit === undefined || !(unit in UNIT_MS)) {
    return undefined;
  }
  const ms = Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}

/** Formats milliseconds as the largest whole unit that fits exactly (`86400000` → `1d`). */
export function formatDurationMs(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit];
    if (ms !== 0 && ms % size === 0) {
      return `${ms / size}${unit}`;
    }
  }
  return `${ms}ms`;
}
