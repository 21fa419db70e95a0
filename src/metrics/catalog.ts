/**
 * Every keywarden_* metric, declared once: name, type, help, labels (and buckets for histograms).
 * src/metrics registers exactly these; the Grafana dashboard and the alert rules may use only these
 * (a test checks both directions). Labels are bounded: never a user or key id (STYLE.md §2).
 */

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricDefinition {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly labels: readonly string[];
  readonly buckets?: readonly number[];
}

const LAG_BUCKETS = [0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900] as const;
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;

export const METRICS = {
  reconcileRuns: {
    name: 'keywarden_reconcile_runs_total',
    type: 'counter',
    help: 'Reconcile requests processed, by what triggered them and how they ended.',
    labels: ['trigger', 'outcome'],
  },
  reconcileDuration: {
    name: 'keywarden_reconcile_duration_seconds',
    type: 'histogram',
    help: 'Duration of one reconcile request (read, plan, apply).',
    labels: ['trigger'],
    buckets: DURATION_BUCKETS,
  },
  keys: {
    name: 'keywarden_keys',
    type: 'gauge',
    help: 'Keys by panel, desired state and reason, as of the last full pass.',
    labels: ['panel', 'desired', 'reason'],
  },
  drift: {
    name: 'keywarden_drift',
    type: 'gauge',
    help: 'Differences between desired and observed state left after the last full pass and its fixes, by kind.',
    labels: ['panel', 'kind'],
  },
  actions: {
    name: 'keywarden_actions_total',
    type: 'counter',
    help: 'Actions applied to panels (or held), by action and outcome.',
    labels: ['panel', 'action', 'outcome'],
  },
  panelUp: {
    name: 'keywarden_panel_up',
    type: 'gauge',
    help: '1 when the last read of the panel succeeded, else 0.',
    labels: ['panel'],
  },
  panelRequestDuration: {
    name: 'keywarden_panel_request_duration_seconds',
    type: 'histogram',
    help: 'Duration of HTTP calls to 3x-ui panels, by operation and outcome.',
    labels: ['panel', 'op', 'outcome'],
    buckets: DURATION_BUCKETS,
  },
  lastFullSync: {
    name: 'keywarden_last_full_sync_timestamp_seconds',
    type: 'gauge',
    help: 'Unix time of the last successful full pass over the panel.',
    labels: ['panel'],
  },
  valveHeld: {
    name: 'keywarden_valve_held',
    type: 'gauge',
    help: 'Disables currently held by the safety valve, per panel (panel="*" for the global valve).',
    labels: ['panel'],
  },
  queueDepth: {
    name: 'keywarden_queue_depth',
    type: 'gauge',
    help: 'Reconcile requests waiting in the work queue.',
    labels: [],
  },
  panelOwned: {
    name: 'keywarden_panel_owned',
    type: 'gauge',
    help: '1 when this replica holds the panel lock and may write to the panel, else 0.',
    labels: ['panel'],
  },
  notifications: {
    name: 'keywarden_notifications_total',
    type: 'counter',
    help: 'PostgreSQL notifications received on the keywarden channel.',
    labels: [],
  },
  nextBoundary: {
    name: 'keywarden_next_boundary_timestamp_seconds',
    type: 'gauge',
    help: 'Unix time of the next moment any entitlement changes (the expiry timer is armed for it).',
    labels: [],
  },
  expiryLag: {
    name: 'keywarden_expiry_lag_seconds',
    type: 'histogram',
    help: 'Time from the end of entitlement to the confirmed disable of the key on its panel.',
    labels: [],
    buckets: LAG_BUCKETS,
  },
  activationLag: {
    name: 'keywarden_activation_lag_seconds',
    type: 'histogram',
    help: 'Time from the commit of a period (or key) to the confirmed enable of the key on its panel.',
    labels: [],
    buckets: LAG_BUCKETS,
  },
  listenerConnected: {
    name: 'keywarden_listener_connected',
    type: 'gauge',
    help: '1 while the NOTIFY listener is connected to PostgreSQL.',
    labels: [],
  },
  listenerProbeFailures: {
    name: 'keywarden_listener_probe_failures_total',
    type: 'counter',
    help: 'Liveness probes of the NOTIFY listener that did not come back in time (each one reconnects the listener).',
    labels: [],
  },
  panelClockOffset: {
    name: 'keywarden_panel_clock_offset_seconds',
    type: 'gauge',
    help: "The panel's clock minus keywarden's, estimated from its HTTP Date headers (positive: the panel is ahead).",
    labels: ['panel'],
  },
  keysNeedsHuman: {
    name: 'keywarden_keys_needs_human',
    type: 'gauge',
    help: 'Keys that need a human (drift keywarden will not or cannot fix), by panel and drift kind, as of the last full pass.',
    labels: ['panel', 'kind'],
  },
  writeTimeouts: {
    name: 'keywarden_write_timeouts_total',
    type: 'counter',
    help: 'Writes to a panel that timed out (each quarantines its inbound until a read shows the outcome or KEYWARDEN_WRITE_QUIET passes).',
    labels: ['panel'],
  },
  panelLoginsWithheld: {
    name: 'keywarden_panel_logins_withheld_total',
    type: 'counter',
    help: "Logins to a panel that keywarden did not try: after refused logins the shared back-off holds them so 3x-ui's lockout (5 refusals in 5 min) never trips; also when the shared login state could not be read.",
    labels: ['panel'],
  },
  payments: {
    name: 'keywarden_payments_total',
    type: 'counter',
    help: 'Payment events handled, by provider and outcome (granted, late, duplicate, mismatch, refunded, ignored, rejected).',
    labels: ['provider', 'outcome'],
  },
  webhookRequests: {
    name: 'keywarden_webhook_requests_total',
    type: 'counter',
    help: 'HTTP requests to the payment webhook server, by provider and status code class.',
    labels: ['provider', 'status'],
  },
  panelVersionUntested: {
    name: 'keywarden_panel_version_untested',
    type: 'gauge',
    help: '1 when the panel reports a 3x-ui version outside the tested range (v2.8.0–v3.6.0 and main at 02002dc1; any other dev build counts as outside), else 0.',
    labels: ['panel'],
  },
  outboxMessages: {
    name: 'keywarden_outbox_messages_total',
    type: 'counter',
    help: 'Bot outbox deliveries, by message kind and outcome (sent, retry, undeliverable).',
    labels: ['kind', 'outcome'],
  },
  subscriptionFetches: {
    name: 'keywarden_subscription_fetches_total',
    type: 'counter',
    help: 'Requests to the subscription URL server, by format (base64, mihomo, sing-box, html, none) and outcome (ok, placeholder, device-limit, not-found, rate-limited, bad-request, error).',
    labels: ['format', 'outcome'],
  },
} as const satisfies Record<string, MetricDefinition>;

/** Every metric name keywarden exports (process metrics from prom-client's defaults come on top). */
export const METRIC_NAMES: readonly string[] = Object.values(METRICS).map((metric) => metric.name);
