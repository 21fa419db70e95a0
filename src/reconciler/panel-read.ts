/**
 * Reading one panel for a pass: an observation, or `unknown` with the cause (fail-open: an unreadable
 * panel gets no actions and is retried on its own).
 */
import type {
  ClientEmail,
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
 * Reads only the clients of `emails` (a targeted pass), one `getClient` each, a few at a time. The
 * inbounds are the ones last observed (`stored`); without them the whole panel is read instead, as
 * creating a missing client needs its inbound's protocol. Never throws.
 */
export type ReadClients = (
  panel: PanelRecord,
  client: PanelClient,
  emails: ReadonlyArray<ClientEmail>,
  stored: ReadonlyArray<ObservedInbound> | undefined,
  signal: AbortSignal,
) => Promise<PanelRead>;

/** Client reads in flight at once in a targeted read. */
export const CLIENT_READS_IN_FLIGHT = 8;

/** Creates the panel readers (whole panel, and single clients). */
export function createPanelReader(options: PanelReaderOptions): {
  readonly readPanel: ReadPanel;
  readonly readClients: ReadClients;
} {
  const log = options.logger;
  const events = options.events;

  /** Panels already warned about an untested version (by `panelId:version`): one warning each. */
  const warned = new Set<string>();

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
    signal: AbortSignal,
  ): Promise<PanelRead> {
    if (stored === undefined || stored.length === 0) {
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
      const generation = await client.detectGeneration(bounded);
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
