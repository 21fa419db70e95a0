/**
 * What one pass records for a panel (key_state, reconcile_events, inbounds, outbox, held_plans): the
 * desired and observed state of every key, the actions' outcomes and the notifications they cause.
 */
import {
  computeDesired,
  fingerprintHeld,
  needsHumanReason,
  type Action,
  type DesiredKey,
  type DesiredReason,
  type KeyDiff,
  type KeyRecord,
  type ObservedClient,
  type PanelPlan,
  type PanelRead,
  type PanelRecord,
  type ReconcilePolicy,
  type Snapshot,
} from '../domain/index.ts';
import type { ActionResult } from './apply.ts';
import type {
  DesiredStateJson,
  KeyStateRecord,
  ObservedStateJson,
  OutboxRecord,
  PanelPassRecord,
  ReconcileEventRecord,
} from './store.ts';

function desiredJson(desired: DesiredKey, held: boolean): DesiredStateJson {
  return desired.kind === 'enabled'
    ? {
        kind: 'enabled',
        reason: 'entitled',
        expiryTimeMs: desired.fields.expiryTimeMs,
        totalBytes: desired.fields.totalBytes,
        flow: desired.fields.flow,
        entitledUntil: desired.key.entitledUntil?.toISOString() ?? null,
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

const SUSPENDING: ReadonlySet<DesiredReason> = new Set<DesiredReason>([
  'banned',
  'expired',
  'no-subscription',
  'quota-exhausted',
]);

/** Builds the record of one panel's pass. */
export type PanelRecorder = (
  snapshot: Snapshot,
  panel: PanelRecord,
  plan: PanelPlan,
  read: PanelRead | undefined,
  results: ReadonlyArray<ActionResult>,
  isWriting: boolean,
  dbNowMs: () => number,
) => PanelPassRecord;

/** Creates the recorder (the policy computes the desired state of an unreadable panel's keys). */
export function createPanelRecorder(options: { readonly policy: ReconcilePolicy }): PanelRecorder {
  function panelRecord(
    snapshot: Snapshot,
    panel: PanelRecord,
    plan: PanelPlan,
    read: PanelRead | undefined,
    results: ReadonlyArray<ActionResult>,
    isWriting: boolean,
    dbNowMs: () => number,
  ): PanelPassRecord {
    const at = new Date(dbNowMs()).toISOString();
    if (plan.kind === 'unknown') {
      const keys = snapshot.keys.filter((key) => key.panelId === panel.panelId);
      return {
        panelId: panel.panelId,
        generation: null,
        inbounds: null,
        keyStates: keys.map((key) => ({
          keyId: key.keyId,
          desired: desiredJson(computeDesired(key, options.policy, undefined), false),
          observed: { kind: 'unknown', cause: plan.cause, at },
          converged: false,
          lastAction: null,
          lastError: `panel unreadable: ${plan.cause}`,
          failed: false,
          // Nothing was observed, so there is no new baseline to record: keep the stored one.
          quotaBaseline: null,
          // Nothing was observed either way: keep what the last read found.
          needsHuman: undefined,
        })),
        events: [],
        outbox: [],
        held: null,
        appliedFingerprint: null,
      };
    }
    const resultByKey = new Map(results.map((result) => [result.action.keyId, result]));
    const heldByKey = new Map(plan.held.map((entry) => [entry.action.keyId, entry]));
    const actionByKey = new Map(plan.actions.map((action) => [action.keyId, action]));
    const keyStates = plan.diff.keys.map((entry: KeyDiff): KeyStateRecord => {
      const key = entry.desired.key;
      const result = resultByKey.get(key.keyId);
      const held = heldByKey.get(key.keyId);
      const planned = actionByKey.get(key.keyId);
      const needsHuman = needsHumanReason(entry);
      const reportedOnly = needsHuman !== null;
      let converged: boolean;
      let lastError: string | null;
      if (held !== undefined) {
        converged = false;
        lastError = `held by the safety valve (${held.cause})`;
      } else if (result !== undefined) {
        converged = result.outcome === 'applied' && !reportedOnly;
        lastError = result.error;
      } else if (planned !== undefined) {
        converged = false;
        lastError = isWriting ? null : 'observe only: change not applied';
      } else {
        converged = entry.drift.length === 0;
        lastError = needsHuman === null ? null : `needs a human: ${needsHuman}`;
      }
      const observed = result?.confirmed !== undefined ? result.confirmed : entry.observed;
      return {
        keyId: key.keyId,
        desired: desiredJson(entry.desired, held !== undefined),
        observed: observedJson(observed, at),
        converged,
        lastAction: result === undefined ? null : `${result.action.kind}:${result.outcome}`,
        lastError,
        failed: result?.outcome === 'failed',
        quotaBaseline: entry.desired.baseline,
        needsHuman,
      };
    });
    const keysById = new Map(plan.diff.keys.map((entry) => [entry.desired.key.keyId, entry.desired.key]));
    const eventRecords: ReconcileEventRecord[] = [
      ...results.map((result) => ({
        keyId: result.action.keyId,
        panelId: panel.panelId,
        action: result.action.kind,
        reason: result.action.reason,
        outcome: result.outcome,
        error: result.error,
        before: result.action.before,
        after: result.action.fields,
      })),
      ...plan.held.map((entry) => ({
        keyId: entry.action.keyId,
        panelId: panel.panelId,
        action: entry.action.kind,
        reason: entry.action.reason,
        outcome: 'held' as const,
        error: entry.cause,
        before: entry.action.before,
        after: entry.action.fields,
      })),
    ];
    const outbox: OutboxRecord[] = [];
    for (const result of results) {
      const key = keysById.get(result.action.keyId);
      if (result.outcome !== 'applied' || key === undefined) {
        continue;
      }
      outbox.push(...outboxFor(key, result.action, panel));
    }
    return {
      panelId: panel.panelId,
      generation: read?.kind === 'observed' ? read.observation.generation : null,
      inbounds: read?.kind === 'observed' ? read.observation.inbounds : null,
      keyStates,
      events: eventRecords,
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

  function outboxFor(key: KeyRecord, action: Action, panel: PanelRecord): OutboxRecord[] {
    const payload = { keyId: key.keyId, email: key.email, panel: panel.name, reason: action.reason };
    if (action.kind === 'disable' && SUSPENDING.has(action.reason)) {
      return [
        {
          userId: key.userId,
          kind: 'access-suspended',
          dedupeKey: `access-suspended:${key.userId}:${key.latestPeriodId ?? 'none'}:${action.reason}`,
          payload,
        },
      ];
    }
    if ((action.kind === 'enable' || action.kind === 'create') && key.previousDesiredKind === 'disabled') {
      return [
        {
          userId: key.userId,
          kind: 'access-reactivated',
          dedupeKey: `access-reactivated:${key.userId}:${key.latestPeriodId ?? 'none'}`,
          payload,
        },
      ];
    }
    return [];
  }

  return panelRecord;
}
