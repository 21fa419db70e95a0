/**
 * The database port of the reconciler. src/store implements it on PostgreSQL. What a pass writes
 * (`PanelPassRecord`) is built by the pure `recordPanelPass` in src/domain/record.ts.
 */
import type { ObservedInbound, PanelId, PanelPassRecord, Snapshot, UserId } from '../domain/index.ts';
import type { PanelConnection } from './ports.ts';

/** A snapshot plus the connections of its panels. */
export interface SnapshotRead {
  readonly snapshot: Snapshot;
  readonly connections: ReadonlyMap<PanelId, PanelConnection>;
  /**
   * Wall-clock ms (this process's `Date.now()`) just after the DB clock (`snapshot.now`) was read: the
   * pair maps DB time to wall time without counting the rest of the read (the expiry timer's deadline).
   */
  readonly clockReadAtMs: number;
  /** Targeted reads only: the panels' inbounds as last observed (`inbounds` table). */
  readonly storedInbounds?: ReadonlyMap<PanelId, ReadonlyArray<ObservedInbound>>;
}

/** What changed at the entitlement boundaries since a moment; see `usersChangedSince`. */
export interface BoundaryChanges {
  readonly now: Date;
  /** Wall-clock ms just after `now` was read (see `SnapshotRead.clockReadAtMs`). */
  readonly clockReadAtMs: number;
  readonly changes: ReadonlyArray<{ readonly panelId: PanelId; readonly userId: UserId }>;
  readonly nextBoundaryAt: Date | null;
}

/** The reconciler's database port. Every method throws on failure; nothing returns a partial result. */
export interface ReconcileStore {
  /**
   * One consistent read of `panelIds` (all enabled panels when undefined) and their keys; with
   * `userIds`, only those users' keys (a targeted pass).
   */
  readSnapshot(
    panelIds: ReadonlyArray<PanelId> | undefined,
    userIds?: ReadonlyArray<UserId>,
  ): Promise<SnapshotRead>;
  /** Panels that hold keys of `userId` (for a targeted request). */
  panelsOfUser(userId: UserId): Promise<ReadonlyArray<PanelId>>;
  /**
   * The keys whose owner's entitlement changed in (`since`, now] (a period started or ended, grace
   * included, or a ban took effect), as (panel, user) pairs on enabled panels, with the DB clock and
   * the next boundary of any user with a live key after it. With `since` null: no changes, only the
   * clock and the next boundary.
   */
  usersChangedSince(since: Date | null): Promise<BoundaryChanges>;
  /** Every enabled panel. */
  listPanelIds(): Promise<ReadonlyArray<PanelId>>;
  /** Writes one panel's pass; `planId` tags its events. */
  recordPanelPass(record: PanelPassRecord, planId: string): Promise<void>;
}
