/**
 * The sources of reconcile requests: the NOTIFY listener and the mapping from a notification to
 * requests, the expiry timer and the periodic resync. Sources only say what to look at; they read
 * and write nothing themselves.
 */
export { parseNotification, type Notification } from './notification.ts';
export { createRequestRouter, type RequestRouter, type RequestRouterOptions } from './requests.ts';
export { startListener, CHANNEL, type Listener, type ListenerOptions } from './listener.ts';
export { createExpiryTimer, MAX_CHUNK_MS, BOUNDARY_SLACK_MS, type ExpiryTimer } from './expiry-timer.ts';
export { startResyncTicker, type ResyncTicker } from './resync.ts';
