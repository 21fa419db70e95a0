/**
 * `keywarden demo`: a first look at keywarden with nothing installed. It starts an embedded
 * PostgreSQL, two simulated 3x-ui panels (one per API generation), seeds plans, users, periods and
 * keys, runs the whole daemon, and plays a short script while narrating what keywarden does:
 *
 *   T+0   keys are created on both panels (one user without a subscription gets a disabled key)
 *   T+25  bob's period ends: his key is suspended at the boundary (expiry timer, no polling)
 *   T+30  carol renews through a signed payment webhook before her period ends: no interruption
 *   T+35  bob pays through the webhook: his suspended key is reactivated within a second (NOTIFY)
 *   T+45  dave, who never had a subscription, pays: his client is created on the panel
 *   T+50  the G1 panel goes down for 25 s; erin's trial ends at T+60 meanwhile: keywarden holds
 *         (fail-open) and disables her key once the panel is back
 *   T+90  a summary of every key; the daemon keeps running until Ctrl-C
 *
 * Everything lives in temporary directories and in memory; Ctrl-C removes it all.
 */
import type pg from 'pg';
import { startApp, type App } from '../app.ts';
import type { Config } from '../config/index.ts';
import {
  addPanel,
  createPool,
  grantPeriod,
  issueKey,
  migrateDatabase,
  startEmbeddedPostgres,
  upsertPlan,
  upsertTelegramUser,
  type EmbeddedPostgres,
} from '../db/index.ts';
import { asInboundId, encodeOrderReference, type PanelId, type UserId } from '../domain/index.ts';
import { sleep, toError, type Logger } from '../shared/index.ts';
import { signGenericWebhook } from '../webhooks/index.ts';
import { startSimulatedPanel, type SimulatedPanel } from '../xui/simulator/index.ts';

/** A running demo. */
export interface Demo {
  readonly metricsUrl: string | undefined;
  /** The embedded database, for a look with psql while the demo runs. */
  readonly databaseUrl: string;
  /** Resolves when the script has played to the end (the daemon keeps running). */
  readonly scriptDone: Promise<void>;
  /** Stops the daemon, the panels and the database, and removes their data. Idempotent. */
  readonly close: () => Promise<void>;
}

/** The demo's settings on top of the environment's: fast resyncs, a webhook secret, readable logs. */
export const DEMO_ENVIRONMENT: Readonly<Record<string, string>> = {
  KEYWARDEN_RESYNC_INTERVAL: '30s',
  KEYWARDEN_HTTP_HOST: '127.0.0.1',
  KEYWARDEN_WEBHOOK_PORT: '0',
  KEYWARDEN_WEBHOOK_HOST: '127.0.0.1',
  KEYWARDEN_WEBHOOK_SECRET: 'demo-webhook-secret',
  KEYWARDEN_LOG_FORMAT: 'pretty',
  KEYWARDEN_PANEL_TIMEOUT: '2s',
};

const SECOND = 1_000;

interface Cast {
  readonly name: string;
  readonly telegramId: number;
  userId?: UserId;
}

/** Starts the demo. `timeScale` < 1 plays the script faster (tests use it). */
export async function startDemo(options: {
  readonly config: Config;
  readonly logger: Logger;
  readonly timeScale?: number;
}): Promise<Demo> {
  const { config } = options;
  const log = options.logger.child({ component: 'demo' });
  const scale = options.timeScale ?? 1;
  const at = (seconds: number): number => seconds * SECOND * scale;
  const script = new AbortController();
  const closers: Array<() => Promise<void>> = [];
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) {
      return;
    }
    closed = true;
    script.abort();
    // Reverse start order; every closer runs, the first failure is reported.
    let first: unknown;
    for (const closer of closers.reverse()) {
      await closer().catch((error: unknown) => {
        first ??= error;
      });
    }
    if (first !== undefined) {
      throw toError(first);
    }
  };

  try {
    log.info('starting an embedded PostgreSQL');
    const database: EmbeddedPostgres = await startEmbeddedPostgres();
    closers.push(database.stop);
    await migrateDatabase(database.url);
    log.info({ url: database.url }, 'embedded PostgreSQL ready (psql works on this URL while the demo runs)');
    const pool = createPool({ connectionString: database.url, max: config.databasePoolSize }, (error) => {
      log.warn({ err: error }, 'database connection error');
    });
    closers.push(() => pool.end());

    const modern = await startSimulatedPanel({
      generation: 'g2',
      webBasePath: '/demo-v3/',
      token: 'demo-token',
    });
    closers.push(() => modern.close());
    const legacy = await startSimulatedPanel({
      generation: 'g1',
      webBasePath: '/demo-v2/',
      username: 'admin',
      password: 'admin',
    });
    closers.push(() => legacy.close());
    const vless = modern.addInbound({ protocol: 'vless', port: 443, remark: 'de-vless-reality' });
    const vmess = legacy.addInbound({ protocol: 'vmess', port: 8080, remark: 'us-vmess-ws' });
    const modernId = await addPanel(pool, {
      name: 'de-1',
      baseUrl: modern.url,
      auth: { kind: 'token', token: 'demo-token' },
      publicHost: 'de-1.vpn.example',
    });
    const legacyId = await addPanel(pool, {
      name: 'us-1',
      baseUrl: legacy.url,
      auth: { kind: 'password', username: 'admin', password: 'admin' },
      publicHost: 'us-1.vpn.example',
    });
    log.info(
      { g2: modern.url, g1: legacy.url },
      'two simulated 3x-ui panels: de-1 speaks the v3 API (G2), us-1 the v2 API (G1)',
    );

    const cast = await seed(pool, log, { modernId, legacyId, vless, vmess }, at);

    const app: App = await startApp({
      pool,
      databaseUrl: database.url,
      config,
      logger: options.logger,
      signal: script.signal,
    });
    closers.push(() => app.close());
    log.info(
      { metrics: app.httpUrl === undefined ? undefined : `${app.httpUrl}metrics` },
      'keywarden is running',
    );

    const narrator = narrate(pool, log, script.signal);
    const scriptDone = play({ pool, log, cast, legacy, app, at, signal: script.signal }).catch(
      (error: unknown) => {
        if (!script.signal.aborted) {
          log.error({ err: toError(error) }, 'the demo script failed');
        }
      },
    );
    closers.push(async () => {
      await narrator;
      await scriptDone;
    });
    return {
      metricsUrl: app.httpUrl === undefined ? undefined : `${app.httpUrl}metrics`,
      databaseUrl: database.url,
      scriptDone,
      close,
    };
  } catch (error) {
    await close().catch(() => {
      // The start-up error is the one worth reporting.
    });
    throw error;
  }
}

