/**
 * Version profiles of the simulated panel: which 3x-ui release it behaves like. Each profile switches
 * the behaviours that differ between releases, as read in the Go source (tags v2.8.0–v3.6.0 and main
 * of 2026-08, reference/xui-api.md):
 *
 * | profile  | gen | unauthenticated          | G1 traffic of an unknown email | flow gate       | client cycle fields | token scopes | server/status panelVersion |
 * |----------|-----|--------------------------|--------------------------------|-----------------|---------------------|--------------|----------------------------|
 * | v2.8.0   | G1  | 307 / 401 JSON (≤v2.8.3) | `success:true, obj:null`       | none            | no                  | no tokens    | absent                     |
 * | v2.9     | G1  | 404 empty (v2.8.4–3.0.1) | `success:false`, localized     | none            | no                  | no tokens    | absent                     |
 * | v3.6     | G2  | 404 / 401 (v3.0.2+)      | (no G1 routes)                 | TLS/Reality     | no                  | all admin    | `3.6.0`                    |
 * | main     | G2  | 404 / 401                | (no G1 routes)                 | + `disableFlow` | yes (+ `limitHwid`) | scoped       | `dev+02002dc1`             |
 */
import type { DepletionStyle } from './model/store.ts';
import type { UnauthorizedStyle } from './options.ts';

/** A release line the simulator can behave like. */
export type VersionProfile = 'v2.8.0' | 'v2.8.11' | 'v2.9' | 'v3.6' | 'main';

/** Every profile, for suites that run on each. */
export const VERSION_PROFILES = [
  'v2.8.0',
  'v2.8.11',
  'v2.9',
  'v3.6',
  'main',
] as const satisfies ReadonlyArray<VersionProfile>;

/** The behaviours a profile switches. */
export interface ProfileTraits {
  readonly generation: 'g1' | 'g2';
  readonly unauthorized: UnauthorizedStyle;
  readonly csrf: boolean;
  readonly depletionStyle: DepletionStyle;
  readonly bulkEndpoints: boolean;
  /**
   * G1 `getClientTraffics/:email` for an email the panel does not have: `null` (v2.8.0 and older:
   * success with obj null) or `refused` (v2.8.1–v3.0.x: success:false with a localized message).
   */
  readonly absentTraffic: 'null' | 'refused';
  /**
   * What `enable` G1 `getClientTraffics/:email` reports: the traffic row's (`row`), or the client's
   * settings flag (`settings`, v2.8.1–v2.8.11), which stays true for a client only the row disabled.
   */
  readonly trafficEnable: 'row' | 'settings';
  /** Whether traffic rows carry `uuid` and `subId` (filled at read time, v2.8.3+; absent in v2.8.0). */
  readonly hasTrafficIdentity: boolean;
  /** API tokens (`Authorization: Bearer`) exist (v3.0.0+); older panels ignore the header. */
  readonly hasApiTokens: boolean;
  /** Path of the session cookie: `/` in v2, the web base path in v3 (§2.3). */
  readonly cookiePath: 'root' | 'base';
  /**
   * G2 add/update keep `flow` only on an inbound that can use XTLS (`clientWithInboundFlow`, v3.3.0+):
   * vless over `tcp` with TLS or Reality, or `xhttp` with VLESS encryption; `disable-flow` also drops it
   * on an inbound with `disableFlow: true` (main).
   */
  readonly flowGate: 'none' | 'tls' | 'tls-or-disable-flow';
  /** main / 3.7+: `resetDay`, `resetMax`, `trafficReset`, `trafficResetDay` on the client, `limitHwid` on the record. */
  readonly hasCycleFields: boolean;
  /** main: API tokens carry a scope (`admin`, `monitor`, `node-sync`) and may expire. */
  readonly hasTokenScopes: boolean;
  /** `panelVersion` of `server/status` (v3.1.0+); undefined where the field does not exist. */
  readonly panelVersion: string | undefined;
  readonly xrayVersion: string;
}

/** The traits of each profile. */
export const PROFILE_TRAITS = {
  'v2.8.0': {
    generation: 'g1',
    unauthorized: 'redirect',
    csrf: false,
    depletionStyle: 'traffic-only',
    bulkEndpoints: false,
    absentTraffic: 'null',
    trafficEnable: 'row',
    hasTrafficIdentity: false,
    hasApiTokens: false,
    cookiePath: 'root',
    flowGate: 'none',
    hasCycleFields: false,
    hasTokenScopes: false,
    panelVersion: undefined,
    xrayVersion: '25.9.11',
  },
  'v2.8.11': {
    generation: 'g1',
    unauthorized: 'hidden',
    csrf: false,
    depletionStyle: 'traffic-only',
    bulkEndpoints: false,
    absentTraffic: 'refused',
    trafficEnable: 'settings',
    hasTrafficIdentity: true,
    hasApiTokens: false,
    cookiePath: 'root',
    flowGate: 'none',
    hasCycleFields: false,
    hasTokenScopes: false,
    panelVersion: undefined,
    xrayVersion: '26.2.6',
  },
  'v2.9': {
    generation: 'g1',
    unauthorized: 'hidden',
    csrf: false,
    // v2.9.4 also clears the settings flag of a depleted client (§8).
    depletionStyle: 'everywhere',
    bulkEndpoints: false,
    absentTraffic: 'refused',
    trafficEnable: 'row',
    hasTrafficIdentity: true,
    hasApiTokens: false,
    cookiePath: 'root',
    flowGate: 'none',
    hasCycleFields: false,
    hasTokenScopes: false,
    panelVersion: undefined,
    xrayVersion: '25.12.8',
  },
  'v3.6': {
    generation: 'g2',
    unauthorized: 'v3',
    csrf: true,
    depletionStyle: 'everywhere',
    bulkEndpoints: true,
    absentTraffic: 'null',
    trafficEnable: 'row',
    hasTrafficIdentity: true,
    hasApiTokens: true,
    cookiePath: 'base',
    flowGate: 'tls',
    hasCycleFields: false,
    hasTokenScopes: false,
    panelVersion: '3.6.0',
    xrayVersion: '26.6.1',
  },
  main: {
    generation: 'g2',
    unauthorized: 'v3',
    csrf: true,
    depletionStyle: 'everywhere',
    bulkEndpoints: true,
    absentTraffic: 'null',
    trafficEnable: 'row',
    hasTrafficIdentity: true,
    hasApiTokens: true,
    cookiePath: 'base',
    flowGate: 'tls-or-disable-flow',
    hasCycleFields: true,
    hasTokenScopes: true,
    panelVersion: 'dev+02002dc1',
    xrayVersion: '26.8.1',
  },
} as const satisfies Record<VersionProfile, ProfileTraits>;

/**
 * The traits of a panel started without a profile: the simulator's behaviour before profiles existed
 * (G1 answers null for an unknown email's traffic, v3 auth answers, API tokens and a base-path cookie
 * as in v3.0.x, no flow gate on G1; G2 is v3.6).
 */
export function defaultTraits(generation: 'g1' | 'g2'): ProfileTraits {
  return generation === 'g2'
    ? PROFILE_TRAITS['v3.6']
    : {
        ...PROFILE_TRAITS['v2.8.0'],
        unauthorized: 'v3',
        bulkEndpoints: false,
        hasTrafficIdentity: true,
        hasApiTokens: true,
        cookiePath: 'base',
      };
}
