export {
  createSubServer,
  startSubServer,
  type SubConfig,
  type SubServer,
  type SubServerOptions,
} from './server.ts';
export { pickFormat, SUB_FORMATS, type FormatChoice, type SubFormat } from './client-format.ts';
export { NO_SUB_OBSERVER, FETCH_OUTCOMES, type FetchOutcome, type SubObserver } from './observer.ts';
export { summarize, userinfoOf, placeholderConnection, type SubscriptionSummary } from './summary.ts';
export { renderBase64, renderMihomo, renderSingBox, renderBody, type RenderedBody } from './bodies.ts';
export { createRateLimiter, type RateLimiter } from './rate-limit.ts';
export { pickSubLanguage, subTexts, type SubLanguage, type SubTexts } from './texts.ts';
export { escapeHtml, formatBytes } from './page.ts';
