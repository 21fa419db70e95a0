/**
 * Plan and safety valve (DESIGN.md §2, §5): turn a panel's drift into absolute, idempotent actions,
 * then hold disables that look like an accident. Pure: no clock, no I/O.
 */
import type { ClientEmail, InboundId, KeyId, PanelId, UserId } from './ids.ts';
import type { ClientFields, DesiredKey, DesiredReason } from './desired.ts';
import type { DriftKind, PanelDiff } from './diff.ts';
import type { ObservedClient } from './observed.ts';
import type { ReconcilePolicy } from './policy.ts';
import type { KeyRecord, ValveWindow } from './snapshot.ts';
import { FIX_ATTEMPTS } from './needs-human.ts';
import { fingerprintText } from './fingerprint.ts';
import { assertNever } from './result.ts';
import { noticesFor, statusOf, type KeyVerdict, type Notice } from './verdict.ts';

/** Kinds of action; the `action` label of `keywarden_actions_total`. */
export type ActionKind = 'create' | 'enable' | 'disable' | 'update';

/** What a created client is identified by (the key's stored identity). */
export interface ClientIdentity {
  readonly uuid: string;
  readonly secret: string;
  readonly subId: string;
  readonly tgId: number;
  readonly protocol: string;
}

/** What every action carries: which client, why, and the complete managed state to set. */
interface ActionBase {
  readonly panelId: PanelId;
  readonly keyId: KeyId;
  readonly userId: UserId;
  readonly email: ClientEmail;
  readonly inboundId: InboundId;
  readonly reason: DesiredReason;
  readonly fields: ClientFields;
}

/**
 * One absolute change to one client, a union on `kind`. `fields` is the complete managed state to
 * set. A create carries the key's stored identity (so a user's link keeps working); the others carry
 * the managed fields as observed before. `isFlagOnly` is true when the only change is the enable
 * flag, so a bulk enable/disable call (G2) does the whole job without a read-modify-write of each
 * client.
 */
export type Action =
  | (ActionBase & {
      readonly kind: 'create';
      readonly identity: ClientIdentity;
      readonly before: null;
      readonly isFlagOnly: false;
    })
  | (ActionBase & {
      readonly kind: 'enable' | 'disable' | 'update';
      readonly before: ClientFields;
      readonly isFlagOnly: boolean;
    });

/** Why an action was held back. */
export type HoldCause = 'valve-panel' | 'valve-global' | 'valve-empty-desired';

/** An action the plan decided not to take this pass. */
export interface HeldAction {
  readonly action: Action;
  readonly cause: HoldCause;
}

/** The plan for one panel. */
export type PanelPlan =
  | {
      readonly kind: 'planned';
      readonly panelId: PanelId;
      readonly diff: PanelDiff;
      readonly actions: ReadonlyArray<Action>;
      readonly held: ReadonlyArray<HeldAction>;
      /** Fingerprint of a confirmed held plan whose disables this plan now carries out, else null. */
      readonly releasedFingerprint: string | null;
      /** One verdict per key of `diff.keys`, in the same order. */
      readonly verdicts: ReadonlyArray<KeyVerdict>;
    }
  | {
      /** The panel could not be read: nothing is done to it this pass (fail-open). */
      readonly kind: 'unknown';
      readonly panelId: PanelId;
      readonly cause: string;
      /** One verdict per key of the panel, every one `unknown`. */
      readonly verdicts: ReadonlyArray<KeyVerdict>;
    };

function managedFieldsOf(client: ObservedClient): ClientFields {
  return {
    enable: client.isClientEnabled,
    expiryTimeMs: client.expiryTimeMs,
    totalBytes: client.totalBytes,
    resetDays: client.resetDays,
    flow: client.flow,
  };
}

const FIXABLE: ReadonlySet<DriftKind> = new Set<DriftKind>([
  'disabled-should-be-on',
  'enabled-should-be-off',
  'expiry-mismatch',
  'quota-mismatch',
  'reset-nonzero',
  'flow-mismatch',
]);

const sameFields = (a: ClientFields, b: ClientFields): boolean =>
  a.enable === b.enable &&
  a.expiryTimeMs === b.expiryTimeMs &&
  a.totalBytes === b.totalBytes &&
  a.resetDays === b.resetDays &&
  a.flow === b.flow;

/**
 * Whether `action` is a correction the panel has undone FIX_ATTEMPTS times within the window: the
 * same action from the same observed state to the same fields (a panel that clears `flow` on an
 * inbound without TLS, a node that reverts an extension). Re-applying it would only fight the panel.
 */
export function isFixNotSticking(action: Action, key: KeyRecord): boolean {
  const fix = key.recentFix;
  return (
    action.kind !== 'create' &&
    fix !== undefined &&
    fix.count >= FIX_ATTEMPTS &&
    fix.kind === action.kind &&
    sameFields(fix.before, action.before) &&
    sameFields(fix.after, action.fields)
  );
}

