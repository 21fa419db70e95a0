/**
 * Reading one panel for a pass: an observation, or `unknown` with the cause (fail-open: an unreadable
 * panel gets no actions and is retried on its own).
 */
import type {
  ApiGeneration,
  ClientEmail,
  PanelId,
  ObservedClient,
  ObservedInbound,
  PanelRead,
  PanelRecord,
} from '../domain/index.ts';
import { toError, type Logger } from '../shared/index.ts';
import type { ReconcilerEvents } from './events.ts';
import type { PanelClient } from './ports.ts';

/** What the panel reader needs (from ControllerOptions). */
export interface PanelReaderOptions {
  /** Bound on one whole panel read, in ms (the adapter also times out each call). */
  readonly panelReadTimeoutMs: number;
  readonly logger: Logger;
  readonly events: ReconcilerEvents;
}

/** Reads a panel into an observation, or `unknown` with the cause; never throws. */
export type ReadPanel = (panel: PanelRecord, client: PanelClient, signal: AbortSignal) => Promise<PanelRead>;

/**
 * Reads only the clients of `emails` (a targeted pass): one `getClient` each, a few at a time, or one
 * whole-panel read narrowed to them, whichever `shouldReadWholePanel` says is faster for the batch on
 * the panel as big as its last whole read (a panel not read whole yet is read whole). The generation
 * is `recordedGeneration` when the panel has one (it spares a probe; a wrong one only costs speed,
 * the client re-probes on the other generation's 404), else probed. The inbounds are the ones last
 * observed (`stored`); without them the whole panel is read, as creating a missing client needs its
 * inbound's protocol. Never throws.
 */
export type ReadClients = (
  panel: PanelRecord,
  client: PanelClient,
  emails: ReadonlyArray<ClientEmail>,
  stored: ReadonlyArray<ObservedInbound> | undefined,
  recordedGeneration: ApiGeneration | undefined,
  signal: AbortSignal,
) => Promise<PanelRead>;

/** Client reads in flight at once in a targeted read. */
export const CLIENT_READS_IN_FLIGHT = 8;

/**
 * The cost model a targeted read is chosen by, from bench/targeted-read.ts (simulated G2 panel in its
 * own process, 20 ms per request, one inbound; medians of 5 runs, ms, machine load 2.5–3 and 8–10):
 *
 *   per email (clients/get + clients/traffic: 2 round trips; the client keeps 4 connections):
 *     1: 44–50   2: 45–49   4: 49–52   8: 90–93   16: 184–227   32: 358–389   64: 720–788
 *   whole panel (inbounds/list, parsed), 1,000 clients: 41–59 (62–104 loaded)
 *                                        10,000 clients: 158–234 (131–357 loaded)
 *
 * So emails go in rounds of EMAILS_PER_ROUND at EMAIL_ROUND_MS each, and a whole read costs
 * WHOLE_READ_BASE_MS plus WHOLE_READ_PER_CLIENT_MS per client. A 1,000-client panel is read whole
 * for any batch (the list costs about one round, and is one request instead of two per email); a
 * 10,000-client one from 13 emails (the measured crossover lies between 8 and 16); a 100,000-client
 * one from 129. A longer latency makes rounds dearer and favours the whole read.
 */
export const EMAILS_PER_ROUND = 4;
/** One round of per-email reads, ms (see above). */
export const EMAIL_ROUND_MS = 47;
/** The fixed part of a whole G2 read, ms (see above). */
export const WHOLE_READ_BASE_MS = 30;
/** A whole G2 read's cost per client on the panel, ms (see above). */
export const WHOLE_READ_PER_CLIENT_MS = 0.015;

/**
 * Whether a targeted read of `batchSize` clients on a panel of `panelClients` clients (0: not known
 * yet) should read the whole panel (one list) rather than each client, by the cost model above. On
 * G1 always: its per-email read is `getClientTraffics/:email` plus the whole inbound that holds the
 * client (G1 has no single-client route), so with one inbound it costs more than the list for any
 * batch: one email 55–80 ms against 35–54 ms at 1,000 clients, 180 against 118 ms at 10,000.
 */
export function shouldReadWholePanel(
  generation: ApiGeneration,
  batchSize: number,
  panelClients: number,
): boolean {
  if (generation === 'g1') {
    return true;
  }
  const wholeMs = WHOLE_READ_BASE_MS + WHOLE_READ_PER_CLIENT_MS * panelClients;
  const perEmailMs = EMAIL_ROUND_MS * Math.ceil(batchSize / EMAILS_PER_ROUND);
  return wholeMs <= perEmailMs;
}

