export {
  createWebhookServer,
  createProviders,
  type WebhookConfig,
  type WebhookServer,
  type WebhookServerOptions,
} from './server.ts';
export { startWebhooks } from './start.ts';
export { NO_OBSERVER, type PaymentOutcome, type StatusClass, type WebhookObserver } from './observer.ts';
export {
  PROVIDER_NAMES,
  type Confirmation,
  type ConfirmContext,
  type PaymentEvent,
  type ProviderName,
  type Verification,
  type VerifyInput,
  type WebhookProvider,
} from './provider.ts';
export {
  createGenericProvider,
  parseGenericEvent,
  signGenericWebhook,
  GENERIC_REPLAY_WINDOW_MS,
  GENERIC_SIGNATURE_HEADER,
  GENERIC_TIMESTAMP_HEADER,
} from './providers/generic.ts';
export {
  createCryptoPayProvider,
  parseCryptoPayUpdate,
  signCryptoPayUpdate,
  CRYPTOPAY_SIGNATURE_HEADER,
} from './providers/cryptobot.ts';
export {
  createYooKassaProvider,
  parseYooKassaNotification,
  type YooKassaCredentials,
  type YooKassaOptions,
} from './providers/yookassa.ts';
export {
  encodeOrderReference,
  parseOrderReference,
  type OrderReference,
  YOOKASSA_REFERENCE_KEY,
} from '../domain/index.ts';
