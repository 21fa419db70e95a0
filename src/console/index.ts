export { keyLink } from './key-link.ts';
export { startConsole, type ConsoleServer, type ConsoleOptions } from './server.ts';
export { consoleMessages, pickConsoleLanguage, type ConsoleLanguage, type ConsoleMessages } from './i18n.ts';
