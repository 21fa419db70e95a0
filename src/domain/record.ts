/**
 * What one pass records for a panel (key_state, reconcile_events, inbounds, outbox, held_plans), as a
 * pure function of the panel's plan (its verdicts) and the outcomes of the actions applied. The JSON
 * shapes below are a contract with the bot, which reads `key_state` and `inbounds` to show a key's
 * status without calling a panel.
 */
import type { KeyId, PanelId } from './ids.ts';
import type { ClientFields, DesiredKey, DesiredReason, DisabledReason } from './desired.ts';
import type { ApiGeneration, ObservedClient, ObservedInbound } from './observed.ts';
import type { PanelRead } from './pass.ts';
import type { QuotaBaseline } from './snapshot.ts';
import { fingerprintHeld, type Action, type ActionKind, type HoldCause, type PanelPlan } from './plan.ts';
import type { DriftKind } from './diff.ts';
import { needsHumanKinds, needsHumanReason, type NeedsHumanKind } from './needs-human.ts';
import { NEEDS_HUMAN_DRIFT, needsHuman, type KeyVerdict, type Notice } from './verdict.ts';

/** Outcome of one action, as recorded in `reconcile_events.outcome` and metrics. */
/**
 * `unconfirmed`: the panel accepted the write but reading it back failed (probably in place; the next
 * read decides). `skipped`: not sent (no ownership, or held back after a timed-out write).
 */
export type ActionOutcome = 'applied' | 'unconfirmed' | 'failed' | 'held' | 'skipped';

/** The outcome of one applied action. `confirmed` is the client as read back (null = confirmed absent). */
export interface ActionResult {
  readonly action: Action;
  readonly outcome: ActionOutcome;
  readonly error: string | null;
  readonly confirmed: ObservedClient | null | undefined;
}

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

/** A message for the bot to deliver (`outbox`), deduplicated by `dedupeKey`. */
export type OutboxRecord = Notice;

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
  /**
   * `panel`: every key of the panel was looked at (the held plan is replaced); `keys`: only some
   * (a targeted pass: held plans are left as they are).
   */
  readonly scope: 'panel' | 'keys';
  readonly generation: ApiGeneration | null;
  /** The version the panel reported this pass (null: none reported, or not read; the stored one stays). */
  readonly panelVersion: string | null;
  /** Why the panel could not be read this pass, or null after a good read (`panels.last_error`). */
  readonly readError: string | null;
  /** Inbounds as read (null when the panel was not read). */
  readonly inbounds: ReadonlyArray<ObservedInbound> | null;
  readonly keyStates: ReadonlyArray<KeyStateRecord>;
  readonly events: ReadonlyArray<ReconcileEventRecord>;
  readonly outbox: ReadonlyArray<OutboxRecord>;
  /** The panel's held disables this pass, or null when nothing is held. */
  readonly held: HeldPlanRecord | null;
  /** A confirmed held plan this pass applied. */
  readonly appliedFingerprint: string | null;
}

function desiredJson(desired: DesiredKey, held: boolean): DesiredStateJson {
  return desired.kind === 'enabled'
    ? {
        kind: 'enabled',
        reason: 'entitled',
        expiryTimeMs: desired.fields.expiryTimeMs,
        totalBytes: desired.fields.totalBytes,
        flow: desired.fields.flow,
        entitledUntil:
          desired.key.entitledUntilMs === null ? null : new Date(desired.key.entitledUntilMs).toISOString(),
        held,
      }
    : { kind: 'disabled', reason: desired.reason, held };
}

function observedJson(client: ObservedClient | null, at: string): ObservedStateJson {
  if (client === null) {
    return { kind: 'absent', at };
  }
  return {
    kind: 'present',
    enable: client.isClientEnabled,
    trafficEnable: client.isTrafficEnabled,
    expiryTimeMs: client.expiryTimeMs,
    totalBytes: client.totalBytes,
    upBytes: client.upBytes,
    downBytes: client.downBytes,
    resetDays: client.resetDays,
    flow: client.flow,
    inboundIds: [...client.inboundIds],
    at,
  };
}

