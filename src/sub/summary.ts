/**
 * From a customer's subscription view to what is served (pure): the connections of the keys the
 * reconciler wants enabled, or one placeholder entry that tells the app why there is nothing, and
 * the numbers of the `subscription-userinfo` header.
 */
import type { SubscriptionView } from '../db/index.ts';
import { connectHostOf, describeConnection, linkInputOf, type Connection } from '../links/index.ts';
import type { SubTexts } from './texts.ts';

/** Why the customer gets what they get. */
export type SubscriptionState = 'active' | 'no-keys' | 'expired' | 'blocked';

/** What one fetch serves. */
export interface SubscriptionSummary {
  readonly state: SubscriptionState;
  /** The keys' connections (enabled keys only); empty unless active. */
  readonly connections: readonly Connection[];
  /** Enabled keys whose inbound is unobserved or cannot be rendered (left out, logged). */
  readonly unrenderable: number;
  /** The placeholder entry served instead of connections when there are none (null when active). */
  readonly placeholder: Connection | null;
  /** Traffic this period across all keys, bytes. */
  readonly usedBytes: number;
  /** The plan quota in bytes; 0 when unlimited or there is no plan. */
  readonly totalBytes: number;
  /** Coverage end in Unix seconds; 0 when there is none. */
  readonly expireSeconds: number;
}

/** A connection that goes nowhere (0.0.0.0:1), named with the message the app should show. */
export function placeholderConnection(name: string): Connection {
  return {
    protocol: 'vless',
    name,
    server: '0.0.0.0',
    port: 1,
    network: 'tcp',
    security: 'none',
    transport: {},
    tls: {},
    tcpHeaderType: '',
    uuid: '00000000-0000-0000-0000-000000000000',
    password: '',
    flow: '',
    encryption: 'none',
    method: '',
    serverPassword: '',
  };
}

/** Names that repeat get ` (2)`, ` (3)`: mihomo and sing-box need unique proxy names. */
function uniqueNames(connections: readonly Connection[]): readonly Connection[] {
  const seen = new Map<string, number>();
  return connections.map((connection) => {
    const count = (seen.get(connection.name) ?? 0) + 1;
    seen.set(connection.name, count);
    return count === 1 ? connection : { ...connection, name: `${connection.name} (${count})` };
  });
}

/** Summarises `view`; `botUsername` goes into the placeholder's name. */
export function summarize(
  view: SubscriptionView,
  texts: SubTexts,
  botUsername: string | undefined,
): SubscriptionSummary {
  const connections: Connection[] = [];
  let unrenderable = 0;
  if (view.isEntitled) {
    for (const key of view.keys) {
      if (!key.isEnabled) {
        continue;
      }
      const input = linkInputOf({
        ...key,
        inbound:
          key.inbound === null ? null : { ...key.inbound, host: connectHostOf(key.publicHost, key.baseUrl) },
      });
      const described = input === null ? null : describeConnection(input);
      if (described?.ok === true) {
        connections.push(described.value);
      } else {
        unrenderable += 1;
      }
    }
  }
  const state: SubscriptionState = view.isBanned
    ? 'blocked'
    : !view.isEntitled
      ? 'expired'
      : connections.length === 0
        ? 'no-keys'
        : 'active';
  const placeholder =
    state === 'active'
      ? null
      : placeholderConnection(
          state === 'blocked'
            ? texts.placeholderBlocked
            : state === 'expired'
              ? texts.placeholderExpired(botUsername)
              : texts.placeholderNoKeys(botUsername),
        );
  return {
    state,
    connections: uniqueNames(connections),
    unrenderable,
    placeholder,
    usedBytes: Math.max(0, view.usedBytes),
    totalBytes: view.plan?.trafficLimitBytes ?? 0,
    expireSeconds: view.coverageEndsAt === null ? 0 : Math.floor(view.coverageEndsAt.getTime() / 1000),
  };
}

/**
 * The `subscription-userinfo` value. keywarden counts a period's traffic as one number (the quota
 * baseline is on up+down), so all of it is reported as download and upload is 0, as Marzban and
 * PasarGuard do; apps show upload + download against total.
 */
export const userinfoOf = (summary: SubscriptionSummary): string =>
  `upload=0; download=${summary.usedBytes}; total=${summary.totalBytes}; expire=${summary.expireSeconds}`;
