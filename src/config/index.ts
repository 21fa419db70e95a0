export {
  loadConfig,
  describeSettings,
  formatConfigError,
  secretValues,
  ConfigError,
  type ConfigIssue,
} from './load.ts';
export { SETTINGS, type Config, type Setting } from './settings.ts';
export { renderEnvExample } from './env-example.ts';
export {
  renderSettingsTable,
  updateReadmeTable,
  README_TABLE_START,
  README_TABLE_END,
} from './readme-table.ts';
export { CONSOLE_LINK_TTL_MS, consoleBaseUrl, consoleLoginUrl } from './console-url.ts';
