/**
 * The reconciler's PostgreSQL adapter: the snapshot read, the writes of a pass (key_state,
 * reconcile_events, inbounds, outbox, held_plans) and panel leadership through session advisory
 * locks. Implements the reconciler's ReconcileStore and Leadership ports.
 */
export { readSnapshot } from './snapshot.ts';
export { createPostgresStore } from './store.ts';
export {
  startAdvisoryLeadership,
  LOCK_CLASS,
  type AdvisoryLeadership,
  type AdvisoryLeadershipOptions,
} from './leadership.ts';
export {
  createLoginGuard,
  lockoutClearsAt,
  nextLoginAt,
  LOCKOUT_FAILURES,
  LOCKOUT_WINDOW_MS,
} from './login-guard.ts';