/** The `key_state` row of one key: its verdict, settled by the outcome of its action (if any). */
function keyStateOf(
  verdict: KeyVerdict,
  result: ActionResult | undefined,
  isWriting: boolean,
  at: string,
): KeyStateRecord {
  const keyId = verdict.desired.key.keyId;
  const held = verdict.hold !== null;
  const base = {
    keyId,
    desired: desiredJson(verdict.desired, held),
    quotaBaseline: verdict.desired.baseline,
  };
  if (verdict.observed === undefined) {
    return {
      ...base,
      observed: { kind: 'unknown', cause: 'panel unreadable', at },
      converged: false,
      lastAction: null,
      lastError: 'panel unreadable',
      failed: false,
      // Nothing was observed, so there is no new baseline to record: keep the stored one.
      quotaBaseline: null,
      // Nor anything about what needs a human: keep what the last read found.
      needsHuman: undefined,
    };
  }
  const isHumanDrift = needsHuman(verdict.drift);
  const humanReason = needsHumanReason(verdict.drift, verdict.desired.key.inboundId);
  let converged: boolean;
  let lastError: string | null;
  if (verdict.hold !== null) {
    converged = false;
    lastError = `held by the safety valve (${verdict.hold.cause})`;
  } else if (result !== undefined) {
    converged = result.outcome === 'applied' && !isHumanDrift;
    lastError = result.error;
  } else if (verdict.action !== null) {
    converged = false;
    lastError = isWriting ? null : 'observe only: change not applied';
  } else {
    converged = verdict.drift.length === 0;
    lastError = humanReason === null ? null : `needs a human: ${humanReason}`;
  }
  const observed = result?.confirmed !== undefined ? result.confirmed : verdict.observed;
  return {
    ...base,
    observed: observedJson(observed, at),
    converged,
    lastAction: result === undefined ? null : `${result.action.kind}:${result.outcome}`,
    lastError,
    failed: result?.outcome === 'failed',
    needsHuman: humanReason,
  };
}

/** What `recordPanelPass` needs: the panel's plan, how it was read, and what applying it did. */
export interface PanelPassInput {
  readonly plan: PanelPlan;
  /** `panel` for a full or panel pass, `keys` for a targeted pass. */
  readonly scope: 'panel' | 'keys';
  readonly read: PanelRead | undefined;
  /** The outcomes of the plan's actions that were applied (none in observe mode or a dry run). */
  readonly results: ReadonlyArray<ActionResult>;
  /** False when the panel is observed only (observe mode or suspended). */
  readonly isWriting: boolean;
  /** When the pass recorded (DB clock). */
  readonly at: Date;
}

/**
 * Builds the record of one panel's pass: a `key_state` row per verdict, an event per result and per
 * held action, the notices of applied actions, the held plan and a released fingerprint.
 */