/** Creates the panel readers (whole panel, and single clients). */
export function createPanelReader(options: PanelReaderOptions): {
  readonly readPanel: ReadPanel;
  readonly readClients: ReadClients;
} {
  const log = options.logger;
  const events = options.events;

  /** Panels already warned about an untested version (by `panelId:version`): one warning each. */
  const warned = new Set<string>();
  /** Clients each panel had at its last whole read: what a targeted read's choice goes by. */
  const panelSizes = new Map<PanelId, number>();

  /**
   * The panel's version, checked against the tested range: a metric always, a warning once per panel
   * and version. A failure here never fails the read (the observation is what matters).
   */
  async function readVersion(
    panel: PanelRecord,
    client: PanelClient,
    signal: AbortSignal,
  ): Promise<string | null> {
    try {
      const info = await client.readVersion(signal);
      events.panelVersion?.({ panel: panel.name, version: info.panelVersion, isTested: info.isTested });
      const warnKey = `${panel.panelId}:${info.panelVersion ?? ''}`;
      if (info.isTested === false && !warned.has(warnKey)) {
        warned.add(warnKey);
        log.warn(
          { panelId: panel.panelId, panel: panel.name, panelVersion: info.panelVersion },
          'panel version outside the tested range (3x-ui v2.8.0–v3.6.0 and main at 02002dc1); check the changelog of this release',
        );
      }
      return info.panelVersion;
    } catch (error) {
      log.debug(
        { panelId: panel.panelId, panel: panel.name, error: toError(error).message },
        'panel version unread',
      );
      return null;
    }
  }

  async function readPanel(panel: PanelRecord, client: PanelClient, signal: AbortSignal): Promise<PanelRead> {
    try {
      const observation = await client.observe(
        AbortSignal.any([signal, AbortSignal.timeout(options.panelReadTimeoutMs)]),
      );
      panelSizes.set(panel.panelId, observation.clients.size);
      events.panelRead?.({
        panel: panel.name,
        up: true,
        ...(observation.clockOffsetMs === undefined ? {} : { clockOffsetMs: observation.clockOffsetMs }),
      });
      return { kind: 'observed', observation, panelVersion: await readVersion(panel, client, signal) };
    } catch (error) {
      const cause = toError(error).message;
      events.panelRead?.({ panel: panel.name, up: false });
      // An expected I/O failure, repeated on every retry: the message says what and where; a stack
      // trace per retry would bury the log.
      log.warn(
        { panelId: panel.panelId, panel: panel.name, error: cause, errorType: toError(error).name },
        'panel unreadable, holding',
      );
      return { kind: 'unknown', cause };
    }
  }

  function unknown(panel: PanelRecord, error: unknown): PanelRead {
    const cause = toError(error).message;
    events.panelRead?.({ panel: panel.name, up: false });
    log.warn(
      { panelId: panel.panelId, panel: panel.name, error: cause, errorType: toError(error).name },
      'panel unreadable, holding',
    );
    return { kind: 'unknown', cause };
  }

  async function readClients(
    panel: PanelRecord,
    client: PanelClient,
    emails: ReadonlyArray<ClientEmail>,
    stored: ReadonlyArray<ObservedInbound> | undefined,
    recordedGeneration: ApiGeneration | undefined,
    signal: AbortSignal,
  ): Promise<PanelRead> {
    let generation = recordedGeneration;
    if (generation === undefined) {
      try {
        generation = await client.detectGeneration(
          AbortSignal.any([signal, AbortSignal.timeout(options.panelReadTimeoutMs)]),
        );
      } catch (error) {
        return unknown(panel, error);
      }
    }
    if (
      stored === undefined ||
      stored.length === 0 ||
      shouldReadWholePanel(generation, emails.length, panelSizes.get(panel.panelId) ?? 0)
    ) {
      const whole = await readPanel(panel, client, signal);
      if (whole.kind === 'unknown') {
        return whole;
      }
      const wanted = new Set<string>(emails);
      const clients = new Map<ClientEmail, ObservedClient>();
      for (const email of emails) {
        const found = whole.observation.clients.get(email);
        if (found !== undefined) {
          clients.set(email, found);
        }
      }
      return {
        kind: 'observed',
        observation: {
          ...whole.observation,
          clients,
          duplicateEmails: whole.observation.duplicateEmails.filter((email) => wanted.has(email)),
        },
      };
    }
    try {
      const bounded = AbortSignal.any([signal, AbortSignal.timeout(options.panelReadTimeoutMs)]);
      const clients = new Map<ClientEmail, ObservedClient>();
      let next = 0;
      const reader = async (): Promise<void> => {
        while (next < emails.length) {
          const email = emails[next];
          next += 1;
          if (email === undefined) {
            continue;
          }
          const found = await client.getClient(email, bounded);
          if (found !== null) {
            clients.set(email, found);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(CLIENT_READS_IN_FLIGHT, emails.length) }, reader));
      events.panelRead?.({ panel: panel.name, up: true });
      // Duplicates and orphans are whole-panel findings: the full passes report them.
      return {
        kind: 'observed',
        observation: { generation, inbounds: stored, clients, duplicateEmails: [] },
      };
    } catch (error) {
      return unknown(panel, error);
    }
  }

  return { readPanel, readClients };
}
