/** What a simulated panel is started with. */
import type { DepletionStyle } from './model/store.ts';
import type { VersionProfile } from './profiles.ts';
import type { TokenScope } from './token-scopes.ts';

/** How an unauthenticated `/panel/api/*` request is answered (reference/xui-api.md §2.4). */
export type UnauthorizedStyle =
  /** v3.0.2+: 404 empty, or 401 empty with `X-Requested-With: XMLHttpRequest`. */
  | 'v3'
  /** v2.8.4–v3.0.1: 404 empty, always. */
  | 'hidden'
  /** v2.0–v2.8.3: 307 to the login page, or 401 JSON with the XHR header. */
  | 'redirect';

/** An API token the panel accepts (v3.0.0+). */
export interface SimulatedToken {
  readonly token: string;
  /** Default 'admin'. Enforced only where the profile has token scopes (main). */
  readonly scope?: TokenScope;
  /** ms since the epoch; 0 or absent = never. An expired token counts as no token (§2.5). */
  readonly expiresAtMs?: number;
}

/** Options of a simulated panel. Give a `profile`, a `generation`, or both (they must agree). */
export interface SimulatedPanelOptions {
  /** The release the panel behaves like (profiles.ts); explicit options below override its traits. */
  readonly profile?: VersionProfile;
  /** Required without a profile. */
  readonly generation?: 'g1' | 'g2';
  /** Normalised to begin and end with `/`; default `/`. */
  readonly webBasePath?: string;
  readonly username?: string;
  readonly password?: string;
  /** A Bearer API token the panel accepts (v3 panels), with the admin scope. */
  readonly token?: string;
  /** More tokens, with scopes and expiry. */
  readonly tokens?: ReadonlyArray<SimulatedToken>;
  /**
   * The panel's `webDomain` setting: a request whose Host header (port stripped) differs gets 403 with
   * an empty body, before routing (§1). Default: unset (any host).
   */
  readonly webDomain?: string;
  /** Overrides the profile's `panelVersion` in `server/status`. */
  readonly panelVersion?: string;
  /** Require the CSRF token on unsafe cookie requests (v3.0.0+). Default: true on G2, false on G1. */
  readonly csrf?: boolean;
  /** Default 'v3'. */
  readonly unauthorized?: UnauthorizedStyle;
  /** Traffic job period in ms; default 5000 (v3). 0 turns the timer off (call `runJob()`). */
  readonly jobIntervalMs?: number;
  /** Default: the profile's; without one 'traffic-only' on G1 (≤ v2.9.3 behaviour), 'everywhere' on G2. */
  readonly depletionStyle?: DepletionStyle;
  /** G2 only: whether `bulkEnable`/`bulkDisable` exist (v3.4.1+). Default true on G2. */
  readonly bulkEndpoints?: boolean;
  /** Delay before every answer, in ms (the reconciler benchmark uses 20). Default 0. */
  readonly latencyMs?: number;
  /** Clock in ms since the epoch; default Date.now. */
  readonly now?: () => number;
  /** How far the panel's clock is ahead of `now` (negative: behind), ms. Default 0. */
  readonly clockOffsetMs?: number;
}
