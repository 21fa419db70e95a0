/**
 * One reconcile pass over a set of panels, pure: snapshot + observations → desired → diff → plan →
 * safety valve. The controller (src/reconciler) does the reads and applies the result.
 */
import type { PanelId } from './ids.ts';
import type { PanelObservation } from './observed.ts';
import type { Snapshot, KeyRecord } from './snapshot.ts';
import type { ReconcilePolicy } from './policy.ts';
import { computeDesired } from './desired.ts';
import { diffPanel } from './diff.ts';
import { applySafetyValve, planPanel, releaseConfirmed, type PanelPlan } from './plan.ts';
import type { KeyVerdict } from './verdict.ts';

/** The result of reading one panel: the observation, or unknown with a cause (never "empty"). */
export type PanelRead =
  | {
      readonly kind: 'observed';
      readonly observation: PanelObservation;
      /** The panel's reported version (`server/status`), null when it reports none or was not asked. */
      readonly panelVersion?: string | null;
    }
  | { readonly kind: 'unknown'; readonly cause: string };

/** The verdicts on the keys of a panel that could not be read: desired known, nothing else. */
function unknownVerdicts(keys: ReadonlyArray<KeyRecord>, policy: ReconcilePolicy): KeyVerdict[] {
  return keys.map((key) => ({
    desired: computeDesired(key, policy, undefined),
    observed: undefined,
    drift: [],
    action: null,
    hold: null,
    status: 'unknown',
    notices: [],
  }));
}

/**
 * Plans a pass over `panelIds`: every key of those panels in `snapshot` is compared with its panel's
 * read, and every key gets a verdict. A panel whose read is missing or unknown gets an `unknown`
 * plan (no actions). Held disables whose fingerprint is in `confirmed` are released.
 */
export function planPass(
  snapshot: Snapshot,
  panelIds: ReadonlyArray<PanelId>,
  reads: ReadonlyMap<PanelId, PanelRead>,
  policy: ReconcilePolicy,
  confirmed: ReadonlySet<string> = new Set(),
): PanelPlan[] {
  const keysByPanel = new Map<PanelId, KeyRecord[]>();
  for (const key of snapshot.keys) {
    const list = keysByPanel.get(key.panelId);
    if (list === undefined) {
      keysByPanel.set(key.panelId, [key]);
    } else {
      list.push(key);
    }
  }
  const names = new Map(snapshot.panels.map((panel) => [panel.panelId, panel.name]));
  const plans = panelIds.map((panelId): PanelPlan => {
    const read = reads.get(panelId);
    const keys = keysByPanel.get(panelId) ?? [];
    if (read === undefined || read.kind === 'unknown') {
      const cause = read === undefined ? 'not read' : read.cause;
      return { kind: 'unknown', panelId, cause, verdicts: unknownVerdicts(keys, policy) };
    }
    const { clients, clockOffsetMs } = read.observation;
    const inbounds = new Map(read.observation.inbounds.map((inbound) => [inbound.id, inbound]));
    const desired = keys.map((key) => {
      const client = clients.get(key.email);
      return computeDesired(
        key,
        policy,
        client === undefined ? undefined : client.upBytes + client.downBytes,
        inbounds.get(key.inboundId) ?? null,
        clockOffsetMs,
      );
    });
    return planPanel(diffPanel(panelId, desired, read.observation), names.get(panelId) ?? panelId);
  });
  return applySafetyValve(plans, policy, snapshot.valveWindow).map((plan) =>
    releaseConfirmed(plan, confirmed),
  );
}
