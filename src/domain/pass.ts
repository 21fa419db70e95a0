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

/** The result of reading one panel: the observation, or unknown with a cause (never "empty"). */
export type PanelRead =
  | { readonly kind: 'observed'; readonly observation: PanelObservation }
  | { readonly kind: 'unknown'; readonly cause: string };

/**
 * Plans a pass over `panelIds`: every key of those panels in `snapshot` is compared with its panel's
 * read. A panel whose read is missing or unknown gets an `unknown` plan (no actions). Held disables
 * whose fingerprint is in `confirmed` are released.
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
  const plans = panelIds.map((panelId): PanelPlan => {
    const read = reads.get(panelId);
    if (read === undefined) {
      return { kind: 'unknown', panelId, cause: 'not read' };
    }
    if (read.kind === 'unknown') {
      return { kind: 'unknown', panelId, cause: read.cause };
    }
    const { clients, clockOffsetMs } = read.observation;
    const desired = (keysByPanel.get(panelId) ?? []).map((key) => {
      const client = clients.get(key.email);
      return computeDesired(
        key,
        policy,
        client === undefined ? undefined : client.upBytes + client.downBytes,
        clockOffsetMs,
      );
    });
    return planPanel(diffPanel(panelId, desired, read.observation));
  });
  return applySafetyValve(plans, policy).map((plan) => releaseConfirmed(plan, confirmed));
}
