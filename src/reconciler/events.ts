/**
 * What the reconciler reports as it works, as a typed listener interface. src/metrics implements it
 * (the reconciler never imports prom-client). Labels are bounded: panel names, kinds, outcomes.
 */
import type { ActionKind, ActionOutcome, DesiredReason, DriftKind } from '../domain/index.ts';

/** What caused a reconcile request. */
export type Trigger = 'notify' | 'expiry' | 'resync' | 'reconnect' | 'startup' | 'retry' | 'manual';

/** How a reconcile request ended: ok, some panel unknown or action failed (partial), or error. */
export type RunOutcome = 'ok' | 'partial' | 'error';

/** Listener for reconciler events; every method is optional. */
export interface ReconcilerEvents {
  runFinished?(event: { trigger: Trigger; outcome: RunOutcome; durationSeconds: number }): void;
  /** A panel read; `clockOffsetMs` is the panel's clock minus ours when known. */
  panelRead?(event: { panel: string; up: boolean; clockOffsetMs?: number }): void;
  /** The version a panel reports; `isTested` false when it lies outside the tested range (warn). */
  panelVersion?(event: { panel: string; version: string | null; isTested: boolean | null }): void;
  /** One HTTP exchange with a panel (reported by the panel client factory the daemon builds). */
  panelRequest?(event: { panel: string; op: string; outcome: string; durationSeconds: number }): void;
  /**
   * After a pass over a panel: keys by desired state and reason, the drift left after the pass's
   * fixes by kind (an applied, confirmed action removes its key's drift), held count.
   */
  panelPlanned?(event: {
    panel: string;
    keys: ReadonlyMap<`${'enabled' | 'disabled'}:${DesiredReason}`, number>;
    drift: ReadonlyMap<DriftKind, number>;
    /** Keys that need a human, by the drift kind that keywarden will not or cannot fix. */
    needsHuman: ReadonlyMap<string, number>;
    held: number;
    /** Unix seconds of this successful full pass. */
    syncedAt: number;
  }): void;
  /** Held disables across all panels (the global valve), after a pass over every panel. */
  globalHeld?(event: { held: number }): void;
  action?(event: { panel: string; action: ActionKind; outcome: ActionOutcome }): void;
  expiryLag?(event: { seconds: number }): void;
  activationLag?(event: { seconds: number }): void;
  queueDepth?(event: { depth: number }): void;
  panelOwned?(event: { panel: string; owned: boolean }): void;
  notification?(): void;
  nextBoundary?(event: { at: Date | null }): void;
  listenerConnected?(event: { connected: boolean }): void;
  /** A write to a panel timed out: its inbound is quarantined (write-quarantine.ts). */
  writeTimedOut?(event: { panel: string; actions: number }): void;
  /** The listener's self-NOTIFY did not come back in time; it reconnects. */
  listenerProbeFailed?(): void;
  /**
   * A login to a panel was not tried: the shared login back-off holds it (3x-ui's lockout would
   * trip), or the shared state could not be read (src/store/login-guard.ts).
   */
  panelLoginWithheld?(event: { panel: string }): void;
}
