export { readSnapshot, readNextBoundary, PanelAuthParseError } from './snapshot.ts';
export { createPostgresStore } from './store.ts';
export { parseNotification, type Notification } from './notification.ts';
export { startListener, CHANNEL, type Listener, type ListenerOptions } from './listener.ts';
export { createExpiryTimer, MAX_CHUNK_MS, BOUNDARY_SLACK_MS, type ExpiryTimer } from './expiry-timer.ts';
export { startResyncTicker, type ResyncTicker } from './resync.ts';
export {
  startAdvisoryLeadership,
  LOCK_CLASS,
  type AdvisoryLeadership,
  type AdvisoryLeadershipOptions,
} from './leadership.ts';
export { createLoginGuard, nextLoginAt, LOCKOUT_FAILURES, LOCKOUT_WINDOW_MS } from './login-guard.ts';