async function seed(
  pool: pg.Pool,
  log: Logger,
  panels: { modernId: PanelId; legacyId: PanelId; vless: number; vmess: number },
  at: (seconds: number) => number,
): Promise<Map<string, Cast>> {
  await upsertPlan(pool, {
    code: 'month',
    title: '30 days, 100 GB',
    durationDays: 30,
    price: '299.00',
    currency: 'RUB',
    prices: { XTR: '250' },
    trafficLimitBytes: 100 * 1024 ** 3,
    maxKeys: 2,
  });
  const people: Array<[string, number]> = [
    ['alice', 700_001],
    ['bob', 700_002],
    ['carol', 700_003],
    ['dave', 700_004],
    ['erin', 700_005],
    ['frank', 700_006],
  ];
  const cast = new Map<string, Cast>();
  for (const [name, telegramId] of people) {
    const { user } = await upsertTelegramUser(pool, { telegramId, username: name, language: 'en' });
    cast.set(name, { name, telegramId, userId: user.id });
  }
  const id = (name: string): UserId => {
    const userId = cast.get(name)?.userId;
    if (userId === undefined) {
      throw new Error(`demo user ${name} was not seeded`);
    }
    return userId;
  };
  const month = 30 * 86_400_000;
  await grantPeriod(pool, { userId: id('alice'), source: 'admin', durationMs: month });
  await grantPeriod(pool, { userId: id('bob'), source: 'admin', durationMs: at(25) });
  await grantPeriod(pool, { userId: id('carol'), source: 'admin', durationMs: at(40) });
  await pool.query(
    `insert into subscription_periods (user_id, source, starts_at, ends_at)
     values ($1, 'admin', now() - interval '40 days', now() - interval '10 days')`,
    [id('dave')],
  );
  await grantPeriod(pool, { userId: id('erin'), source: 'trial', durationMs: at(60) });
  await grantPeriod(pool, { userId: id('frank'), source: 'promo', durationMs: month });
  const placement: Record<string, [PanelId, number]> = {
    alice: [panels.modernId, panels.vless],
    bob: [panels.modernId, panels.vless],
    carol: [panels.modernId, panels.vless],
    dave: [panels.modernId, panels.vless],
    erin: [panels.legacyId, panels.vmess],
    frank: [panels.legacyId, panels.vmess],
  };
  for (const [name, [panelId, inboundId]] of Object.entries(placement)) {
    const issued = await issueKey(pool, {
      userId: id(name),
      panelId,
      inboundId: asInboundId(inboundId),
      enforceLimit: false,
    });
    if (issued.kind !== 'issued') {
      throw new Error(`could not issue the demo key of ${name}: ${issued.kind}`);
    }
  }
  log.info(
    {
      active: ['alice', 'frank'],
      endsSoon: { bob: '25s', carol: '40s (renews at 30s)', erin: 'trial, 60s' },
      noSubscription: ['dave'],
    },
    'seeded 6 users with a key each',
  );
  return cast;
}

