/**
 * The simulated panel's control surface: what tests, benchmarks and the demo do to a panel besides
 * calling its API (seed inbounds and clients, edit a client as an admin would, report traffic, run the
 * traffic job, change credentials, inject faults, read the request log).
 */
import type { FaultScope, SimulatedFault } from './faults.ts';
import type { ClientSeed, InboundSeed, PanelModel, SimClient } from './model/store.ts';
import { runTrafficResetCycle, type TrafficResetPeriod } from './model/traffic-job.ts';

/** One logged request. */
export interface LoggedRequest {
  readonly method: string;
  /** Path after the base path, without the query (`panel/api/clients/list`). */
  readonly path: string;
  readonly query: string;
  readonly atMs: number;
}

/** A running simulated panel. */
export interface SimulatedPanel {
  /** Full URL including the base path, ending in `/`. */
  readonly url: string;
  readonly generation: 'g1' | 'g2';
  /** The panel's database, for direct inspection and edits. */
  readonly model: PanelModel;
  /** Creates an inbound; returns its id. */
  addInbound(seed: InboundSeed): number;
  /** Puts a client into an inbound directly, bypassing API rules (e.g. a disabled client on G2). */
  seedClient(inboundId: number, seed: ClientSeed): void;
  /** Seeds `count` clients named `${prefix}${i}` quickly (benchmarks). */
  seedClients(inboundId: number, count: number, prefix: string, overrides?: Omit<ClientSeed, 'email'>): void;
  /** A client's state, merged with its traffic row; undefined when absent. */
  inspectClient(email: string): InspectedClient | undefined;
  /** Hand-edits a client as an admin in the panel UI would (no API rules, traffic row mirrored). */
  editClient(email: string, patch: Partial<Omit<ClientSeed, 'email' | 'up' | 'down'>>): void;
  /** Reports traffic that the next job run picks up (as Xray's stats would). */
  addTraffic(email: string, upBytes: number, downBytes: number): void;
  /** Runs the traffic job now. */
  runJob(): void;
  /** Runs main's per-client traffic reset cron for one period now; returns the emails it reset. */
  runTrafficResetCycle(period: TrafficResetPeriod): string[];
  setInboundEnabled(inboundId: number, enable: boolean): void;
  /** Attaches an existing client to one more inbound (G2 identity; on G1 this makes a duplicate). */
  attachClient(email: string, inboundId: number): void;
  /** Changes the admin password: every existing session becomes invalid (§2.3). */
  setCredentials(username: string, password: string): void;
  /** Forgets every session, as a panel restart with a new secret would. */
  dropSessions(): void;
  setFault(fault: SimulatedFault, scope?: FaultScope): Promise<void>;
  clearFault(): Promise<void>;
  setLatency(ms: number): void;
  /**
   * Sets the panel's clock offset (ms ahead of the real clock): its traffic job, its timestamps and
   * the HTTP `Date` header all follow the skewed clock, as on a panel host with a wrong clock.
   */
  setClockOffset(ms: number): void;
  /** Requests so far (copy). */
  requests(): ReadonlyArray<LoggedRequest>;
  clearRequests(): void;
  close(): Promise<void>;
}

/** A client as the panel holds it, with its traffic row. */
export interface InspectedClient {
  readonly email: string;
  readonly uuid: string;
  readonly password: string;
  readonly auth: string;
  readonly enable: boolean;
  readonly trafficEnable: boolean;
  readonly expiryTime: number;
  readonly totalGB: number;
  readonly up: number;
  readonly down: number;
  readonly reset: number;
  readonly flow: string;
  readonly subId: string;
  readonly tgId: number;
  readonly limitIp: number;
  readonly comment: string;
  /** main / 3.7+ fields (0 / `never` / 1 elsewhere). */
  readonly limitHwid: number;
  readonly resetDay: number;
  readonly resetMax: number;
  readonly trafficReset: string;
  readonly trafficResetDay: number;
  readonly inboundIds: ReadonlyArray<number>;
}

/** The model-side half of the control surface (the server adds url, faults, sessions and lifecycle). */
export type ModelControl = Pick<
  SimulatedPanel,
  | 'addInbound'
  | 'seedClient'
  | 'seedClients'
  | 'inspectClient'
  | 'editClient'
  | 'addTraffic'
  | 'runJob'
  | 'runTrafficResetCycle'
  | 'setInboundEnabled'
  | 'attachClient'
>;

