/**
 * The 3x-ui panel adapter: implements the reconciler's PanelClient port for both API generations
 * (reference/xui-api.md). The simulated panel is src/simulator (tests, bench and the demo only).
 */
export { createPanelClient, createPanelClientFactory, type XuiPanelClient } from './panel-client.ts';
export {
  isTestedPanelVersion,
  TESTED_PANEL_VERSIONS,
  TESTED_RANGE_TEXT,
  versionFromStatus,
} from './version.ts';
export {
  createPanelAgent,
  DEFAULT_LOGIN_BACKOFF,
  type PanelClientOptions,
  type PanelRequestEvent,
} from './http.ts';
export {
  PanelError,
  PanelAuthError,
  PanelRefusedError,
  PanelTimeoutError,
  PanelUnconfirmedError,
  PanelTransportError,
  PanelUnparseableError,
  isPanelError,
  isDuplicateEmailError,
  AUTH_FAILURE_TEXT,
  type PanelErrorKind,
  type PanelErrorContext,
  type AuthFailureReason,
} from './errors.ts';
