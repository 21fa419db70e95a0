/**
 * Composition of the reconciler daemon: store, panel clients, controller, leadership, the sources of
 * requests (NOTIFY listener and its router, expiry timer, resync ticker), metrics and the health
 * server, started and stopped as one. The app (app.ts) starts it; so can benchmarks and tests with
 * an existing pool.
 *
 * Shutdown (`close`): stop the sources (no new work), let in-flight passes finish up to the
 * shutdown timeout, then abort their panel calls; release the panel locks, close the health server
 * and the panel clients. The pool belongs to the caller and is left open.
 */
import { hostname } from 'node:os';
import type pg from 'pg';
import type { Config } from '../config/index.ts';
import { secretBoxFrom } from '../db/index.ts';
import type { PanelId } from '../domain/index.ts';
import {
  createMetrics,
  reconcilerMetrics,
  startHealthServer,
  type HealthServer,
  type Metrics,
  type Readiness,
} from '../metrics/index.ts';
import { createController, type Controller, type PanelClientFactory } from '../reconciler/index.ts';
import { sleep, toError, type Logger } from '../shared/index.ts';
import {
  createExpiryTimer,
  createRequestRouter,
  startListener,
  startResyncTicker,
} from '../sources/index.ts';
import { createLoginGuard, createPostgresStore, startAdvisoryLeadership } from '../store/index.ts';
import { controllerOptions, createXuiPanelClients } from './controller-options.ts';
import { createReadiness } from './readiness.ts';

/** What the daemon is started with. */
export interface ReconcilerDaemonOptions {
  /** The main pool (snapshot reads and state writes). Not closed by the daemon. */
  readonly pool: pg.Pool;
  /** Used for the two dedicated sessions: the NOTIFY listener and the panel locks. */
  readonly databaseUrl: string;
  readonly config: Config;
  readonly logger: Logger;
  /** Default: the 3x-ui client of src/xui, reporting request durations to the metrics. */
  readonly panelClients?: PanelClientFactory;
  /** Default: a new registry with every catalog metric. Pass one to share it with other parts. */
  readonly metrics?: Metrics;
  /** Serve /metrics, /healthz, /readyz on KEYWARDEN_HTTP_HOST/PORT. Default true. */
  readonly serveHttp?: boolean;
  /** Names this replica in locks and logs. Default `<hostname>-<pid>`. */
  readonly replicaId?: string;
}

/** A running reconciler daemon. */
export interface ReconcilerDaemon {
  readonly controller: Controller;
  readonly metrics: Metrics;
  /** The bound URL of the health server, when serving. */
  readonly httpUrl: string | undefined;
  readonly replicaId: string;
  /** Panels this replica owns now. */
  ownedPanels(): ReadonlyArray<PanelId>;
  /** DB reachable and listener connected. */
  readiness(): Promise<Readiness>;
  /** Graceful stop (idempotent); see the module doc. */
  close(): Promise<void>;
}

