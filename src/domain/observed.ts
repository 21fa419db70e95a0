/**
 * What a panel actually holds, as read by the xui adapter and mapped to our vocabulary
 * (reference/xui-api.md §4). Times are ms since the epoch as the panel stores them; traffic in bytes.
 */
import type { ClientEmail, InboundId, PanelId } from './ids.ts';

/** 3x-ui API generation: G1 = v1.5–v3.0.2 (inbound-scoped routes), G2 = v3.1+ (email-scoped). */
export type ApiGeneration = 'g1' | 'g2';

/** One 3x-ui client as observed on a panel. */
export interface ObservedClient {
  readonly email: ClientEmail;
  /** Inbounds the client is attached to (G1: exactly one; G2: one or more). */
  readonly inboundIds: ReadonlyArray<InboundId>;
  /** vmess/vless identity. */
  readonly uuid: string | undefined;
  /** trojan identity, shadowsocks key. */
  readonly password: string | undefined;
  /** hysteria identity. */
  readonly auth: string | undefined;
  /** The client's own admin switch (`settings.clients[].enable` / the G2 record). */
  readonly isClientEnabled: boolean;
  /** The ClientTraffic row's flag: false once the panel's job found the client depleted or expired. */
  readonly isTrafficEnabled: boolean;
  /** Whether Xray serves the client: inbound enabled AND client enabled AND traffic enabled (§4.4). */
  readonly isEffectivelyEnabled: boolean;
  /** 0 = never; > 0 absolute deadline (ms); < 0 "start after first use" duration. */
  readonly expiryTimeMs: number;
  /** Quota in bytes; 0 = unlimited. */
  readonly totalBytes: number;
  readonly upBytes: number;
  readonly downBytes: number;
  /** Auto-renew period in days; 0 = off. Managed clients must carry 0 (§8). */
  readonly resetDays: number;
  /**
   * Whether the panel would renew or reset this client on its own besides `resetDays` (main / 3.7+: a
   * calendar renew day `resetDay` > 0, or a traffic reset cycle `trafficReset` other than `never`). A
   * managed client must not (xui-api.md §8): it counts as `reset-nonzero` drift.
   */
  readonly hasPanelRenewal: boolean;
  readonly flow: string;
  readonly subId: string;
  readonly tgId: number;
  readonly comment: string;
  readonly limitIp: number;
}

/** One inbound as observed, with what a connection link needs. */
export interface ObservedInbound {
  readonly panelId: PanelId;
  readonly id: InboundId;
  readonly protocol: string;
  readonly port: number;
  readonly remark: string;
  readonly listen: string;
  readonly isEnabled: boolean;
  /** Protocol settings without the client list (e.g. shadowsocks method, vless decryption). */
  readonly settings: Readonly<Record<string, unknown>>;
  /** Transport, TLS and Reality settings as the panel stores them. */
  readonly streamSettings: Readonly<Record<string, unknown>>;
  /** main: the inbound's `disableFlow` switch (the panel drops every client's flow there). */
  readonly isFlowDisabled: boolean;
}

/** A complete, successful read of one panel. */
export interface PanelObservation {
  readonly generation: ApiGeneration;
  readonly inbounds: ReadonlyArray<ObservedInbound>;
  /** Every client on the panel by email. An email seen on several inbounds of a G1 panel is a duplicate. */
  readonly clients: ReadonlyMap<ClientEmail, ObservedClient>;
  /** Emails that occur more than once where the panel should not allow it (drift kind `duplicate-email`). */
  readonly duplicateEmails: ReadonlyArray<ClientEmail>;
  /**
   * The panel's clock minus ours in ms (positive: the panel is ahead), estimated from its HTTP `Date`
   * headers; absent when unknown. The panel's own job expires clients by its clock (xui-api.md §8).
   */
  readonly clockOffsetMs?: number;
}
