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
 * - Liveness probe: a stopped or wedged backend keeps the TCP connection open and answers nothing,
 *   so neither pg-listen's check query nor keep-alive notices it. Every `probeIntervalMs` the
 *   listener sends itself a NOTIFY on {@link PROBE_CHANNEL} and waits for it to come back; when it
 *   does not within `probeTimeoutMs`, the connection counts as lost: `onProbeFailed` and
 *   `onDisconnected` fire, the connection is dropped and a fresh one is made (whose `onConnected`
 *   triggers the full pass that catches up on anything missed).
 */
import { randomUUID } from 'node:crypto';
import pgListen, { type Subscriber } from 'pg-listen';
import { sleep, toError, type Logger } from '../shared/index.ts';
import { parseNotification, type Notification } from './notification.ts';

// pg-listen is CommonJS with `exports.default`; under nodenext the default import is module.exports.
const createPostgresSubscriber = pgListen.default;

/** The channel every keywarden trigger notifies on. */
export const CHANNEL = 'keywarden';

/**
 * The channel of the liveness probe. Separate from {@link CHANNEL}, so that other replicas (which
 * listen here too and ignore nonces they did not send) never mistake a probe for a change.
 */
export const PROBE_CHANNEL = 'keywarden_probe';

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
  /** Interval of the self-NOTIFY round trip, ms. Default 5 s. */
  readonly probeIntervalMs?: number;
  /** How long a probe may take before the connection counts as frozen, ms. Default: the interval. */
  readonly probeTimeoutMs?: number;
  /** A probe did not come back in time (the listener reconnects). */
  readonly onProbeFailed?: () => void;
}

/** A running listener. */
export interface Listener {
  /** LISTEN is in place and the last liveness probe (if any) came back in time. */
  readonly isConnected: boolean;
  close(): Promise<void>;
}

/** Starts the listener in the background; it keeps trying to connect until closed. */
export function startListener(options: ListenerOptions): Listener {
  const log = options.logger;
  const maxDelay = options.maxRetryDelayMs ?? 10_000;
  const retryDelay = (attempt: number): number => Math.min(maxDelay, 250 * 2 ** Math.min(attempt, 10));
  const probeIntervalMs = options.probeIntervalMs ?? 5_000;
  const probeTimeoutMs = options.probeTimeoutMs ?? probeIntervalMs;
  const stopping = new AbortController();
  const isStopping = (): boolean => stopping.signal.aborted;
  /** The subscriber whose events count: a dropped one may still emit once its backend wakes up. */
  let current: Subscriber | undefined;
  let subscriber: Subscriber | undefined;
  let isConnected = false;
  let pendingProbe: { readonly nonce: string; readonly arrived: () => void } | undefined;

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
        serialize: (value: unknown): string => String(value),
      },
    );
    created.events.on('notification', (message) => {
      const payload: unknown = message.payload;
      if (message.channel === PROBE_CHANNEL) {
        if (created === current && pendingProbe !== undefined && payload === pendingProbe.nonce) {
          pendingProbe.arrived();
        }
        return;
      }
      if (message.channel !== CHANNEL) {
        return;
      }
      options.onNotification(parseNotification(typeof payload === 'string' ? payload : undefined));
    });
    created.events.on('connected', () => {
      if (created !== current) {
        return;
      }
      setConnected(true);
      log.info({ channel: CHANNEL }, 'listener connected');
      options.onConnected();
    });
    created.events.on('reconnect', (attempt) => {
      if (created !== current) {
        return;
      }
      setConnected(false);
      log.warn({ attempt }, 'listener reconnecting');
    });
    created.events.on('error', (error) => {
      if (created !== current) {
        return;
      }
      setConnected(false);
      log.error({ err: toError(error) }, 'listener error; reconnecting');
    });
    return created;
  }

  async function connectLoop(): Promise<void> {
    for (let attempt = 0; !stopping.signal.aborted; attempt += 1) {
      const candidate = create();
      current = candidate;
      try {
        await candidate.connect();
        await candidate.listenTo(CHANNEL);
        await candidate.listenTo(PROBE_CHANNEL);
        if (isStopping()) {
          await candidate.close();
          return;
        }
        subscriber = candidate;
        // pg-listen emitted `connected` before LISTEN was in place; say it again now that it is.
        setConnected(true);
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

  /** One self-NOTIFY round trip on `target`; true when it came back within the probe timeout. */
  async function probeOnce(target: Subscriber): Promise<boolean> {
    const nonce = randomUUID();
    const arrived = new Promise<void>((resolve) => {
      pendingProbe = { nonce, arrived: resolve };
    });
    const deadline = new AbortController();
    try {
      return await Promise.race([
        Promise.all([arrived, target.notify(PROBE_CHANNEL, nonce)]).then(() => true),
        sleep(probeTimeoutMs, deadline.signal).then(() => false),
      ]);
    } catch (error) {
      log.warn({ err: toError(error) }, 'listener probe could not be sent');
      return false;
    } finally {
      deadline.abort();
      pendingProbe = undefined;
    }
  }

  /** Drops a frozen connection without waiting for it (its backend may never answer) and reconnects. */
  function replace(frozen: Subscriber): void {
    subscriber = undefined;
    current = undefined;
    setConnected(false);
    frozen.close().catch((error: unknown) => {
      log.debug({ err: toError(error) }, 'closing the frozen listener connection failed');
    });
    connecting = connecting.then(connectLoop);
  }

  async function probeLoop(): Promise<void> {
    while (!isStopping()) {
      await sleep(probeIntervalMs, stopping.signal);
      const target = subscriber;
      if (isStopping() || target === undefined || !isConnected) {
        continue;
      }
      if (await probeOnce(target)) {
        continue;
      }
      if (isStopping() || target !== subscriber) {
        continue;
      }
      log.warn({ timeoutMs: probeTimeoutMs }, 'listener probe did not come back; reconnecting');
      options.onProbeFailed?.();
      replace(target);
    }
  }

  let connecting = connectLoop();
  const probing = probeLoop();

  return {
    get isConnected() {
      return isConnected;
    },
    async close() {
      stopping.abort();
      await probing;
      await connecting;
      setConnected(false);
      const last = subscriber;
      subscriber = undefined;
      current = undefined;
      // A backend that stopped answering never acknowledges the close; do not wait for it forever.
      const deadline = new AbortController();
      await Promise.race([last?.close(), sleep(probeTimeoutMs, deadline.signal)]);
      deadline.abort();
    },
  };
}
