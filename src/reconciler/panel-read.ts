/**
 * Reading one panel for a pass: an observation, or `unknown` with the cause (fail-open: an unreadable
 * panel gets no actions and is retried on its own).
 */
import type { PanelRead, PanelRecord } from '../domain/index.ts';
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

/** Creates the panel reader. */
export function createPanelReader(options: PanelReaderOptions): ReadPanel {
  const log = options.logger;
  const events = options.events;

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
      return { kind: 'observed', observation };
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

  return readPanel;
}
