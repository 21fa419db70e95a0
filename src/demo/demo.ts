/**
 * `keywarden demo`: a first look at keywarden with nothing installed. It starts an embedded
 * PostgreSQL, two simulated 3x-ui panels (one per API generation), seeds plans, users, periods and
 * keys, runs the whole daemon, and plays a short script while narrating what keywarden does:
 *
 *   T-0   panel us-1 already has an old shop's clients: two are adopted (owners from the old bot's
 *         CSV and from the email pattern), the operator's own client stays as it is
 *   T+0   keys are created on both panels (one user without a subscription gets a disabled key);
 *         the adopted client whose access had ended is disabled (through the safety valve)
 *   T+25  bob's period ends: his key is suspended at the boundary (expiry timer, no polling)
 *   T+30  carol renews through a signed payment webhook before her period ends: no interruption
 *   T+35  bob pays through the webhook: his suspended key is reactivated within a second (NOTIFY)
 *   T+45  dave, who never had a subscription, pays: his client is created on the panel
 *   T+47  frank buys a month by card (a stand-in YooKassa: order, payment, webhook) and saves the card;
 *         autopay then renews him once through a renewal order
 *   T+50  the G1 panel goes down for 25 s; erin's trial ends at T+60 meanwhile: keywarden holds
 *         (fail-open) and disables her key once the panel is back
 *   T+90  a summary of every key; the daemon keeps running until Ctrl-C
 *
 * At the start it prints alice's subscription URL: one address for all her keys, to paste into a
 * VPN app or to open in a browser (issue 15).
 *
 * Everything lives in temporary directories and in memory; Ctrl-C removes it all.
 */
import { startApp, type App } from '../app/index.ts';
import { CONSOLE_LINK_TTL_MS, consoleBaseUrl, consoleLoginUrl, type Config } from '../config/index.ts';
import {
  addPanel,
  createLoginToken,
  createPool,
  subscriptionTokenOf,
  migrateDatabase,
  startEmbeddedPostgres,
  type EmbeddedPostgres,
} from '../db/index.ts';
import { toError, type Logger } from '../shared/index.ts';
import { startSimulatedPanel } from '../simulator/index.ts';
import { startFakeYooKassa } from './fake-yookassa.ts';
import { narrateEvents, playScript } from './script.ts';
import { seedDemo } from './seed.ts';
import { adoptOldShop, seedOldShop } from './adoption.ts';

/** A running demo. */
export interface Demo {
  readonly metricsUrl: string | undefined;
  /** Alice's subscription URL, when the subscription server runs (component `sub`). */
  readonly subscriptionUrl: string | undefined;
  /** The embedded database, for a look with psql while the demo runs. */
  readonly databaseUrl: string;
  /** Resolves when the script has played to the end (the daemon keeps running). */
  readonly scriptDone: Promise<void>;
  /** Stops the daemon, the panels and the database, and removes their data. Idempotent. */
  readonly close: () => Promise<void>;
}

const SECOND = 1_000;

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

    const cast = await seedDemo(pool, log, { modernId, legacyId, vless, vmess }, at);
    seedOldShop(legacy, vmess);
    await adoptOldShop({ pool, config, logger: options.logger, signal: script.signal, panelId: legacyId });

    // A stand-in for YooKassa, so the demo can show a card purchase and an automatic renewal.
    const yookassa = await startFakeYooKassa('demo-shop');
    closers.push(() => yookassa.close());
    const appConfig: Config = Object.freeze({
      ...config,
      yookassaShopId: yookassa.shopId,
      yookassaSecretKey: 'demo-secret-key',
      yookassaApiRoot: yookassa.apiRoot,
      yookassaIpAllowlist: ['127.0.0.1/32', '::1/128'],
    });

    const app: App = await startApp({
      pool,
      databaseUrl: database.url,
      config: appConfig,
      logger: options.logger,
      signal: script.signal,
    });
    closers.push(() => app.close());
    log.info(
      { metrics: app.httpUrl === undefined ? undefined : `${app.httpUrl}metrics` },
      'keywarden is running',
    );
    const [admin] = config.adminTelegramIds;
    if (app.consoleUrl !== undefined && admin !== undefined) {
      const { token } = await createLoginToken(pool, admin, CONSOLE_LINK_TTL_MS);
      log.info(
        { url: consoleLoginUrl(consoleBaseUrl(config, app.consoleUrl), token), admin },
        'web console: open this one-time login link (valid 10 minutes)',
      );
    }

    const alice = cast.get('alice')?.userId;
    let subscriptionUrl: string | undefined;
    if (app.subUrl !== undefined && config.subTokenSecret !== undefined && alice !== undefined) {
      const token = await subscriptionTokenOf(pool, alice, config.subTokenSecret);
      subscriptionUrl = `${config.subPublicUrl ?? app.subUrl}sub/${token}`;
      log.info(
        { url: subscriptionUrl },
        "alice's subscription URL: paste it into a VPN app (Happ, v2rayNG, Clash, sing-box) or open it in a browser",
      );
    }

    const narrator = narrateEvents(pool, log, script.signal);
    const scriptDone = playScript({
      pool,
      log,
      cast,
      legacy,
      app,
      at,
      signal: script.signal,
      yookassa,
    }).catch((error: unknown) => {
      if (!script.signal.aborted) {
        log.error({ err: toError(error) }, 'the demo script failed');
      }
    });
    closers.push(async () => {
      await narrator;
      await scriptDone;
    });
    return {
      metricsUrl: app.httpUrl === undefined ? undefined : `${app.httpUrl}metrics`,
      subscriptionUrl,
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
