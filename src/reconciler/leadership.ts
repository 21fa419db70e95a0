import type { PanelId } from '../domain/index.ts';

/**
 * Which panels this replica may write to. src/sources implements it with session advisory locks; a
 * single-process setup (or a dry run) may use `everyPanelOwned`. Correctness never depends on there
 * being exactly one owner: writes are absolute.
 */
export interface Leadership {
  /** True while this replica holds the panel's lock and its lease is fresh. Checked before each write. */
  isOwned(panelId: PanelId): boolean;
  /** The lock owner as far as this replica knows (for `status`); undefined when unknown. */
  readonly replicaId: string;
}

/** A leadership that owns every panel (one replica, CLI runs, dry runs). */
export const everyPanelOwned: Leadership = { isOwned: () => true, replicaId: 'local' };
