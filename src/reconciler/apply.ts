/**
 * Applying one panel's planned actions through its write queue: one call per action with a read-back
 * that must confirm the change, or one bulk call for flag-only disables at or above the threshold.
 * Ownership is re-checked before every write.
 */
import type PQueue from 'p-queue';
import type {
  Action,
  ActionResult,
  ObservedClient,
  PanelId,
  PanelPlan,
  PanelRecord,
} from '../domain/index.ts';
import { toError } from '../shared/index.ts';
import type { ReconcilerEvents } from './events.ts';
import type { Leadership } from './leadership.ts';
import { isPanelTimeout, isPanelUnconfirmed, type PanelClient } from './ports.ts';
import type { WriteQuarantine } from './write-quarantine.ts';

/** What applying needs (from ControllerOptions and the per-panel resources). */
export interface ApplierOptions {
  readonly leadership: Leadership;
  /** Flag-only disables on one panel at or above this count go through one bulk call. */
  readonly bulkThreshold: number;
  readonly writeQueueFor: (panelId: PanelId) => PQueue;
  /** Inbounds whose last write timed out (see write-quarantine.ts). */
  readonly quarantine: WriteQuarantine;
  /**
   * One write in flight per panel (KEYWARDEN_PANEL_CONCURRENCY=1): an abandoned write then holds
   * back every write to its panel, not only to its inbound.
   */
  readonly isOneWriteAtATime: boolean;
  readonly events?: ReconcilerEvents;
}

/** Applies a planned panel's actions; every action gets a result, failures included. */
export type ApplyPanel = (
  panel: PanelRecord,
  client: PanelClient,
  plan: PanelPlan & { kind: 'planned' },
  signal: AbortSignal,
) => Promise<ActionResult[]>;

function confirms(action: Action, client: ObservedClient | null): boolean {
  return (
    client !== null &&
    client.isClientEnabled === action.fields.enable &&
    client.expiryTimeMs === action.fields.expiryTimeMs &&
    client.totalBytes === action.fields.totalBytes &&
    client.resetDays === action.fields.resetDays &&
    !client.hasPanelRenewal
  );
}

/** Read through a call, so the check after an await is not narrowed away by the one before it. */
const isLost = (ownership: AbortSignal): boolean => ownership.aborted;

const NOT_OWNER = 'not applied: this replica does not own the panel';
const LOST_DURING =
  'not recorded as applied: panel ownership was lost during the write (the new owner re-reads the panel)';

function quarantineMessage(abandoned: Action): string {
  return `write held back: an earlier write (${abandoned.kind} ${abandoned.email}, inbound ${String(abandoned.inboundId)}) timed out and may still land; waiting for a read to show it or for KEYWARDEN_WRITE_QUIET`;
}

