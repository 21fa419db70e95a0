/**
 * The panel port of the reconciler: src/xui implements PanelClient (the database port is in
 * store.ts, implemented by src/store). The reconciler imports nothing else.
 */
import type { ClientFields } from '../domain/desired.ts';
import type { ClientEmail, InboundId, PanelId } from '../domain/ids.ts';
import type { ApiGeneration, ObservedClient, PanelObservation } from '../domain/observed.ts';

/** How to reach one panel: a row of `panels`, secrets included (never logged). */
export interface PanelConnection {
  readonly id: PanelId;
  readonly name: string;
  /** Full URL including webBasePath, ending in `/`. */
  readonly baseUrl: string;
  readonly auth:
    | { readonly kind: 'password'; readonly username: string; readonly password: string }
    | { readonly kind: 'token'; readonly token: string };
  /** Generation recorded by an earlier probe, if any; the client re-probes when it is wrong. */
  readonly apiGeneration: ApiGeneration | undefined;
  readonly tlsSkipVerify: boolean;
  readonly caPem: string | undefined;
}

/**
 * A client to create: identity plus the managed fields (`ClientFields`; `resetDays` is always 0 for
 * managed clients, so the panel never revives a key, xui-api.md §8).
 */
export interface NewClient extends ClientFields {
  readonly email: ClientEmail;
  readonly inboundId: InboundId;
  /** Protocol of the inbound; decides which identity field the panel uses. */
  readonly protocol: string;
  /** UUID for vmess/vless. */
  readonly uuid: string;
  /** Password for trojan / key for shadowsocks / auth for hysteria. */
  readonly secret: string;
  readonly subId: string;
  readonly tgId: number;
  readonly comment: string;
}

/** What a panel says about its version (`server/status`), and whether keywarden was tested against it. */
export interface PanelVersionInfo {
  /** `panelVersion` as reported (`3.6.0`, `dev+02002dc1`), or null where the panel has none (≤ v3.0.2). */
  readonly panelVersion: string | null;
  /** The Xray core version, when reported. */
  readonly xrayVersion: string | null;
  /** true inside the tested range, false outside it (warn), null when the version is unknown. */
  readonly isTested: boolean | null;
}

/** Result of a bulk enable/disable: which emails changed, which the panel skipped and why. */
export interface BulkResult {
  readonly changed: ReadonlyArray<ClientEmail>;
  readonly skipped: ReadonlyArray<{ readonly email: ClientEmail; readonly reason: string }>;
  /** HTTP calls the operation took (for metrics and benchmarks). */
  readonly calls: number;
}

/**
 * One panel, as the reconciler sees it. Every method takes an AbortSignal and throws a PanelError
 * (src/xui/errors.ts) on failure; a failed read never returns an empty result.
 */
export interface PanelClient {
  readonly panelId: PanelId;
  /** Probes (once, then cached) which API generation the panel speaks. */
  detectGeneration(signal: AbortSignal): Promise<ApiGeneration>;
  /**
   * Reads the panel's version from `server/status` (cached for a while; a panel without the route or
   * the field gives nulls). Throws a PanelError when the panel cannot be reached or refuses.
   */
  readVersion(signal: AbortSignal): Promise<PanelVersionInfo>;
  /** Reads every inbound and client of the panel, with effective enable state. */
  observe(signal: AbortSignal): Promise<PanelObservation>;
  /** Reads one client by email; null when the panel confirms it does not exist. */
  getClient(email: ClientEmail, signal: AbortSignal): Promise<ObservedClient | null>;
  /** Creates a client (G2 forces enable on create, so a disabled client is created then disabled). */
  createClient(client: NewClient, signal: AbortSignal): Promise<void>;
  /**
   * Sets the managed fields of an existing client by read-modify-write of the full object (the panel
   * zeroes omitted fields), then reads it back; resolves to the confirmed state.
   */
  updateClient(email: ClientEmail, fields: ClientFields, signal: AbortSignal): Promise<ObservedClient>;
  /** Enables or disables many clients: G2 bulk endpoints when present, else one call per client. */
  setEnabled(emails: ReadonlyArray<ClientEmail>, enable: boolean, signal: AbortSignal): Promise<BulkResult>;
  /** Releases connections. */
  close(): Promise<void>;
}

/** Why a panel login is not tried now. */
export interface LoginBlock {
  /** The earliest moment (DB clock) at which a login may be tried again. */
  readonly until: Date;
  /** Refused logins with these credentials in a row. */
  readonly failures: number;
  /** Of those, the ones within the panel's 5-minute lockout window. */
  readonly recentFailures: number;
}

/** The credentials a login tries, as hashes (never the secrets themselves). */
export interface LoginCredentials {
  /** Identifies username and password together: a changed password starts a new back-off. */
  readonly credentialsHash: string;
  /** Identifies the username alone (trimmed, lower case), the key of the panel's own lockout count. */
  readonly usernameHash: string;
}

/**
 * Failed-login state of each panel, shared by every keywarden process through the database, so that
 * neither the daemon's replicas, repeated `plan` / `reconcile --once` runs nor the panel checks
 * (`panels test|update`, the console's Test and Edit) trip the panel's login lockout
 * (reference/xui-api.md §2.1: 5 failures of one (address, username) in 5 min block it for 15 min).
 * New credentials are not held back by the back-off of old ones, but failures of the same username
 * still count towards the lockout, whatever the password was.
 */
export interface LoginGuard {
  /** Before a login: null when it may be tried now (a retry after failures is reserved), else the block. */
  beforeLogin(panelId: PanelId, credentials: LoginCredentials): Promise<LoginBlock | null>;
  /** A login was refused: records it and returns until when the next one is held back. */
  loginRefused(panelId: PanelId, credentials: LoginCredentials): Promise<LoginBlock>;
  /** A login succeeded: the failures are forgotten. */
  loginSucceeded(panelId: PanelId): Promise<void>;
}

/** Creates a PanelClient for a connection (the composition root passes src/xui's factory). */
export type PanelClientFactory = (connection: PanelConnection) => PanelClient;

/**
 * Whether a write was accepted by the panel but its read-back failed (a PanelError of kind
 * `unconfirmed`): the change is probably in place; record it as `unconfirmed`, not `failed`.
 */
export function isPanelUnconfirmed(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'kind' in error && error.kind === 'unconfirmed';
}

/**
 * Whether a PanelClient call failed by timing out (a PanelError of kind `timeout`, src/xui/errors.ts):
 * the request may still be running in the panel and land later.
 */
export function isPanelTimeout(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'kind' in error && error.kind === 'timeout';
}
