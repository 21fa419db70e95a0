import { describeSettings } from './load.ts';

/** Renders `.env.example` from the settings table: every variable, its doc and its default. */
export function renderEnvExample(): string {
  const lines = [
    '# keywarden settings. Generated from src/config/settings.ts by `npm run gen:env`; do not edit by hand.',
    '# Durations take a unit: 250ms, 90s, 5m, 24h, 30d. Empty values count as unset.',
    '',
  ];
  for (const setting of describeSettings()) {
    lines.push(`# ${setting.doc}`);
    lines.push(setting.default === undefined ? `# ${setting.env}=` : `${setting.env}=${setting.default}`);
    lines.push('');
  }
  return lines.join('\n');
}