/** No notices: one shared empty list (most keys of a pass need none). */
const NO_NOTICES: ReadonlyArray<Notice> = Object.freeze([]);

/**
 * Derives the actions that make a panel match its desired keys. Identity mismatches and duplicates
 * are drift to report, not actions (changing a client's identity would break a user's link).
 */
export function planPanel(diff: PanelDiff, panelName: string): PanelPlan & { readonly kind: 'planned' } {
  const actions: Action[] = [];
  const verdicts: KeyVerdict[] = [];
  const push = (entry: PanelDiff['keys'][number], planned: Action | null): void => {
    // A fix the panel keeps undoing is not re-applied: the key needs a human (back off for the window).
    const isStuck = planned !== null && isFixNotSticking(planned, entry.desired.key);
    const action = isStuck ? null : planned;
    const drift: ReadonlyArray<DriftKind> = isStuck ? [...entry.drift, 'fix-not-sticking'] : entry.drift;
    if (action !== null) {
      actions.push(action);
    }
    verdicts.push({
      desired: entry.desired,
      observed: entry.observed,
      drift,
      action,
      hold: null,
      status: statusOf(drift, action, null),
      notices: action === null ? NO_NOTICES : noticesFor(entry.desired, action, panelName),
    });
  };
  const baseOf = (desired: DesiredKey): Omit<ActionBase, 'fields'> => ({
    panelId: diff.panelId,
    keyId: desired.key.keyId,
    userId: desired.key.userId,
    email: desired.key.email,
    inboundId: desired.key.inboundId,
    reason: desired.reason,
  });
  for (const entry of diff.keys) {
    const { desired, observed } = entry;
    const key = desired.key;
    if (observed === null) {
      if (desired.kind === 'enabled' && entry.inbound !== null) {
        push(entry, {
          ...baseOf(desired),
          kind: 'create',
          fields: desired.fields,
          before: null,
          identity: {
            uuid: key.clientUuid,
            secret: key.secret,
            subId: key.subId,
            tgId: key.telegramId,
            protocol: entry.inbound.protocol,
          },
          isFlagOnly: false,
        });
      } else {
        push(entry, null);
      }
      continue;
    }
    if (!entry.drift.some((kind) => FIXABLE.has(kind))) {
      push(entry, null);
      continue;
    }
    const before = managedFieldsOf(observed);
    if (desired.kind === 'enabled') {
      const wasServed = observed.isClientEnabled && observed.isTrafficEnabled;
      push(entry, {
        ...baseOf(desired),
        kind: wasServed ? 'update' : 'enable',
        fields: desired.fields,
        before,
        isFlagOnly: false,
      });
      continue;
    }
    // Disabling keeps the client's other fields as they are and clears auto-renew.
    const fields: ClientFields = { ...before, enable: false, resetDays: 0 };
    push(entry, {
      ...baseOf(desired),
      kind: observed.isClientEnabled ? 'disable' : 'update',
      fields,
      before,
      // A client the panel would renew on its own needs a full write that pins it (not a bulk flag).
      isFlagOnly: observed.resetDays === 0 && !observed.hasPanelRenewal,
    });
  }
  return {
    kind: 'planned',
    panelId: diff.panelId,
    diff,
    actions,
    held: [],
    releasedFingerprint: null,
    verdicts,
  };
}

/** Brings a planned panel's verdicts in line with its actions and held actions. */
function refreshVerdicts(plan: PanelPlan & { readonly kind: 'planned' }): PanelPlan {
  const actions = new Set(plan.actions);
  const holds = new Map(plan.held.map((entry) => [entry.action, entry.cause]));
  return {
    ...plan,
    verdicts: plan.verdicts.map((verdict): KeyVerdict => {
      const planned = verdict.action ?? verdict.hold?.action ?? null;
      if (planned === null) {
        return verdict;
      }
      const cause = holds.get(planned);
      const action = actions.has(planned) ? planned : null;
      const hold = cause === undefined ? null : { action: planned, cause };
      return { ...verdict, action, hold, status: statusOf(verdict.drift, action, hold) };
    }),
  };
}

/** The largest number of disables the valve lets through for `enabledCount` enabled keys. */
export function valveLimit(enabledCount: number, policy: ReconcilePolicy): number {
  return Math.max(policy.valveMin, Math.floor((enabledCount * policy.valvePercent) / 100));
}

const isDisable = (action: Action): boolean => action.kind === 'disable';

function holdDisables(plan: PanelPlan, cause: HoldCause): PanelPlan {
  if (plan.kind === 'unknown') {
    return plan;
  }
  const held = plan.actions.filter(isDisable).map((action) => ({ action, cause }));
  return refreshVerdicts({
    ...plan,
    actions: plan.actions.filter((action) => !isDisable(action)),
    held: [...plan.held, ...held],
  });
}