/** Posts a signed payment to the generic webhook, as a shop would. */
async function pay(app: App, cast: Cast, paymentId: string): Promise<string> {
  if (app.webhookUrl === undefined || cast.userId === undefined) {
    throw new Error('the webhook server is not running');
  }
  const body = JSON.stringify({
    event: 'payment.succeeded',
    payment_id: paymentId,
    reference: encodeOrderReference({ userId: cast.userId, planCode: 'month' }),
    amount: '299.00',
    currency: 'RUB',
  });
  const timestamp = Math.floor(Date.now() / 1000);
  const response = await fetch(new URL('webhooks/generic', app.webhookUrl), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-keywarden-timestamp': String(timestamp),
      'x-keywarden-signature': signGenericWebhook(
        DEMO_ENVIRONMENT['KEYWARDEN_WEBHOOK_SECRET'] ?? '',
        timestamp,
        body,
      ),
    },
    body,
  });
  return `${String(response.status)} ${await response.text()}`;
}

async function play(options: {
  pool: pg.Pool;
  log: Logger;
  cast: Map<string, Cast>;
  legacy: SimulatedPanel;
  app: App;
  at: (seconds: number) => number;
  signal: AbortSignal;
}): Promise<void> {
  const { log, cast, legacy, app, at, signal } = options;
  const started = Date.now();
  const until = async (seconds: number): Promise<boolean> => {
    await sleep(started + at(seconds) - Date.now(), signal);
    return !signal.aborted;
  };
  const member = (name: string): Cast => {
    const found = cast.get(name);
    if (!found) {
      throw new Error(`unknown demo user ${name}`);
    }
    return found;
  };

  if (!(await until(20))) {
    return;
  }
  log.info('▸ bob’s subscription ends in 5 s: watch his key get suspended at the boundary');
  if (!(await until(30))) {
    return;
  }
  log.info(
    { answer: await pay(app, member('carol'), 'demo-carol-renewal') },
    '▸ carol renews through the payment webhook, 10 s before her period ends',
  );
  if (!(await until(35))) {
    return;
  }
  log.info(
    { answer: await pay(app, member('bob'), 'demo-bob-renewal') },
    '▸ bob pays again through the payment webhook: his suspended key comes back',
  );
  if (!(await until(45))) {
    return;
  }
  log.info(
    { answer: await pay(app, member('dave'), 'demo-dave-1') },
    '▸ dave, who never had a subscription, pays through the payment webhook: his key is created',
  );
  if (!(await until(50))) {
    return;
  }
  await legacy.setFault({ kind: 'down', mode: 'refuse' });
  log.warn(
    '▸ panel us-1 goes down for 25 s; erin’s trial ends meanwhile. keywarden cannot read us-1, so it holds and retries instead of guessing',
  );
  if (!(await until(75))) {
    return;
  }
  await legacy.clearFault();
  log.info('▸ panel us-1 is back: keywarden reads it again and suspends erin’s key');
  if (!(await until(90))) {
    return;
  }
  const { rows } = await options.pool.query<{
    email: string;
    username: string;
    panel: string;
    desired: string;
    reason: string;
    converged: boolean;
  }>(
    `select k.email, u.username, p.name as panel, s.desired ->> 'kind' as desired, s.desired ->> 'reason' as reason, s.converged
     from vpn_keys k join users u on u.id = k.user_id join panels p on p.id = k.panel_id
     left join key_state s on s.key_id = k.id order by k.id`,
  );
  for (const row of rows) {
    log.info(
      {
        key: row.email,
        user: row.username,
        panel: row.panel,
        desired: row.desired,
        reason: row.reason,
        converged: row.converged,
      },
      '▸ summary',
    );
  }
  log.info(
    { metrics: app.httpUrl === undefined ? undefined : `${app.httpUrl}metrics` },
    '▸ the script is done; keywarden keeps reconciling. Try `curl` on the metrics URL, then Ctrl-C to stop and clean up',
  );
}

/** Prints every reconcile event as one readable line while the demo runs. */
async function narrate(pool: pg.Pool, log: Logger, signal: AbortSignal): Promise<void> {
  let lastId = '0';
  // A function, not the property: the compiler would otherwise assume it cannot change in the loop.
  const stopped = (): boolean => signal.aborted;
  while (!stopped()) {
    await sleep(500, signal);
    if (stopped()) {
      return;
    }
    try {
      const { rows } = await pool.query<{
        id: string;
        email: string | null;
        username: string | null;
        panel: string | null;
        action: string;
        reason: string;
        outcome: string;
        error: string | null;
      }>(
        `select e.id, k.email, u.username, p.name as panel, e.action, e.reason, e.outcome, e.error
         from reconcile_events e left join vpn_keys k on k.id = e.key_id left join users u on u.id = k.user_id
         left join panels p on p.id = e.panel_id
         where e.id > $1 order by e.id limit 200`,
        [lastId],
      );
      for (const row of rows) {
        lastId = row.id;
        log.info(
          {
            panel: row.panel,
            key: row.email,
            user: row.username,
            reason: row.reason,
            outcome: row.outcome,
            ...(row.error === null ? {} : { error: row.error }),
          },
          `◆ ${row.action}`,
        );
      }
    } catch (error) {
      if (!stopped()) {
        log.warn({ err: toError(error) }, 'reading reconcile events failed');
      }
    }
  }
}
