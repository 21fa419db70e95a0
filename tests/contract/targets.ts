/**
 * The panels the contract suite runs against: simulated G1 and G2 panels (always), and a real panel
 * when XUI_TEST_URL, XUI_TEST_USERNAME/XUI_TEST_PASSWORD or XUI_TEST_TOKEN, and XUI_TEST_INBOUND_ID are set.
 */
import { pino } from 'pino';
import { asInboundId, asPanelId, type InboundId } from '../../src/domain/ids.ts';
import type { PanelConnection } from '../../src/reconciler/ports.ts';
import { createPanelClient, type PanelClientOptions, type XuiPanelClient } from '../../src/xui/index.ts';
import {
  startSimulatedPanel,
  type SimulatedPanel,
  type SimulatedPanelOptions,
} from '../../src/simulator/index.ts';

/** A panel under test and a client connected to it. */
export interface ContractTarget {
  readonly name: string;
  readonly client: XuiPanelClient;
  readonly inboundId: InboundId;
  /** Present for simulated panels: lets quirk tests reach into the panel's state. */
  readonly panel: SimulatedPanel | undefined;
  close(): Promise<void>;
}

/** How a target is started. */
export interface TargetSpec {
  readonly name: string;
  start(): Promise<ContractTarget>;
}

const silent = pino({ level: 'silent' });

/** Client options for tests: short timeout, silent logger. */
export function testClientOptions(overrides: Partial<PanelClientOptions> = {}): PanelClientOptions {
  return { timeoutMs: 5_000, logger: silent, ...overrides };
}

/** A connection to a simulated panel with password or token auth. */
export function connectionTo(
  panel: SimulatedPanel,
  auth: PanelConnection['auth'],
  overrides: Partial<PanelConnection> = {},
): PanelConnection {
  return {
    id: asPanelId('1'),
    name: `sim-${panel.generation}`,
    baseUrl: panel.url,
    auth,
    apiGeneration: undefined,
    tlsSkipVerify: false,
    caPem: undefined,
    ...overrides,
  };
}

/**
 * Starts a simulated panel (a version profile or a bare generation) with a random base path, one vless
 * (Reality) inbound, and a client.
 */
export async function startFake(
  options: SimulatedPanelOptions,
  auth: 'password' | 'token' = 'password',
  clientOptions: Partial<PanelClientOptions> = {},
): Promise<ContractTarget> {
  const panel = await startSimulatedPanel({
    webBasePath: '/Xq7pLm2vRt9kZs4bNc/',
    username: 'admin',
    password: 'correct horse',
    token: 'tok-secret-123',
    jobIntervalMs: 0,
    ...options,
  });
  const inboundId = asInboundId(panel.addInbound({ protocol: 'vless', port: 443, remark: 'vless-reality' }));
  // G1 refuses to delete the last client of an inbound (§6.1); keep one that the suite never touches.
  panel.seedClient(inboundId, { email: 'anchor' });
  const client = createPanelClient(
    connectionTo(
      panel,
      auth === 'token'
        ? { kind: 'token', token: 'tok-secret-123' }
        : { kind: 'password', username: 'admin', password: 'correct horse' },
    ),
    testClientOptions(clientOptions),
  );
  return {
    name: `simulated ${options.profile ?? options.generation ?? '?'}${auth === 'token' ? ' (token)' : ''}`,
    client,
    inboundId,
    panel,
    close: async () => {
      await client.close();
      await panel.close();
    },
  };
}

/** The real panel from the environment, or a reason why there is none. */
export function realTargetFromEnv(env: NodeJS.ProcessEnv): TargetSpec | string {
  const url = env.XUI_TEST_URL;
  const inbound = env.XUI_TEST_INBOUND_ID;
  const token = env.XUI_TEST_TOKEN;
  const username = env.XUI_TEST_USERNAME;
  const password = env.XUI_TEST_PASSWORD;
  if (
    url === undefined ||
    inbound === undefined ||
    (token === undefined && (username === undefined || password === undefined))
  ) {
    return 'XUI_TEST_URL, XUI_TEST_INBOUND_ID and XUI_TEST_TOKEN (or XUI_TEST_USERNAME/XUI_TEST_PASSWORD) are not all set';
  }
  const auth: PanelConnection['auth'] =
    token !== undefined
      ? { kind: 'token', token }
      : { kind: 'password', username: username ?? '', password: password ?? '' };
  return {
    name: 'real panel',
    start: () => {
      const client = createPanelClient(
        {
          id: asPanelId('real'),
          name: 'real',
          baseUrl: url.endsWith('/') ? url : `${url}/`,
          auth,
          apiGeneration: undefined,
          tlsSkipVerify: env.XUI_TEST_INSECURE === '1',
          caPem: undefined,
        },
        testClientOptions({ timeoutMs: 20_000 }),
      );
      return Promise.resolve({
        name: 'real panel',
        client,
        inboundId: asInboundId(Number(inbound)),
        panel: undefined,
        close: () => client.close(),
      });
    },
  };
}
