/**
 * The PanelClient of one 3x-ui panel: detects the API generation by probing (reference/xui-api.md §0),
 * caches it, and delegates to the G1 or G2 operations. Writes go one at a time per client object
 * (G1 has no server-side lock and loses concurrent writes, §9); reads run freely.
 *
 * Generation: the connection may carry the generation recorded earlier. It is used without a probe,
 * but if an operation then fails with an auth error on a 404 (the routes of the other generation are
 * 404, §0), the client probes once and retries with the detected generation.
 */
import type { ClientFields } from '../domain/desired.ts';
import type { ClientEmail } from '../domain/ids.ts';
import type { ApiGeneration, ObservedClient, PanelObservation } from '../domain/observed.ts';
import type {
  BulkResult,
  NewClient,
  PanelClient,
  PanelClientFactory,
  PanelConnection,
  PanelVersionInfo,
} from '../reconciler/ports.ts';
import { PanelCalls } from './calls.ts';
import { PanelAuthError } from './errors.ts';
import { createG1Ops } from './g1.ts';
import { createG2Ops } from './g2.ts';
import { PanelHttp, type PanelClientOptions } from './http.ts';
import type { GenerationOps } from './ops.ts';
import { versionFromStatus } from './version.ts';

/** How long a read version is reused: panels are upgraded rarely, and the call is not free. */
const VERSION_TTL_MS = 10 * 60_000;

/** The PanelClient plus what only an admin (and the contract tests) do with a panel. */
export interface XuiPanelClient extends PanelClient {
  /** Deletes a client (admin use only; the reconciler never deletes). */
  deleteClient(email: ClientEmail, signal: AbortSignal): Promise<void>;
}

/** Creates the PanelClient for one panel. Nothing is sent until the first call. */
export function createPanelClient(connection: PanelConnection, options: PanelClientOptions): XuiPanelClient {
  const http = new PanelHttp(connection, options);
  const calls = new PanelCalls(http, connection);
  const implementations: Record<ApiGeneration, GenerationOps> = {
    g1: createG1Ops(calls),
    g2: createG2Ops(calls, options.now),
  };
  let generation: ApiGeneration | undefined = connection.apiGeneration;
  let isConfirmed = false;
  let probeInFlight: Promise<ApiGeneration> | undefined;
  let writeChain: Promise<unknown> = Promise.resolve();
  let version: { info: PanelVersionInfo; atMs: number } | undefined;
  const now = options.now ?? Date.now;

  async function readVersion(signal: AbortSignal): Promise<PanelVersionInfo> {
    if (version !== undefined && now() - version.atMs < VERSION_TTL_MS) {
      return version.info;
    }
    // Every generation since v2.0 serves server/status (GET, the monitor scope allows it); only
    // v3.1.0+ puts `panelVersion` in it. A 404 is a panel too old to have the route.
    const envelope = await calls.callIfExists('readVersion', 'GET', 'server/status', signal);
    const info =
      envelope?.success === true
        ? versionFromStatus(envelope.obj)
        : { panelVersion: null, xrayVersion: null, isTested: null };
    version = { info, atMs: now() };
    return info;
  }

  async function probe(signal: AbortSignal): Promise<ApiGeneration> {
    // §0: with a valid session, the G2 paged list answers 200 JSON on G2 and 404 on G1. A 404 is
    // ambiguous (lost session too), so confirm the session on a route both generations have.
    const answer = await http.api(
      {
        op: 'detectGeneration',
        method: 'GET',
        path: 'panel/api/clients/list/paged?page=1&pageSize=1',
        notFound: 'answer',
      },
      signal,
    );
    if (answer.kind === 'envelope') {
      return 'g2';
    }
    await calls.call('detectGeneration', 'GET', 'inbounds/list', signal);
    return 'g1';
  }

  async function detectGeneration(signal: AbortSignal): Promise<ApiGeneration> {
    if (generation !== undefined && isConfirmed) {
      return generation;
    }
    probeInFlight ??= probe(signal).finally(() => {
      probeInFlight = undefined;
    });
    const detected = await probeInFlight;
    if (generation !== undefined && generation !== detected) {
      http.logNotice({ recorded: generation, detected }, 'panel API generation changed');
    }
    generation = detected;
    isConfirmed = true;
    return detected;
  }

  /** Runs an operation on the current generation; re-probes once if an unconfirmed guess 404s. */
  async function run<T>(signal: AbortSignal, operation: (ops: GenerationOps) => Promise<T>): Promise<T> {
    const current = generation ?? (await detectGeneration(signal));
    try {
      return await operation(implementations[current]);
    } catch (thrown: unknown) {
      const isWrongGuess = !isConfirmed && thrown instanceof PanelAuthError && thrown.status === 404;
      if (!isWrongGuess) {
        throw thrown;
      }
      const detected = await detectGeneration(signal);
      if (detected === current) {
        throw thrown;
      }
      return operation(implementations[detected]);
    }
  }

  /** Serialises writes: one mutation in flight per panel (§9). */
  function write<T>(signal: AbortSignal, operation: (ops: GenerationOps) => Promise<T>): Promise<T> {
    const next = writeChain.then(() => run(signal, operation));
    writeChain = next.catch(() => undefined); // The chain only orders writes; each caller sees its own error.
    return next;
  }

  return {
    panelId: connection.id,
    detectGeneration,
    readVersion,
    observe: async (signal): Promise<PanelObservation> => {
      const observation = await run(signal, (ops) => ops.observe(signal));
      const clockOffsetMs = http.clockOffsetMs();
      return clockOffsetMs === undefined ? observation : { ...observation, clockOffsetMs };
    },
    getClient: (email: ClientEmail, signal): Promise<ObservedClient | null> =>
      run(signal, (ops) => ops.getClient(email, signal)),
    createClient: (client: NewClient, signal): Promise<void> =>
      write(signal, (ops) => ops.createClient(client, signal)),
    updateClient: (email: ClientEmail, fields: ClientFields, signal): Promise<ObservedClient> =>
      write(signal, (ops) => ops.updateClient(email, fields, signal)),
    setEnabled: (emails, enable, signal): Promise<BulkResult> =>
      write(signal, (ops) => ops.setEnabled(emails, enable, signal)),
    deleteClient: (email, signal): Promise<void> => write(signal, (ops) => ops.deleteClient(email, signal)),
    close: () => http.close(),
  };
}

/**
 * A PanelClientFactory (the reconciler's port) with the same options for every panel. Each client owns
 * its keep-alive Agent unless `options.dispatcher` is set; `close()` releases it.
 */
export function createPanelClientFactory(options: PanelClientOptions): PanelClientFactory {
  return (connection) => createPanelClient(connection, options);
}