/**
 * The safety valve (DESIGN.md §5) over a sliding window (KEYWARDEN_VALVE_WINDOW). Per panel, then
 * globally, this pass's disables are held when, added to the disables already applied within the
 * window, they exceed `valveLimit` of the keys enabled at the window's start (enabled now + disabled
 * in the window). So refunds arriving one notification at a time are counted together, while a lone
 * expiry or ordinary churn goes through. Per panel they are also held when no key of the panel should
 * stay enabled while the panel serves more than one and more than one would be disabled. Enables,
 * creates and updates are never held.
 *
 * A targeted pass (a batch of users, `window.outsideBatch`) is judged against its whole panel: the
 * panel's other keys count with what was last recorded of them. A batch cannot see the disables of
 * the panel's other keys still pending, so when it would leave nothing enabled it holds even a lone
 * disable; the controller then hands it to a panel pass, which counts them all.
 */
export function applySafetyValve(
  plans: ReadonlyArray<PanelPlan>,
  policy: ReconcilePolicy,
  window?: ValveWindow,
): PanelPlan[] {
  const recentOf = (panelId: PanelId): number => window?.disablesByPanel.get(panelId) ?? 0;
  // The panel's enabled keys: those read now, plus, for a batch, the rest of the panel as recorded.
  const enabledOf = (plan: PanelPlan & { readonly kind: 'planned' }): number =>
    plan.diff.enabledCount + (window?.outsideBatch?.get(plan.panelId)?.enabled ?? 0);
  const perPanel = plans.map((plan) => {
    if (plan.kind === 'unknown') {
      return plan;
    }
    const disables = plan.actions.filter(isDisable).length;
    if (disables === 0) {
      return plan;
    }
    const recent = recentOf(plan.panelId);
    const outside = window?.outsideBatch?.get(plan.panelId);
    if (disables + recent > valveLimit(enabledOf(plan) + recent, policy)) {
      return holdDisables(plan, 'valve-panel');
    }
    const anyEnabledDesired =
      (outside?.desiredEnabled ?? 0) > 0 || plan.diff.keys.some((entry) => entry.desired.kind === 'enabled');
    if (!anyEnabledDesired && enabledOf(plan) > 1 && disables > (outside === undefined ? 1 : 0)) {
      return holdDisables(plan, 'valve-empty-desired');
    }
    return plan;
  });
  let enabled = 0;
  let disables = 0;
  const inPass = new Set<PanelId>();
  for (const plan of perPanel) {
    inPass.add(plan.panelId);
    if (plan.kind === 'planned') {
      enabled += enabledOf(plan);
      disables += plan.actions.filter(isDisable).length;
    }
  }
  // Panels outside this pass count with what was last recorded of them.
  for (const [panelId, count] of window?.enabledByPanel ?? []) {
    if (!inPass.has(panelId)) {
      enabled += count;
    }
  }
  let recentGlobal = 0;
  for (const count of window?.disablesByPanel.values() ?? []) {
    recentGlobal += count;
  }
  if (disables > 0 && disables + recentGlobal > valveLimit(enabled + recentGlobal, policy)) {
    return perPanel.map((plan) => holdDisables(plan, 'valve-global'));
  }
  return perPanel;
}

/**
 * A stable fingerprint of held actions (FNV-1a over the sorted `keyId:kind` list), so an admin can
 * confirm exactly the plan they saw: a different set of held actions gets a different fingerprint.
 */
export function fingerprintHeld(held: ReadonlyArray<HeldAction>): string {
  const text = held
    .map((entry) => `${entry.action.panelId}:${entry.action.keyId}:${entry.action.kind}`)
    .sort()
    .join(',');
  return fingerprintText(text);
}

/** Removes from `plan.held` the disables an admin confirmed (their fingerprint matches) and runs them. */
export function releaseConfirmed(plan: PanelPlan, confirmedFingerprints: ReadonlySet<string>): PanelPlan {
  if (plan.kind === 'unknown' || plan.held.length === 0 || confirmedFingerprints.size === 0) {
    return plan;
  }
  const fingerprint = fingerprintHeld(plan.held);
  if (!confirmedFingerprints.has(fingerprint)) {
    return plan;
  }
  return refreshVerdicts({
    ...plan,
    actions: [...plan.actions, ...plan.held.map((entry) => entry.action)],
    held: [],
    releasedFingerprint: fingerprint,
  });
}

/** A short label of an action for tables and logs. */
export function describeAction(action: Action): string {
  switch (action.kind) {
    case 'create':
      return `create ${action.email} (enabled)`;
    case 'enable':
      return `enable ${action.email}`;
    case 'disable':
      return `disable ${action.email}`;
    case 'update':
      return `update ${action.email}`;
    default:
      return assertNever(action, 'action');
  }
}
