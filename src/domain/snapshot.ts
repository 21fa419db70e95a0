/**
 * The database side of one reconcile pass, as read in one consistent read-only transaction
 * (src/store/snapshot.ts). Everything the pure core needs to decide what a key should look like.
 */
import type { ClientFields } from './desired.ts';
import type { InboundId, KeyId, PanelId, UserId, ClientEmail } from './ids.ts';

/**
 * A key's traffic baseline (DESIGN.md §4, docs/architecture.md "Quotas"): the client's up+down as
 * observed when the period `periodId` began being counted for the key. Usage this period is observed
 * up+down minus `bytes`.
 */
export interface QuotaBaseline {
  readonly periodId: string;
  readonly bytes: number;
}

/** One `vpn_keys` row joined with its owner's entitlement at the snapshot's `now`. */
export interface KeyRecord {
  readonly keyId: KeyId;
  readonly userId: UserId;
  readonly telegramId: number;
  readonly panelId: PanelId;
  readonly inboundId: InboundId;
  readonly email: ClientEmail;
  /** Stored identity: a missing client is created with it, so the user's link keeps working. */
  readonly clientUuid: string;
  readonly secret: string;
  readonly subId: string;
  readonly flow: string;
  readonly isRevoked: boolean;
  readonly isBanned: boolean;
  /** From `kw_entitlements` at `now` with the configured grace. */
  readonly isEntitled: boolean;
  /** While entitled: when coverage ends (grace included), ms since the epoch. */
  readonly entitledUntilMs: number | null;
  /** Whether the user ever had a live (non-cancelled) period that started by `now`. */
  readonly hasHadSubscription: boolean;
  /** Quota of the plan of the covering period, in bytes; null = unlimited. */
  readonly quotaBytes: number | null;
  /**
   * Id of the period covering `now` whose quota applies (of several, the one that started last, so a
   * renewal appended at the end of coverage counts from when it starts); null when none covers `now`.
   */
  readonly currentPeriodId: string | null;
  /** The baseline stored by the last pass that saw a covering period (`key_state`); null if none. */
  readonly quotaBaseline: QuotaBaseline | null;
  /** Id of the latest live period that started by `now` (dedupes outbox messages); null if none. */
  readonly latestPeriodId: string | null;
  /** `key_state.desired.kind` written by the previous pass, if any (detects suspend/reactivate). */
  readonly previousDesiredKind: 'enabled' | 'disabled' | null;
  /** While entitled: when the covering period became effective (later of its start and its commit). */
  readonly entitledSinceMs: number | null;
  /** While not entitled: the latest end (grace included) of a live period that ended by `now`. */
  readonly lastEndedAtMs: number | null;
  /**
   * The correction applied most often to this key within the last FIX_WINDOW (same action, same
   * fields before and after): a count of FIX_ATTEMPTS means the panel keeps undoing it.
   */
  readonly recentFix?: RecentFix;
}

/** A correction of one key applied `count` times recently (`reconcile_events`). */
export interface RecentFix {
  readonly kind: 'enable' | 'disable' | 'update';
  readonly before: ClientFields;
  readonly after: ClientFields;
  readonly count: number;
}

/** One `panels` row as the reconciler needs it (connection secrets stay in the sources layer). */
export interface PanelRecord {
  readonly panelId: PanelId;
  readonly name: string;
  readonly isEnabled: boolean;
  /** Observe-only: plan and report, write nothing. */
  readonly isSuspended: boolean;
}

/**
 * The safety valve's window (KEYWARDEN_VALVE_WINDOW): what happened recently on every enabled panel,
 * not only those of this pass, so that disables arriving one notification at a time are counted
 * together.
 */
export interface ValveWindow {
  /** Disables applied per panel within the window (`reconcile_events`). */
  readonly disablesByPanel: ReadonlyMap<PanelId, number>;
  /** Keys whose client was last recorded enabled, per panel (`key_state`), for panels not read now. */
  readonly enabledByPanel: ReadonlyMap<PanelId, number>;
  /**
   * Targeted passes only: per panel of the pass, the keys outside the batch as last recorded
   * (`key_state`). The valve adds them to the batch's own, so a batch is judged against its whole
   * panel, not against itself.
   */
  readonly outsideBatch?: ReadonlyMap<PanelId, OutsideBatch>;
}

/** A panel's keys outside a targeted pass's batch, as last recorded (`ValveWindow.outsideBatch`). */
export interface OutsideBatch {
  /** Keys outside the batch whose client was last recorded enabled. */
  readonly enabled: number;
  /**
   * Of those, keys also recorded as desired enabled. Keys waiting to be enabled are not counted: an
   * undercount can only make the valve think the panel is emptying and hold, which hands the batch
   * to a panel pass.
   */
  readonly desiredEnabled: number;
}

/** A consistent read of the database at one moment of the DB clock. */
export interface Snapshot {
  /** The DB clock at the start of the read transaction. */
  readonly now: Date;
  readonly panels: ReadonlyArray<PanelRecord>;
  readonly keys: ReadonlyArray<KeyRecord>;
  /** The next moment any user's entitlement can change (arms the expiry timer); null if none. */
  readonly nextBoundaryAt: Date | null;
  /** Fingerprints of held plans an admin confirmed and that are not yet resolved. */
  readonly confirmedHolds: ReadonlySet<string>;
  /** Recent disables and enabled counts for the valve; absent = an empty window (one pass only). */
  readonly valveWindow?: ValveWindow;
}