export function recordPanelPass(input: PanelPassInput): PanelPassRecord {
  const { plan, read, results, isWriting, scope } = input;
  const isWholePanel = scope === 'panel';
  const at = input.at.toISOString();
  if (plan.kind === 'unknown') {
    return {
      panelId: plan.panelId,
      scope,
      generation: null,
      panelVersion: null,
      readError: plan.cause,
      inbounds: null,
      keyStates: plan.verdicts.map((verdict) => ({
        ...keyStateOf(verdict, undefined, isWriting, at),
        observed: { kind: 'unknown', cause: plan.cause, at },
        lastError: `panel unreadable: ${plan.cause}`,
      })),
      events: [],
      outbox: [],
      held: null,
      appliedFingerprint: null,
    };
  }
  const resultByKey = new Map(results.map((result) => [result.action.keyId, result]));
  const keyStates = plan.verdicts.map((verdict) =>
    keyStateOf(verdict, resultByKey.get(verdict.desired.key.keyId), isWriting, at),
  );
  const events: ReconcileEventRecord[] = [
    ...results.map((result) => ({
      keyId: result.action.keyId,
      panelId: plan.panelId,
      action: result.action.kind,
      reason: result.action.reason,
      outcome: result.outcome,
      error: result.error,
      before: result.action.before,
      after: result.action.fields,
    })),
    ...plan.held.map((entry) => ({
      keyId: entry.action.keyId,
      panelId: plan.panelId,
      action: entry.action.kind,
      reason: entry.action.reason,
      outcome: 'held' as const,
      error: entry.cause,
      before: entry.action.before,
      after: entry.action.fields,
    })),
  ];
  const outbox: OutboxRecord[] = [];
  for (const verdict of plan.verdicts) {
    const result = resultByKey.get(verdict.desired.key.keyId);
    if (result?.outcome === 'applied') {
      outbox.push(...verdict.notices);
    }
  }
  return {
    panelId: plan.panelId,
    scope,
    generation: isWholePanel && read?.kind === 'observed' ? read.observation.generation : null,
    panelVersion: isWholePanel && read?.kind === 'observed' ? (read.panelVersion ?? null) : null,
    readError: null,
    inbounds: isWholePanel && read?.kind === 'observed' ? read.observation.inbounds : null,
    keyStates,
    events,
    outbox,
    held:
      plan.held.length === 0
        ? null
        : {
            fingerprint: fingerprintHeld(plan.held),
            cause: plan.held[0]?.cause ?? 'valve-panel',
            actions: plan.held.map((entry) => ({
              keyId: entry.action.keyId,
              email: entry.action.email,
              action: entry.action.kind,
              reason: entry.action.reason,
            })),
          },
    appliedFingerprint: plan.releasedFingerprint,
  };
}

/**
 * The drift left on a key after the pass: an applied action fixed every kind keywarden fixes (the
 * write was confirmed by its read-back), so only drift that needs a human remains; a held, failed or
 * unapplied action leaves the drift as it was.
 */
export function driftAfter(verdict: KeyVerdict, result: ActionResult | undefined): ReadonlyArray<DriftKind> {
  return result?.outcome === 'applied'
    ? verdict.drift.filter((kind) => NEEDS_HUMAN_DRIFT.has(kind))
    : verdict.drift;
}

/** A read panel after its pass, for metrics: keys by desired state and reason, drift left by kind. */
export interface PanelSummary {
  readonly keys: ReadonlyMap<`${'enabled' | 'disabled'}:${DesiredReason}`, number>;
  readonly drift: ReadonlyMap<DriftKind, number>;
  /** Keys that need a human, by the kind of drift keywarden will not or cannot fix. */
  readonly needsHuman: ReadonlyMap<NeedsHumanKind, number>;
}

/** Summarises a planned panel after its actions' `results` (orphans count as drift). */
export function summarisePanel(
  plan: PanelPlan & { readonly kind: 'planned' },
  results: ReadonlyArray<ActionResult>,
): PanelSummary {
  const resultByKey = new Map(results.map((result) => [result.action.keyId, result]));
  const keys = new Map<`${'enabled' | 'disabled'}:${DesiredReason}`, number>();
  const drift = new Map<DriftKind, number>();
  const humans = new Map<NeedsHumanKind, number>();
  for (const verdict of plan.verdicts) {
    for (const kind of needsHumanKinds(verdict.drift)) {
      humans.set(kind, (humans.get(kind) ?? 0) + 1);
    }
    const label = `${verdict.desired.kind}:${verdict.desired.reason}` as const;
    keys.set(label, (keys.get(label) ?? 0) + 1);
    for (const kind of driftAfter(verdict, resultByKey.get(verdict.desired.key.keyId))) {
      drift.set(kind, (drift.get(kind) ?? 0) + 1);
    }
  }
  if (plan.diff.orphans.length > 0) {
    drift.set('orphan-client', plan.diff.orphans.length);
  }
  return { keys, drift, needsHuman: humans };
}
