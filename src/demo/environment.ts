/**
 * The demo's settings on top of the environment's: fast resyncs, a webhook secret, readable logs,
 * the subscription URL server on a free port.
 */
export const DEMO_ENVIRONMENT: Readonly<Record<string, string>> = {
  KEYWARDEN_RESYNC_INTERVAL: '30s',
  KEYWARDEN_HTTP_HOST: '127.0.0.1',
  KEYWARDEN_WEBHOOK_PORT: '0',
  KEYWARDEN_WEBHOOK_HOST: '127.0.0.1',
  KEYWARDEN_WEBHOOK_SECRET: 'demo-webhook-secret-not-for-production',
  KEYWARDEN_LOG_FORMAT: 'pretty',
  KEYWARDEN_PANEL_TIMEOUT: '2s',
  KEYWARDEN_COMPONENTS: 'reconciler,bot,webhooks,sub,console',
  KEYWARDEN_SUB_HOST: '127.0.0.1',
  KEYWARDEN_SUB_PORT: '0',
  KEYWARDEN_SUB_TOKEN_SECRET: 'demo-only-subscription-secret-never-use-in-production',
  KEYWARDEN_SUB_TITLE: 'keywarden demo',
  // The web console is on in the demo; the demo prints a login link for the first admin.
  KEYWARDEN_ADMIN_IDS: '1000001',
};
