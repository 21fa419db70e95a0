/**
 * The columns of a key's observed inbound as the key queries select them (`i.protocol, i.port,
 * i.remark, i.settings, i.stream_settings` from a left join on `inbounds`), and the one mapping
 * from them to what a key's connection link needs: the bot, the console, the CLI and the
 * subscription service read a key's inbound the same way.
 */
import type { KeyWithInbound } from '../../links/index.ts';

/** The left-joined inbound columns: protocol and port are null while the inbound is unobserved. */
export interface InboundColumns {
  readonly protocol: string | null;
  readonly port: number | null;
  readonly remark: string | null;
  readonly settings: unknown;
  readonly stream_settings: unknown;
}

/** A key's inbound as last observed: a link's inbound (src/links) without the host to connect to. */
export type ObservedInboundView = Omit<NonNullable<KeyWithInbound['inbound']>, 'host'>;

/** The inbound of a row, or null while the reconciler has not observed it. */
export function inboundOfRow(row: InboundColumns): ObservedInboundView | null {
  if (row.protocol === null || row.port === null) {
    return null;
  }
  return {
    protocol: row.protocol,
    port: row.port,
    remark: row.remark ?? '',
    settings: row.settings,
    streamSettings: row.stream_settings,
  };
}
