/** Maps the reconciler's events onto the catalog metrics (labels bounded: panel names, kinds). */
import { DESIRED_REASONS, DRIFT_KINDS, NEEDS_HUMAN_KINDS } from '../domain/index.ts';
import type { ReconcilerEvents } from '../reconciler/index.ts';
import type { Metrics } from './registry.ts';

/** Creates the reconciler event listener that updates `metrics`. */
export function reconcilerMetrics(metrics: Metrics): Required<ReconcilerEvents> {
  return {
    runFinished: ({ trigger, outcome, durationSeconds }) => {
      metrics.get('reconcileRuns').inc({ trigger, outcome });
      metrics.get('reconcileDuration').observe({ trigger }, durationSeconds);
    },
    panelRead: ({ panel, up, clockOffsetMs }) => {
      metrics.get('panelUp').set({ panel }, up ? 1 : 0);
      if (clockOffsetMs !== undefined) {
        metrics.get('panelClockOffset').set({ panel }, clockOffsetMs / 1000);
      }
    },
    panelVersion: ({ panel, isTested }) => {
      metrics.get('panelVersionUntested').set({ panel }, isTested === false ? 1 : 0);
    },
    panelRequest: ({ panel, op, outcome, durationSeconds }) => {
      metrics.get('panelRequestDuration').observe({ panel, op, outcome }, durationSeconds);
    },
    panelPlanned: ({ panel, keys, drift, needsHuman, held, syncedAt }) => {
      const needsHumanGauge = metrics.get('keysNeedsHuman');
      for (const kind of NEEDS_HUMAN_KINDS) {
        needsHumanGauge.set({ panel, kind }, needsHuman.get(kind) ?? 0);
      }
      const keyGauge = metrics.get('keys');
      for (const kind of ['enabled', 'disabled'] as const) {
        for (const reason of DESIRED_REASONS) {
          if ((kind === 'enabled') === (reason === 'entitled')) {
            keyGauge.set({ panel, desired: kind, reason }, keys.get(`${kind}:${reason}`) ?? 0);
          }
        }
      }
      const driftGauge = metrics.get('drift');
      for (const kind of DRIFT_KINDS) {
        driftGauge.set({ panel, kind }, drift.get(kind) ?? 0);
      }
      metrics.get('valveHeld').set({ panel }, held);
      metrics.get('lastFullSync').set({ panel }, syncedAt);
    },
    globalHeld: ({ held }) => {
      metrics.get('valveHeld').set({ panel: '*' }, held);
    },
    action: ({ panel, action, outcome }) => {
      metrics.get('actions').inc({ panel, action, outcome });
    },
    expiryLag: ({ seconds }) => {
      metrics.get('expiryLag').observe(seconds);
    },
    activationLag: ({ seconds }) => {
      metrics.get('activationLag').observe(seconds);
    },
    queueDepth: ({ depth }) => {
      metrics.get('queueDepth').set(depth);
    },
    panelOwned: ({ panel, owned }) => {
      metrics.get('panelOwned').set({ panel }, owned ? 1 : 0);
    },
    notification: () => {
      metrics.get('notifications').inc();
    },
    nextBoundary: ({ at }) => {
      metrics.get('nextBoundary').set(at === null ? 0 : at.getTime() / 1000);
    },
    listenerConnected: ({ connected }) => {
      metrics.get('listenerConnected').set(connected ? 1 : 0);
    },
    writeTimedOut: ({ panel, actions }) => {
      metrics.get('writeTimeouts').inc({ panel }, actions);
    },
    listenerProbeFailed: () => {
      metrics.get('listenerProbeFailures').inc();
    },
    panelLoginWithheld: ({ panel }) => {
      metrics.get('panelLoginsWithheld').inc({ panel });
    },
  };
}
