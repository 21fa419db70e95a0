/**
 * A TCP proxy in front of the test PostgreSQL that can freeze chosen sessions: their bytes stop
 * flowing both ways while the TCP connection stays open, as when a backend is stopped (SIGSTOP) or
 * wedged. Sessions are chosen by their startup message (e.g. `application_name`).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** A running proxy. */
export interface PgProxy {
  /** `databaseUrl` with host and port replaced by the proxy's. */
  readonly url: string;
  /** Freezes the open sessions whose startup message contains `match` (new sessions flow freely). */
  freeze(match: string): void;
  /** Lets frozen sessions flow again (what they buffered is delivered). */
  thaw(): void;
  /**
   * Holds the sessions opened from now on whose startup message contains `match` until `ms` from
   * now (a database slow to take a new connection): their bytes wait, then flow.
   */
  holdNew(match: string, ms: number): void;
  /** Sessions frozen right now. */
  readonly frozenCount: number;
  close(): Promise<void>;
}

interface Pair {
  readonly client: Socket;
  readonly server: Socket;
  startup: string;
  isFrozen: boolean;
  readonly openedAtMs: number;
}

/** Starts a proxy on 127.0.0.1:0 towards the host and port of `databaseUrl`. */
export async function startPgProxy(databaseUrl: string): Promise<PgProxy> {
  const target = new URL(databaseUrl);
  const pairs = new Set<Pair>();
  let hold: { readonly match: string; readonly fromMs: number; readonly untilMs: number } | undefined;

  function applyHold(pair: Pair): void {
    if (
      hold === undefined ||
      pair.isFrozen ||
      pair.openedAtMs < hold.fromMs ||
      !pair.startup.includes(hold.match)
    ) {
      return;
    }
    const waitMs = hold.untilMs - Date.now();
    if (waitMs <= 0) {
      return;
    }
    pair.isFrozen = true;
    pair.client.pause();
    pair.server.pause();
    setTimeout(() => {
      pair.isFrozen = false;
      pair.client.resume();
      pair.server.resume();
    }, waitMs).unref();
  }

  function applyFreeze(pair: Pair, match: string): void {
    if (!pair.isFrozen && pair.startup.includes(match)) {
      pair.isFrozen = true;
      pair.client.pause();
      pair.server.pause();
    }
  }

  const proxy: Server = createServer((client) => {
    const server = connect(Number(target.port || 5432), target.hostname);
    const pair: Pair = { client, server, startup: '', isFrozen: false, openedAtMs: Date.now() };
    pairs.add(pair);
    client.on('data', (chunk: Buffer) => {
      if (pair.startup.length < 1024) {
        pair.startup += chunk.toString('latin1');
      }
      server.write(chunk);
      applyHold(pair);
    });
    server.on('data', (chunk: Buffer) => client.write(chunk));
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      server.destroy();
    };
    client.on('close', end);
    server.on('close', end);
    client.on('error', end);
    server.on('error', end);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const port = (proxy.address() as AddressInfo).port;
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);

  return {
    url: url.toString(),
    freeze(match) {
      for (const pair of pairs) {
        applyFreeze(pair, match);
      }
    },
    thaw() {
      for (const pair of pairs) {
        if (pair.isFrozen) {
          pair.isFrozen = false;
          pair.client.resume();
          pair.server.resume();
        }
      }
    },
    holdNew(match, ms) {
      hold = { match, fromMs: Date.now(), untilMs: Date.now() + ms };
    },
    get frozenCount() {
      return [...pairs].filter((pair) => pair.isFrozen).length;
    },
    async close() {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.server.destroy();
      }
      await new Promise<void>((resolve) => {
        proxy.close(() => {
          resolve();
        });
      });
    },
  };
}
