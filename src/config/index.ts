export { loadConfig, describeSettings, ConfigError, type ConfigIssue } from './load.ts';
export { SETTINGS, type Config, type Setting } from './settings.ts';
