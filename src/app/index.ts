/**
 * Composition: the application (reconciler daemon, payment webhooks, Telegram bot on one pool and
 * one metrics registry), the reconciler daemon with its sources of requests, readiness, and the
 * controller's options from the configuration (one builder for the daemon and one-off passes).
 */
export { startApp, warnAboutStoredSecrets, type App } from './app.ts';
export {
  startReconcilerDaemon,
  type ReconcilerDaemon,
  type ReconcilerDaemonOptions,
} from './reconciler-daemon.ts';
export {
  controllerOptions,
  createXuiPanelClients,
  reconcilePolicy,
  PANEL_READ_CALLS,
  type ControllerParts,
} from './controller-options.ts';
export { createReadiness, isDatabaseReachable, DATABASE_CHECK_TIMEOUT_MS } from './readiness.ts';
export {
  readAdoption,
  applyAdoptionReport,
  PanelUnreadableError,
  type AdoptionApplyOutcome,
  type AdoptionPlanCode,
  type AdoptionReport,
  type PanelAdoptionResult,
  type ReadAdoptionOptions,
} from './adopt-shop.ts';
