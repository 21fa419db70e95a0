/**
 * The controller's per-panel resources: one panel client per panel (replaced when the panel's URL or
 * credentials change) and one write queue per panel (p-queue: concurrency and rate cap per panel).
 */
import PQueue from 'p-queue';
import type { PanelId } from '../domain/index.ts';
import { toError, type Logger } from '../shared/index.ts';
import type { PanelClient, PanelClientFactory, PanelConnection } from './ports.ts';

/** What the per-panel resources need (from ControllerOptions). */
export interface PanelClientsOptions {
  readonly panelClients: PanelClientFactory;
  /** Writes in flight per panel (KEYWARDEN_PANEL_CONCURRENCY). */
  readonly panelConcurrency: number;
  /** Cap on writes per second per panel; 0 = none (KEYWARDEN_PANEL_WRITES_PER_SECOND). */
  readonly panelWritesPerSecond: number;
  readonly logger: Logger;
}

/** The per-panel clients and write queues of one controller. */
export interface PanelClients {
  /** The client for a panel's current connection details (a changed connection replaces it). */
  readonly clientFor: (connection: PanelConnection) => PanelClient;
  /** The panel's write queue, created on first use. */
  readonly writeQueueFor: (panelId: PanelId) => PQueue;
  /** Closes every panel client. */
  close(): Promise<void>;
}

/** Creates the per-panel resources; nothing is opened until a client is asked for. */
export function createPanelClients(options: PanelClientsOptions): PanelClients {
  const log = options.logger;
  const clients = new Map<PanelId, { readonly fingerprint: string; readonly client: PanelClient }>();
  const writeQueues = new Map<PanelId, PQueue>();

  function clientFor(connection: PanelConnection): PanelClient {
    const fingerprint = JSON.stringify(connection);
    const existing = clients.get(connection.id);
    if (existing?.fingerprint === fingerprint) {
      return existing.client;
    }
    if (existing !== undefined) {
      // The panel's URL or credentials changed: the old client's sessions are useless now.
      existing.client.close().catch((error: unknown) => {
        log.warn({ err: toError(error), panelId: connection.id }, 'closing a replaced panel client failed');
      });
    }
    const client = options.panelClients(connection);
    clients.set(connection.id, { fingerprint, client });
    return client;
  }

  function writeQueueFor(panelId: PanelId): PQueue {
    let writes = writeQueues.get(panelId);
    if (writes === undefined) {
      writes = new PQueue({
        concurrency: options.panelConcurrency,
        ...(options.panelWritesPerSecond > 0
          ? { intervalCap: options.panelWritesPerSecond, interval: 1_000 }
          : {}),
      });
      writeQueues.set(panelId, writes);
    }
    return writes;
  }

  return {
    clientFor,
    writeQueueFor,
    async close() {
      const all = [...clients.values()];
      clients.clear();
      await Promise.allSettled(all.map((entry) => entry.client.close()));
    },
  };
}
