import { SETTINGS, type Config, type Setting } from './settings.ts';

/** One bad or missing setting: the variable and the form it must take. */
export interface ConfigIssue {
  readonly env: string;
  readonly message: string;
}

/** Thrown by `loadConfig` when any setting is bad; `issues` names every offending variable. */
export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(issues.map((issue) => `${issue.env}: ${issue.message}`).join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/**
 * Parses the environment into a frozen Config. Empty values count as unset. Every bad value is
 * reported at once (one line each), naming the variable and the expected form, never echoing a secret.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const issues: ConfigIssue[] = [];
  const values: Record<string, unknown> = {};
  for (const [field, definition] of Object.entries(SETTINGS) as Array<[string, Setting<unknown>]>) {
    const given = env[definition.env];
    const raw = given === undefined || given === '' ? definition.default : given;
    if (raw === undefined) {
      if (definition.required === true) {
        issues.push({ env: definition.env, message: 'is required' });
      }
      values[field] = undefined;
      continue;
    }
    const parsed = definition.parse(raw);
    if (parsed.ok) {
      values[field] = parsed.value;
    } else {
      const shown = definition.secret === true ? '' : ` (got ${JSON.stringify(raw.slice(0, 80))})`;
      issues.push({ env: definition.env, message: `expected ${parsed.expected}${shown}` });
    }
  }
  if (issues.length > 0) {
    throw new ConfigError(issues);
  }
  return Object.freeze(values) as Config;
}

/** The environment variables keywarden knows, with their docs and defaults, in table order. */
export function describeSettings(): ReadonlyArray<{
  readonly env: string;
  readonly default: string | undefined;
  readonly secret: boolean;
  readonly doc: string;
}> {
  return Object.values(SETTINGS).map((definition: Setting<unknown>) => ({
    env: definition.env,
    default: definition.default,
    secret: definition.secret === true,
    doc: definition.doc,
  }));
}

/** One line per bad setting, as the CLI prints them: `keywarden: invalid setting VAR: expected ...`. */
export function formatConfigError(error: ConfigError): string {
  return error.issues.map((issue) => `keywarden: invalid setting ${issue.env}: ${issue.message}\n`).join('');
}

/**
 * The values of the settings marked secret that are set (the bot token, API keys, webhook
 * secrets, the database URL), for the logger to censor wherever they appear.
 */
export function secretValues(config: Config): readonly string[] {
  const values: string[] = [];
  for (const [field, definition] of Object.entries(SETTINGS) as Array<[string, Setting<unknown>]>) {
    const value = (config as Readonly<Record<string, unknown>>)[field];
    if (definition.secret === true && typeof value === 'string') {
      values.push(value);
    } else if (definition.secret === true && Array.isArray(value)) {
      values.push(...value.filter((item): item is string => typeof item === 'string'));
    }
  }
  return values;
}