/** Creates the applier. */
export function createApplier(options: ApplierOptions): ApplyPanel {
  const { bulkThreshold, writeQueueFor } = options;

  async function applyOne(
    panel: PanelRecord,
    client: PanelClient,
    action: Action,
    signal: AbortSignal,
  ): Promise<ActionResult> {
    const ownership = options.leadership.ownershipSignal(panel.panelId);
    if (ownership.aborted || !options.leadership.isOwned(panel.panelId)) {
      return { action, outcome: 'skipped', error: NOT_OWNER, confirmed: undefined };
    }
    const blocking = options.quarantine.blocking(action, options.isOneWriteAtATime);
    if (blocking !== undefined) {
      return { action, outcome: 'skipped', error: quarantineMessage(blocking.action), confirmed: undefined };
    }
    // Every call of this read-modify-write carries the ownership signal: once the panel is lost, no
    // further request of it is sent (the HTTP layer checks the signal before each one).
    signal = AbortSignal.any([signal, ownership]);
    try {
      let confirmed: ObservedClient | null;
      if (action.kind === 'create') {
        const identity = action.identity;
        await client.createClient(
          {
            ...action.fields,
            email: action.email,
            inboundId: action.inboundId,
            protocol: identity.protocol,
            uuid: identity.uuid,
            secret: identity.secret,
            subId: identity.subId,
            tgId: identity.tgId,
            comment: `keywarden key ${action.keyId}`,
          },
          signal,
        );
        try {
          confirmed = await client.getClient(action.email, signal);
        } catch (error) {
          // The panel accepted the create: it is probably there; the next read decides.
          return isLost(ownership)
            ? { action, outcome: 'skipped', error: LOST_DURING, confirmed: undefined }
            : { action, outcome: 'unconfirmed', error: toError(error).message, confirmed: undefined };
        }
      } else {
        confirmed = await client.updateClient(action.email, action.fields, signal);
      }
      if (isLost(ownership)) {
        // Applied only when ownership held throughout: the new owner re-reads and decides.
        return { action, outcome: 'skipped', error: LOST_DURING, confirmed: undefined };
      }
      return confirms(action, confirmed)
        ? { action, outcome: 'applied', error: null, confirmed }
        : { action, outcome: 'failed', error: 'read-back did not confirm the change', confirmed };
    } catch (error) {
      if (isLost(ownership)) {
        return { action, outcome: 'skipped', error: LOST_DURING, confirmed: undefined };
      }
      if (isPanelUnconfirmed(error)) {
        return { action, outcome: 'unconfirmed', error: toError(error).message, confirmed: undefined };
      }
      noteTimeout(panel, [action], error);
      return { action, outcome: 'failed', error: toError(error).message, confirmed: undefined };
    }
  }

  /** A write that timed out may land later: quarantine its inbound (write-quarantine.ts). */
  function noteTimeout(panel: PanelRecord, actions: ReadonlyArray<Action>, error: unknown): void {
    if (!isPanelTimeout(error)) {
      return;
    }
    for (const action of actions) {
      options.quarantine.recordTimeout(action);
    }
    options.events?.writeTimedOut?.({ panel: panel.name, actions: actions.length });
  }

  async function applyBulkDisable(
    panel: PanelRecord,
    client: PanelClient,
    actions: ReadonlyArray<Action>,
    observed: ReadonlyMap<string, ObservedClient>,
    signal: AbortSignal,
  ): Promise<ActionResult[]> {
    const ownership = options.leadership.ownershipSignal(panel.panelId);
    if (ownership.aborted || !options.leadership.isOwned(panel.panelId)) {
      return actions.map((action) => ({
        action,
        outcome: 'skipped',
        error: NOT_OWNER,
        confirmed: undefined,
      }));
    }
    signal = AbortSignal.any([signal, ownership]);
    const blocking = actions
      .map((action) => options.quarantine.blocking(action, options.isOneWriteAtATime))
      .find((entry) => entry !== undefined);
    if (blocking !== undefined) {
      return actions.map((action) => ({
        action,
        outcome: 'skipped',
        error: quarantineMessage(blocking.action),
        confirmed: undefined,
      }));
    }
    try {
      const result = await client.setEnabled(
        actions.map((action) => action.email),
        false,
        signal,
      );
      if (isLost(ownership)) {
        return actions.map((action) => ({
          action,
          outcome: 'skipped',
          error: LOST_DURING,
          confirmed: undefined,
        }));
      }
      const changed = new Set<string>(result.changed);
      const skipped = new Map<string, string>(result.skipped.map((entry) => [entry.email, entry.reason]));
      return actions.map((action): ActionResult => {
        const before = observed.get(action.email);
        if (changed.has(action.email) && before !== undefined) {
          // The bulk answer names each changed email; that is the panel's confirmation of the change.
          return {
            action,
            outcome: 'applied',
            error: null,
            confirmed: { ...before, isClientEnabled: false, isEffectivelyEnabled: false },
          };
        }
        return {
          action,
          outcome: 'failed',
          error: skipped.get(action.email) ?? 'not reported as changed by the bulk call',
          confirmed: undefined,
        };
      });
    } catch (error) {
      if (isLost(ownership)) {
        return actions.map((action) => ({
          action,
          outcome: 'skipped',
          error: LOST_DURING,
          confirmed: undefined,
        }));
      }
      noteTimeout(panel, actions, error);
      const message = toError(error).message;
      return actions.map((action) => ({ action, outcome: 'failed', error: message, confirmed: undefined }));
    }
  }

  async function applyPanel(
    panel: PanelRecord,
    client: PanelClient,
    plan: PanelPlan & { kind: 'planned' },
    signal: AbortSignal,
  ): Promise<ActionResult[]> {
    const writes = writeQueueFor(panel.panelId);
    const flagOnlyDisables = plan.actions.filter((action) => action.kind === 'disable' && action.isFlagOnly);
    const useBulk = flagOnlyDisables.length >= bulkThreshold;
    const inBulk = new Set(useBulk ? flagOnlyDisables : []);
    const single = plan.actions.filter((action) => !inBulk.has(action));
    const observed = new Map<string, ObservedClient>();
    for (const entry of plan.diff.keys) {
      if (entry.observed !== null) {
        observed.set(entry.observed.email, entry.observed);
      }
    }
    const tasks: Array<Promise<ActionResult[]>> = single.map((action) =>
      writes
        .add(async () => [await applyOne(panel, client, action, signal)], { signal })
        .catch((error: unknown) => [
          { action, outcome: 'failed' as const, error: toError(error).message, confirmed: undefined },
        ]),
    );
    if (useBulk) {
      tasks.push(
        writes
          .add(() => applyBulkDisable(panel, client, flagOnlyDisables, observed, signal), { signal })
          .catch((error: unknown) =>
            flagOnlyDisables.map((action) => ({
              action,
              outcome: 'failed' as const,
              error: toError(error).message,
              confirmed: undefined,
            })),
          ),
      );
    }
    return (await Promise.all(tasks)).flat();
  }

  return applyPanel;
}
