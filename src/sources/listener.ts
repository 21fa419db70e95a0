/**
 * The NOTIFY listener: a dedicated connection (pg-listen) on channel `keywarden`.
 *
 * - Retries forever: `retryTimeout: 0` disables pg-listen's give-up timer, `retryLimit` stays
 *   unlimited, and the delay between attempts is a capped exponential backoff. The first connect is
 *   retried here too (pg-listen only retries after a connection was lost).
 * - The payload parse is ours and never throws, so pg-listen never turns a notification into an
 *   `error` event and drops it.
 * - `onConnected` fires after every connect and reconnect: notifications sent while the connection
 *   was down are lost, so the daemon answers with a full pass.
 * - `error` events are logged, never thrown: the process does not crash when the DB goes away.
 */
import pgListen, { type Subscriber } from 'pg-listen';
import { sleep, toError, type Logger } from '../shared/index.ts';
import { parseNotification, type Notification } from './notification.ts';

// pg-listen is CommonJS with `exports.default`; under nodenext the default import is module.exports.
const createPostgresSubscriber = pgListen.default;

/** The channel every keywarden trigger notifies on. */
export const CHANNEL = 'keywarden';

/** Options of the listener. */
export interface ListenerOptions {
  readonly connectionString: string;
  readonly logger: Logger;
  readonly onNotification: (notification: Notification) => void;
  /** After every (re)connect, once LISTEN is in place. */
  readonly onConnected: () => void;
  readonly onDisconnected?: () => void;
  /** Longest delay between reconnect attempts, ms. Default 10 s. */
  readonly maxRetryDelayMs?: number;
  /** Interval of pg-listen's liveness query, ms. Default 5 s. */
  readonly checkIntervalMs?: number;
}

/** A running listener. */
export interface Listener {
  readonly isConnected: boolean;
  close(): Promise<void>;
}

/** Starts the listener in the background; it keeps trying to connect until closed. */
export function startListener(options: ListenerOptions): Listener {
  const log = options.logger;
  const maxDelay = options.maxRetryDelayMs ?? 10_000;
  const retryDelay = (attempt: number): number => Math.min(maxDelay, 250 * 2 ** Math.min(attempt, 10));
  const stopping = new AbortController();
  const isStopping = (): boolean => stopping.signal.aborted;
  let subscriber: Subscriber | undefined;
  let isConnected = false;

  const setConnected = (connected: boolean): void => {
    if (isConnected !== connected) {
      isConnected = connected;
      if (!connected) {
        options.onDisconnected?.();
      }
    }
  };

  function create(): Subscriber {
    const created = createPostgresSubscriber(
      { connectionString: options.connectionString, application_name: 'keywarden-listener' },
      {
        retryTimeout: 0,
        retryInterval: retryDelay,
        paranoidChecking: options.checkIntervalMs ?? 5_000,
        // Our parse keeps the raw text; pg-listen's default JSON.parse would drop a bad payload.
        parse: (serialized: string): unknown => serialized,
      },
    );
    created.events.on('notification', (message) => {
      if (message.channel !== CHANNEL) {
        return;
      }
      const payload: unknown = message.payload;
      options.onNotification(parseNotification(typeof payload === 'string' ? payload : undefined));
    });
    created.events.on('connected', () => {
      setConnected(true);
      log.info({ channel: CHANNEL }, 'listener connected');
      options.onConnected();
    });
    created.events.on('reconnect', (attempt) => {
      setConnected(false);
      log.warn({ attempt }, 'listener reconnecting');
    });
    created.events.on('error', (error) => {
      setConnected(false);
      log.error({ err: toError(error) }, 'listener error; reconnecting');
    });
    return created;
  }

  async function connectLoop(): Promise<void> {
    for (let attempt = 0; !stopping.signal.aborted; attempt += 1) {
      const candidate = create();
      try {
        await candidate.connect();
        await candidate.listenTo(CHANNEL);
        if (isStopping()) {
          await candidate.close();
          return;
        }
        subscriber = candidate;
        // pg-listen emitted `connected` before LISTEN was in place; say it again now that it is.
        options.onConnected();
        return;
      } catch (error) {
        setConnected(false);
        log.warn({ err: toError(error), attempt }, 'listener could not connect; retrying');
        await candidate.close().catch(() => {
          // The connection never opened; there is nothing to close.
        });
        await sleep(retryDelay(attempt), stopping.signal);
      }
    }
  }

  const connecting = connectLoop();

  return {
    get isConnected() {
      return isConnected;
    },
    async close() {
      stopping.abort();
      await connecting;
      setConnected(false);
      await subscriber?.close();
    },
  };
}