/** A client's state merged with its traffic row; undefined when absent. */
export function inspectClient(model: PanelModel, email: string): InspectedClient | undefined {
  const client = model.findClient(email);
  if (client === undefined) {
    return undefined;
  }
  const row = model.findTraffic(email);
  return {
    email: client.email,
    uuid: client.uuid,
    password: client.password,
    auth: client.auth,
    enable: client.enable,
    trafficEnable: row?.enable ?? true,
    expiryTime: client.expiryTime,
    totalGB: client.totalGB,
    up: row?.up ?? 0,
    down: row?.down ?? 0,
    reset: client.reset,
    flow: client.flow,
    subId: client.subId,
    tgId: client.tgId,
    limitIp: client.limitIp,
    comment: client.comment,
    limitHwid: client.limitHwid,
    resetDay: client.resetDay,
    resetMax: client.resetMax,
    trafficReset: client.trafficReset,
    trafficResetDay: client.trafficResetDay,
    inboundIds: [...client.inboundIds],
  };
}

function requireClient(model: PanelModel, email: string): SimClient {
  const client = model.findClient(email);
  if (client === undefined) {
    throw new Error(`simulator: no client ${email}`);
  }
  return client;
}

/** Applies an admin's hand edit: no API rules; the traffic row mirrors the client. */
function editClient(
  model: PanelModel,
  email: string,
  patch: Partial<Omit<ClientSeed, 'email' | 'up' | 'down'>>,
): void {
  const client = requireClient(model, email);
  if (patch.uuid !== undefined) {
    client.uuid = patch.uuid;
  }
  if (patch.password !== undefined) {
    client.password = patch.password;
  }
  if (patch.auth !== undefined) {
    client.auth = patch.auth;
  }
  if (patch.enable !== undefined) {
    client.enable = patch.enable;
  }
  if (patch.expiryTime !== undefined) {
    client.expiryTime = patch.expiryTime;
  }
  if (patch.totalGB !== undefined) {
    client.totalGB = patch.totalGB;
  }
  if (patch.limitIp !== undefined) {
    client.limitIp = patch.limitIp;
  }
  if (patch.tgId !== undefined) {
    client.tgId = patch.tgId;
  }
  if (patch.subId !== undefined) {
    client.subId = patch.subId;
  }
  if (patch.flow !== undefined) {
    client.flow = patch.flow;
  }
  if (patch.reset !== undefined) {
    client.reset = patch.reset;
  }
  if (patch.comment !== undefined) {
    client.comment = patch.comment;
  }
  client.limitHwid = patch.limitHwid ?? client.limitHwid;
  client.resetDay = patch.resetDay ?? client.resetDay;
  client.resetMax = patch.resetMax ?? client.resetMax;
  client.trafficReset = patch.trafficReset ?? client.trafficReset;
  client.trafficResetDay = patch.trafficResetDay ?? client.trafficResetDay;
  client.updatedAt = model.now();
  const row = model.findTraffic(email);
  if (row !== undefined) {
    row.enable = patch.trafficEnable ?? (patch.enable === undefined ? row.enable : patch.enable);
    row.total = client.totalGB;
    row.expiryTime = client.expiryTime;
    row.reset = client.reset;
  }
}

/** Builds the model-side control surface of a panel. */
export function createModelControl(model: PanelModel): ModelControl {
  return {
    addInbound: (seed) => model.addInbound(seed),
    seedClient: (inboundId, seed) => {
      model.seedClient(inboundId, seed);
    },
    seedClients: (inboundId, count, prefix, overrides = {}) => {
      for (let i = 0; i < count; i++) {
        model.seedClient(inboundId, { ...overrides, email: `${prefix}${String(i)}` });
      }
    },
    inspectClient: (email) => inspectClient(model, email),
    editClient: (email, patch) => {
      editClient(model, email, patch);
    },
    addTraffic: (email, upBytes, downBytes) => {
      const row = model.findTraffic(email);
      if (row === undefined) {
        throw new Error(`simulator: no traffic row for ${email}`);
      }
      row.pendingUp += upBytes;
      row.pendingDown += downBytes;
    },
    runJob: () => {
      model.runTrafficJob();
    },
    runTrafficResetCycle: (period) => runTrafficResetCycle(model, period),
    setInboundEnabled: (inboundId, enable) => {
      const inbound = model.inbounds.get(inboundId);
      if (inbound === undefined) {
        throw new Error(`simulator: no inbound ${String(inboundId)}`);
      }
      inbound.enable = enable;
    },
    attachClient: (email, inboundId) => {
      const client = requireClient(model, email);
      const inbound = model.inbounds.get(inboundId);
      if (inbound === undefined) {
        throw new Error(`simulator: no inbound ${String(inboundId)}`);
      }
      if (!client.inboundIds.includes(inboundId)) {
        client.inboundIds.push(inboundId);
        inbound.clients.add(client.email.toLowerCase());
      }
    },
  };
}
