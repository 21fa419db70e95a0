/**
 * The database port of the reconciler. src/store implements it on PostgreSQL. What a pass writes
 * (`PanelPassRecord`) is built by the pure `recordPanelPass` in src/domain/record.ts.
 */
import type { PanelId, PanelPassRecord, Snapshot, UserId } from '../domain/index.ts';
import type { PanelConnection } from './ports.ts';

/** A snapshot plus the connections of its panels. */
export interface SnapshotRead {
  readonly snapshot: Snapshot;
  readonly connections: ReadonlyMap<PanelId, PanelConnection>;
}

/** The reconciler's database port. Every method throws on failure; nothing returns a partial result. */
export interface ReconcileStore {
  /** One consistent read of `panelIds` (all enabled panels when undefined) and their keys. */
  readSnapshot(panelIds: ReadonlyArray<PanelId> | undefined): Promise<SnapshotRead>;
  /** Panels that hold keys of `userId` (for a targeted request). */
  panelsOfUser(userId: UserId): Promise<ReadonlyArray<PanelId>>;
  /** Every enabled panel. */
  listPanelIds(): Promise<ReadonlyArray<PanelId>>;
  /** Writes one panel's pass; `planId` tags its events. */
  recordPanelPass(record: PanelPassRecord, planId: string): Promise<void>;
}
