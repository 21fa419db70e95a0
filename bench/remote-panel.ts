/**
 * Starts a simulated panel in its own process (bench/panel-process.ts) and drives it over IPC, so a
 * benchmark measures keywarden's CPU and memory without the panel's.
 */
import { fork, type ChildProcess } from 'node:child_process';

/** A client to put on the panel. */
export interface RemoteClientSeed {
  readonly email: string;
  readonly uuid: string;
  readonly subId?: string;
  readonly flow?: string;
  readonly enable: boolean;
}

/** A simulated panel running in a child process. */
export interface RemotePanel {
  readonly url: string;
  addInbound(): Promise<number>;
  seed(inboundId: number, clients: ReadonlyArray<RemoteClientSeed>): Promise<void>;
  setLatency(ms: number): Promise<void>;
  /** Each client's enable flag (null when absent). */
  enabled(emails: ReadonlyArray<string>): Promise<ReadonlyArray<boolean | null>>;
  /** Requests the panel has answered so far. */
  requests(): Promise<number>;
  close(): Promise<void>;
}

/** Starts a G1 or G2 panel process; resolves once it listens. */
export async function startPanelProcess(generation: 'g1' | 'g2'): Promise<RemotePanel> {
  const child: ChildProcess = fork(new URL('./panel-process.ts', import.meta.url).pathname, [generation], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 1;
  const waiting = new Map<number, (value: unknown) => void>();
  const url = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.on('message', (message: { readonly id: number; readonly value: unknown }) => {
      if (message.id === 0) {
        resolve(String(message.value));
        return;
      }
      waiting.get(message.id)?.(message.value);
      waiting.delete(message.id);
    });
  });
  const call = (command: Record<string, unknown>): Promise<unknown> =>
    new Promise((resolve) => {
      const id = nextId;
      nextId += 1;
      waiting.set(id, resolve);
      child.send({ id, command });
    });
  return {
    url,
    addInbound: async () => Number(await call({ op: 'addInbound' })),
    async seed(inboundId, clients) {
      const chunk = 5_000;
      for (let start = 0; start < clients.length; start += chunk) {
        await call({ op: 'seed', inboundId, clients: clients.slice(start, start + chunk) });
      }
    },
    async setLatency(ms) {
      await call({ op: 'setLatency', ms });
    },
    enabled: async (emails) => (await call({ op: 'enabled', emails })) as ReadonlyArray<boolean | null>,
    requests: async () => Number(await call({ op: 'requests' })),
    async close() {
      await call({ op: 'close' });
    },
  };
}
