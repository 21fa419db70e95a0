/**
 * The controller's options from the configuration, built once for `keywarden run` (the daemon) and
 * for the one-off passes of `keywarden plan` and `reconcile --once`.
 */
import type { Config } from '../config/index.ts';
import type { ReconcilePolicy } from '../domain/index.ts';
import type {
  ControllerOptions,
  Leadership,
  LoginGuard,
  PanelClientFactory,
  PassReport,
  ReconcileStore,
  ReconcilerEvents,
} from '../reconciler/index.ts';
import type { Logger } from '../shared/index.ts';
import { createPanelClientFactory } from '../xui/index.ts';

/**
 * Panel calls one whole panel read may take, each bounded by KEYWARDEN_PANEL_TIMEOUT in the adapter:
 * the read itself is one list call, but a client that has not spoken to the panel yet probes the API
 * generation and logs in first, and an expired session costs one more login and a retry.
 */
export const PANEL_READ_CALLS = 3;

/** Builds the default panel client factory (src/xui), reporting request durations to `events`. */
export function createXuiPanelClients(
  config: Config,
  logger: Logger,
  events: ReconcilerEvents,
  loginGuard?: LoginGuard,
): PanelClientFactory {
  return createPanelClientFactory({
    timeoutMs: config.panelTimeoutMs,
    logger,
    ...(loginGuard === undefined ? {} : { loginGuard }),
    onRequest: (event) => {
      events.panelRequest?.({
        panel: event.panel,
        op: event.op,
        outcome: event.outcome,
        durationSeconds: event.durationMs / 1000,
      });
    },
    onLoginWithheld: (event) => {
      events.panelLoginWithheld?.({ panel: event.panel });
    },
  });
}

/** The parts a controller is composed of, chosen by the caller. */
export interface ControllerParts {
  readonly store: ReconcileStore;
  readonly panelClients: PanelClientFactory;
  readonly leadership: Leadership;
  readonly logger: Logger;
  readonly events?: ReconcilerEvents;
  /** Passes processed at once; default KEYWARDEN_WORKERS. */
  readonly workers?: number;
  readonly onPass?: (report: PassReport) => void;
}

/**
 * The reconcile policy (desired state and safety valve) from `config`: the one the controller runs
 * with, and the one `keywarden adopt` predicts the first pass with.
 */
export function reconcilePolicy(config: Config): ReconcilePolicy {
  return {
    expiryMarginMs: config.expiryMarginMs,
    valveMin: config.valveMin,
    valvePercent: config.valvePercent,
  };
}

/** The controller's options: the parts given, every setting from `config`. */
export function controllerOptions(config: Config, parts: ControllerParts): ControllerOptions {
  return {
    store: parts.store,
    panelClients: parts.panelClients,
    leadership: parts.leadership,
    policy: reconcilePolicy(config),
    mode: config.mode,
    workers: parts.workers ?? config.workers,
    panelConcurrency: config.panelConcurrency,
    panelWritesPerSecond: config.panelWritesPerSecond,
    panelReadTimeoutMs: config.panelTimeoutMs * PANEL_READ_CALLS,
    writeQuietMs: config.writeQuietMs,
    logger: parts.logger,
    ...(parts.events === undefined ? {} : { events: parts.events }),
    ...(parts.onPass === undefined ? {} : { onPass: parts.onPass }),
  };
}