/** Starts the reconciler daemon; resolves once every part is started (the health server bound). */
export async function startReconcilerDaemon(options: ReconcilerDaemonOptions): Promise<ReconcilerDaemon> {
  const { config, pool } = options;
  const log = options.logger.child({ component: 'reconciler' });
  const replicaId = options.replicaId ?? `${hostname()}-${String(process.pid)}`;
  const metrics = options.metrics ?? createMetrics();
  const events = reconcilerMetrics(metrics);
  const store = createPostgresStore(pool, config.graceMs, secretBoxFrom(config), config.valveWindowMs);
  const panelClients =
    options.panelClients ?? createXuiPanelClients(config, options.logger, events, createLoginGuard(pool));
  const panelNames = new Map<PanelId, string>();
  const runController = new AbortController();
  // A pooled connection terminated while checked out emits 'error' with no listener (pg-pool removes
  // its own while the client is lent out), which would crash the process. The failing query still
  // rejects, and the pass that issued it fails open.
  const onClientError = (error: Error): void => {
    log.warn({ err: error }, 'database connection lost');
  };
  const onPoolConnect = (client: pg.PoolClient): void => {
    client.on('error', onClientError);
  };
  pool.on('connect', onPoolConnect);

  // Metrics label panels by name; a panel acquired before any pass has read it is looked up once.
  function reportOwned(panelId: PanelId, owned: boolean): void {
    const name = panelNames.get(panelId);
    if (name !== undefined) {
      events.panelOwned({ panel: name, owned });
      return;
    }
    pool.query<{ name: string }>('select name from panels where id = $1', [panelId]).then(
      ({ rows }) => {
        const found = rows[0]?.name ?? panelId;
        panelNames.set(panelId, found);
        events.panelOwned({ panel: found, owned });
      },
      (error: unknown) => {
        log.warn({ err: toError(error), panelId }, 'panel name lookup failed');
      },
    );
  }

  const router = createRequestRouter({
    lookup: store,
    enqueue: (scope, trigger, priority) => {
      controller.enqueue(scope, trigger, priority);
    },
    enqueueUsers: (panelId, userIds, trigger) => {
      controller.enqueueUsers(panelId, userIds, trigger);
    },
    onBoundaries: ({ now, nextBoundaryAt, clockReadAtMs }) => {
      // Read over every user with a live key: the next boundary anywhere.
      expiryTimer.arm(now, nextBoundaryAt, clockReadAtMs);
      events.nextBoundary({ at: nextBoundaryAt });
    },
    logger: log,
  });

  const expiryTimer = createExpiryTimer({
    logger: log,
    onBoundary: () => {
      router.boundary();
    },
  });

  const leadership = startAdvisoryLeadership({
    connectionString: options.databaseUrl,
    leaseTimeoutMs: config.leaseTimeoutMs,
    logger: log.child({ part: 'leadership' }),
    replicaId,
    onChange: ({ panelId, owned }) => {
      reportOwned(panelId, owned);
      if (owned) {
        controller.enqueue(panelId, 'startup', 'urgent');
      }
    },
  });

  const controller = createController(
    controllerOptions(config, {
      store,
      panelClients,
      leadership,
      logger: log,
      events,
      onPass: (report) => {
        for (const panel of report.panels) {
          panelNames.set(panel.panelId, panel.name);
        }
        // A full pass saw every user; any other pass only some, whose boundaries can only be sooner.
        if (report.scope === 'all') {
          expiryTimer.arm(report.now, report.nextBoundaryAt, report.clockReadAtMs);
          events.nextBoundary({ at: report.nextBoundaryAt });
        } else if (expiryTimer.armEarlier(report.now, report.nextBoundaryAt, report.clockReadAtMs)) {
          events.nextBoundary({ at: report.nextBoundaryAt });
        }
      },
    }),
  );

  const listener = startListener({
    connectionString: options.databaseUrl,
    logger: log.child({ part: 'listener' }),
    onNotification: (notification) => {
      events.notification();
      router.notification(notification);
    },
    onConnected: () => {
      events.listenerConnected({ connected: true });
      // Notifications sent while we were not listening are lost: look at everything.
      router.everyPanel('reconnect');
    },
    onDisconnected: () => {
      events.listenerConnected({ connected: false });
    },
    probeIntervalMs: config.listenerProbeIntervalMs,
    onProbeFailed: () => {
      events.listenerProbeFailed();
    },
  });
  events.listenerConnected({ connected: false });

  const resync = startResyncTicker({
    intervalMs: config.resyncIntervalMs,
    onTick: () => {
      controller.enqueue('all', 'resync', 'normal');
    },
  });

  await router.start();
  router.everyPanel('startup');
  const running = controller.run(runController.signal).catch((error: unknown) => {
    log.error({ err: toError(error) }, 'reconciler workers stopped with an error');
  });

  const readiness: () => Promise<Readiness> = createReadiness(pool, listener);

  let health: HealthServer | undefined;
  try {
    if (options.serveHttp ?? true) {
      health = await startHealthServer({
        host: config.httpHost,
        port: config.httpPort,
        registry: metrics.registry,
        readiness,
        logger: log,
        metricsToken: config.metricsToken,
      });
    }
  } catch (error) {
    runController.abort();
    controller.stop();
    resync.close();
    expiryTimer.close();
    await Promise.allSettled([listener.close(), leadership.close(), running]);
    await controller.close();
    throw error;
  }

  log.info({ replicaId, mode: config.mode }, 'reconciler started');
  let closing: Promise<void> | undefined;

  async function shutdown(): Promise<void> {
    resync.close();
    expiryTimer.close();
    controller.stop();
    const errors: unknown[] = [];
    await listener.close().catch((error: unknown) => errors.push(error));
    // The deadline's timer is cancelled once drained, so it cannot keep the process alive.
    const deadline = new AbortController();
    const drained = await Promise.race([
      running.then(() => true),
      sleep(config.shutdownTimeoutMs, deadline.signal).then(() => false),
    ]);
    deadline.abort();
    if (!drained) {
      log.warn(
        { timeoutMs: config.shutdownTimeoutMs },
        'passes still running at the deadline; aborting them',
      );
      runController.abort();
      await running;
    }
    await leadership.close().catch((error: unknown) => errors.push(error));
    await health?.close().catch((error: unknown) => errors.push(error));
    await controller.close().catch((error: unknown) => errors.push(error));
    if (errors.length > 0) {
      log.error({ err: toError(errors[0]), count: errors.length }, 'errors while stopping the reconciler');
    }
    pool.off('connect', onPoolConnect);
    log.info('reconciler stopped');
  }

  return {
    controller,
    metrics,
    httpUrl: health?.url,
    replicaId,
    ownedPanels: () => leadership.ownedPanels(),
    readiness,
    close() {
      closing ??= shutdown();
      return closing;
    },
  };
}
