/**
 * Write quarantine after a timed-out write (issue 11, item 2). A write the adapter gave up on may
 * still be running in the panel and land later (3x-ui handles a request to the end even after the
 * client left), carrying what was true when it was sent: on G1 a stale copy of the whole inbound's
 * client list. So after a timeout:
 *
 * - no other write goes to that inbound (to any inbound of the panel with KEYWARDEN_PANEL_CONCURRENCY=1,
 *   whose single write slot the abandoned request still holds) until a read shows the abandoned
 *   write's outcome (its client as the write would have left it), or until the quiet period
 *   (KEYWARDEN_WRITE_QUIET, longer than the panel's own handling time) has passed;
 * - the panel is re-read (a full read) until then, so that a late write is seen and corrected.
 *
 * A read that shows the old state proves nothing (the write may still land), so only the quiet
 * period ends that case.
 */
import type { Action, InboundId, ObservedClient, PanelId, PanelObservation } from '../domain/index.ts';

/** One abandoned write. */
export interface QuarantineEntry {
  readonly panelId: PanelId;
  readonly inboundId: InboundId;
  /** The action whose write timed out (its `fields` are what the late write would set). */
  readonly action: Action;
  /** Monotonic ms when the write was given up. */
  readonly sinceMs: number;
}

/** The quarantine of one controller (per replica: only this replica sent the abandoned writes). */
export interface WriteQuarantine {
  /** Records a write to `action`'s inbound that timed out. */
  recordTimeout(action: Action): void;
  /**
   * The entry that holds back a write of `action`, or undefined. With `wholePanel`, any abandoned
   * write on the panel holds it back (one write slot per panel).
   */
  blocking(action: Action, wholePanel: boolean): QuarantineEntry | undefined;
  /** After a full read of the panel: clears the entries whose outcome it shows or whose quiet period passed. */
  settle(panelId: PanelId, observation: PanelObservation): void;
  /** Ms until the panel should be read again (the earliest quiet period end, capped), or undefined. */
  recheckInMs(panelId: PanelId): number | undefined;
}

/** Whether `client` is what `action`'s write would have left (the same test as the read-back). */
export function showsOutcome(action: Action, client: ObservedClient | null | undefined): boolean {
  return (
    client !== null &&
    client !== undefined &&
    client.isClientEnabled === action.fields.enable &&
    client.expiryTimeMs === action.fields.expiryTimeMs &&
    client.totalBytes === action.fields.totalBytes &&
    client.resetDays === action.fields.resetDays
  );
}

/** Creates an empty quarantine; `now` is a monotonic clock in ms (default performance.now). */
export function createWriteQuarantine(options: {
  readonly quietMs: number;
  /** Longest wait between two re-reads of a quarantined panel, ms. Default 1 s. */
  readonly recheckMs?: number;
  readonly now?: () => number;
}): WriteQuarantine {
  const now = options.now ?? ((): number => performance.now());
  const recheckMs = options.recheckMs ?? 1_000;
  const entries = new Map<PanelId, QuarantineEntry[]>();

  const isQuiet = (entry: QuarantineEntry): boolean => now() - entry.sinceMs >= options.quietMs;

  function live(panelId: PanelId): QuarantineEntry[] {
    const list = (entries.get(panelId) ?? []).filter((entry) => !isQuiet(entry));
    if (list.length === 0) {
      entries.delete(panelId);
    } else {
      entries.set(panelId, list);
    }
    return list;
  }

  return {
    recordTimeout(action) {
      const list = entries.get(action.panelId) ?? [];
      list.push({ panelId: action.panelId, inboundId: action.inboundId, action, sinceMs: now() });
      entries.set(action.panelId, list);
    },
    blocking(action, wholePanel) {
      return live(action.panelId).find((entry) => wholePanel || entry.inboundId === action.inboundId);
    },
    settle(panelId, observation) {
      const list = live(panelId).filter(
        (entry) => !showsOutcome(entry.action, observation.clients.get(entry.action.email)),
      );
      if (list.length === 0) {
        entries.delete(panelId);
      } else {
        entries.set(panelId, list);
      }
    },
    recheckInMs(panelId) {
      const list = live(panelId);
      if (list.length === 0) {
        return undefined;
      }
      const untilQuiet = Math.min(...list.map((entry) => entry.sinceMs + options.quietMs - now()));
      return Math.max(0, Math.min(recheckMs, untilQuiet));
    },
  };
}
