import type { PanelId } from '../domain/index.ts';

/**
 * Which panels this replica may write to. src/sources implements it with session advisory locks; a
 * single-process setup (or a dry run) may use `everyPanelOwned`. Correctness never depends on there
 * being exactly one owner: writes are absolute.
 */
export interface Leadership {
  /** True while this replica holds the panel's lock and its lease is fresh. Checked before each write. */
  isOwned(panelId: PanelId): boolean;
  /**
   * A signal that aborts as soon as this replica stops owning the panel (lock lost, lease stale,
   * shutdown); already aborted when it does not own it now. Every panel call of an apply carries it,
   * so a write that has not been sent when ownership goes is never sent.
   */
  ownershipSignal(panelId: PanelId): AbortSignal;
  /** The lock owner as far as this replica knows (for `status`); undefined when unknown. */
  readonly replicaId: string;
}

const NEVER_ABORTED = new AbortController().signal;

/** A leadership that owns every panel (one replica, CLI runs, dry runs). */
export const everyPanelOwned: Leadership = {
  isOwned: () => true,
  ownershipSignal: () => NEVER_ABORTED,
  replicaId: 'local',
};
