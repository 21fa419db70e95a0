/**
 * The database port of the reconciler and the shapes it writes. src/sources implements it on
 * PostgreSQL. The JSON shapes below are a contract with the bot, which reads `key_state` and
 * `inbounds` to show a key's status without calling a panel.
 */
import type {
  ActionKind,
  ApiGeneration,
  ClientFields,
  DesiredReason,
  DisabledReason,
  HoldCause,
  KeyId,
  ObservedInbound,
  PanelId,
  QuotaBaseline,
  Snapshot,
  UserId,
} from '../domain/index.ts';
import type { PanelConnection } from './ports.ts';

/**
 * `key_state.desired` (jsonb): what the key should look like and why.
 * - `{ kind: 'enabled', reason: 'entitled', expiryTimeMs, totalBytes, flow, entitledUntil }`:
 *   entitledUntil is an ISO time (coverage end, grace included) or null.
 * - `{ kind: 'disabled', reason }` with reason revoked | banned | quota-exhausted | expired |
 *   no-subscription.
 * `held` is true while the safety valve holds this key's disable.
 */
export type DesiredStateJson =
  | {
      readonly kind: 'enabled';
      readonly reason: 'entitled';
      readonly expiryTimeMs: number;
      readonly totalBytes: number;
      readonly flow: string;
      readonly entitledUntil: string | null;
      readonly held: boolean;
    }
  | { readonly kind: 'disabled'; readonly reason: DisabledReason; readonly held: boolean };

/**
 * `key_state.observed` (jsonb): the client as last read or confirmed on the panel.
 * - `{ kind: 'present', enable, trafficEnable, expiryTimeMs, totalBytes, upBytes, downBytes,
 *   resetDays, flow, inboundIds }`: enable is the client's own switch, trafficEnable the panel job's
 *   flag; the key works when both are true.
 * - `{ kind: 'absent' }`: the panel confirmed there is no such client.
 * - `{ kind: 'unknown', cause }`: the panel could not be read this pass (nothing was changed).
 * `at` is the ISO time of the read (DB clock).
 */
export type ObservedStateJson =
  | {
      readonly kind: 'present';
      readonly enable: boolean;
      readonly trafficEnable: boolean;
      readonly expiryTimeMs: number;
      readonly totalBytes: number;
      readonly upBytes: number;
      readonly downBytes: number;
      readonly resetDays: number;
      readonly flow: string;
      readonly inboundIds: ReadonlyArray<number>;
      readonly at: string;
    }
  | { readonly kind: 'absent'; readonly at: string }
  | { readonly kind: 'unknown'; readonly cause: string; readonly at: string };

/** One `key_state` row (upserted every pass for every key of every panel read). */
export interface KeyStateRecord {
  readonly keyId: KeyId;
  readonly desired: DesiredStateJson;
  readonly observed: ObservedStateJson;
  /** Desired and observed agree (nothing left to do for this key). */
  readonly converged: boolean;
  /** `<action>:<outcome>` of this pass, or null to keep the previous value. */
  readonly lastAction: string | null;
  /** Why the key is not converged (failed call, held, unknown panel), or null. */
  readonly lastError: string | null;
  /** True when this pass tried and failed an action: `attempts` is incremented, else reset to 0. */
  readonly failed: boolean;
  /**
   * The traffic baseline of the key's current period (`key_state.quota_period_id`,
   * `quota_baseline_bytes`), or null to keep the stored one (no covering period, panel unread).
   */
  readonly quotaBaseline: QuotaBaseline | null;
  /**
   * Why the key needs a human (`key_state.needs_human`), null when it does not, undefined to keep
   * the stored value (the panel was not read).
   */
  readonly needsHuman: string | null | undefined;
}

/** Outcome of one action, as recorded in `reconcile_events.outcome` and metrics. */
export type ActionOutcome = 'applied' | 'failed' | 'held' | 'skipped';

/** One `reconcile_events` row: every action with before, after, reason and outcome. */
export interface ReconcileEventRecord {
  readonly keyId: KeyId;
  readonly panelId: PanelId;
  readonly action: ActionKind;
  readonly reason: DesiredReason;
  readonly outcome: ActionOutcome;
  readonly error: string | null;
  readonly before: ClientFields | null;
  readonly after: ClientFields | null;
}

/** A message for the bot to deliver, deduplicated by `dedupeKey`. */
export interface OutboxRecord {
  readonly userId: UserId;
  readonly kind: 'access-suspended' | 'access-reactivated';
  readonly dedupeKey: string;
  readonly payload: Readonly<Record<string, unknown>>;
}

/** Held disables of one panel, to store in `held_plans` for confirmation. */
export interface HeldPlanRecord {
  readonly fingerprint: string;
  readonly cause: HoldCause;
  readonly actions: ReadonlyArray<{
    readonly keyId: KeyId;
    readonly email: string;
    readonly action: ActionKind;
    readonly reason: DesiredReason;
  }>;
}

/** Everything one pass writes for one panel, in one transaction. */
export interface PanelPassRecord {
  readonly panelId: PanelId;
  readonly generation: ApiGeneration | null;
  /**
   * Inbounds as read (null when the panel was not read). A full read also marks the panel's other
   * known inbounds missing (`inbounds.missing_since`).
   */
  readonly inbounds: ReadonlyArray<ObservedInbound> | null;
  readonly keyStates: ReadonlyArray<KeyStateRecord>;
  readonly events: ReadonlyArray<ReconcileEventRecord>;
  readonly outbox: ReadonlyArray<OutboxRecord>;
  /** The panel's held disables this pass, or null when nothing is held. */
  readonly held: HeldPlanRecord | null;
  /** A confirmed held plan this pass applied. */
  readonly appliedFingerprint: string | null;
}

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
  /** Panels on which some key uses a plan (for a quota change). */
  listPanelIds(): Promise<ReadonlyArray<PanelId>>;
  /** Writes one panel's pass; `planId` tags its events. */
  recordPanelPass(record: PanelPassRecord, planId: string): Promise<void>;
}
