/**
 * Panel status for the console, the CLI and the overview: up or down as the reconciler last saw it,
 * which replica owns it, its inbounds, keys by desired state, drift, held disables and the last error.
 * Read from what the reconciler recorded; nothing here calls a panel.
 */
import type pg from 'pg';
import { asPanelId, type PanelId } from '../../domain/index.ts';

/** One panel's status. */
export interface PanelStatus {
  readonly id: PanelId;
  readonly name: string;
  readonly baseUrl: string;
  readonly authKind: string;
  readonly publicHost: string | null;
  readonly isEnabled: boolean;
  /** Observe only: planned, never written. */
  readonly suspended: boolean;
  /** API generation detected by the reconciler (`g1`, `g2`); null before the first read. */
  readonly generation: string | null;
  /** The panel's version as last read (`v3.6.0`); null when never reported. */
  readonly version: string | null;
  /** The panel's inbounds as last read, by id; `missingSince` set when the panel no longer lists it. */
  readonly inboundList: ReadonlyArray<{
    readonly id: number;
    readonly remark: string;
    readonly protocol: string;
    readonly port: number;
    readonly isEnabled: boolean;
    readonly missingSince: Date | null;
  }>;
  /** The reconciler's last read of the whole panel (panels.last_read_at/_ok/_error); null: never read. */
  readonly lastRead: {
    readonly at: Date;
    readonly ok: boolean;
    readonly error: string | null;
  } | null;
  /** true: last read worked; false: a key on it is observed `unknown`; null: never read. */
  readonly up: boolean | null;
  /** Replica holding the panel's lock, if any. */
  readonly ownedBy: string | null;
  readonly inbounds: number;
  readonly liveKeys: number;
  /** Keys by `desired kind:reason` (the `keywarden_keys` gauge's labels). */
  readonly keysByDesired: Readonly<Record<string, number>>;
  /** Keys whose observed state differs from desired (not converged). */
  readonly drifted: number;
  /** Disables held by the safety valve, awaiting an admin. */
  readonly held: number;
  readonly lastSyncAt: Date | null;
  /** The newest error the reconciler recorded for a key on this panel, and when. */
  readonly lastError: { readonly at: Date; readonly message: string } | null;
  readonly createdAt: Date;
}

interface PanelRow {
  id: string;
  name: string;
  base_url: string;
  auth_kind: string;
  public_host: string | null;
  is_enabled: boolean;
  suspended: boolean;
  api_generation: string | null;
  panel_version: string | null;
  inbound_list: Array<{
    id: number;
    remark: string;
    protocol: string;
    port: number;
    is_enabled: boolean;
    missing_since: string | null;
  }> | null;
  last_read_at: Date | null;
  last_read_ok: boolean | null;
  last_read_error: string | null;
  owner: string | null;
  inbounds: number;
  live_keys: number;
  keys: Record<string, number> | null;
  unknown_keys: number;
  drifted: number;
  held: number;
  last_sync: Date | null;
  last_error_at: Date | null;
  last_error: string | null;
  created_at: Date;
}

/**
 * Reads every panel's status (or one, by name); removed panels are left out. `lockClass` is the advisory lock class the
 * reconciler's leadership uses (sources LOCK_CLASS), passed in so db does not import sources.
 */
export async function readPanelStatuses(
  db: pg.Pool | pg.ClientBase,
  lockClass: number,
  options: { readonly name?: string } = {},
): Promise<readonly PanelStatus[]> {
  const { rows } = await db.query<PanelRow>(
    `select p.id::text, p.name, p.base_url, p.auth ->> 'kind' as auth_kind, p.public_host, p.is_enabled, p.suspended,
       p.api_generation, p.panel_version, p.created_at, p.last_read_at, p.last_read_ok,
       p.last_error as last_read_error,
       (select jsonb_agg(jsonb_build_object('id', i.inbound_id, 'remark', i.remark, 'protocol', i.protocol,
          'port', i.port, 'is_enabled', i.is_enabled, 'missing_since', i.missing_since) order by i.inbound_id)
        from inbounds i where i.panel_id = p.id) as inbound_list,
       (select a.application_name from pg_locks l join pg_stat_activity a on a.pid = l.pid
        where l.locktype = 'advisory' and l.granted and l.classid = $1::int::oid and l.objid = p.id::int::oid
          and l.objsubid = 2 limit 1) as owner,
       (select count(*)::int from inbounds i where i.panel_id = p.id) as inbounds,
       (select count(*)::int from vpn_keys k where k.panel_id = p.id and k.revoked_at is null) as live_keys,
       (select jsonb_object_agg(label, n) from (
          select (s.desired ->> 'kind') || ':' || (s.desired ->> 'reason') as label, count(*)::int as n
          from key_state s join vpn_keys k on k.id = s.key_id where k.panel_id = p.id group by 1) c) as keys,
       (select count(*)::int from key_state s join vpn_keys k on k.id = s.key_id
        where k.panel_id = p.id and s.observed ->> 'kind' = 'unknown') as unknown_keys,
       (select count(*)::int from key_state s join vpn_keys k on k.id = s.key_id
        where k.panel_id = p.id and not s.converged) as drifted,
       (select max(observed_at) from inbounds i where i.panel_id = p.id) as last_sync,
       (select coalesce(sum(action_count), 0)::int from held_plans h
        where h.panel_id = p.id and h.resolved_at is null and h.confirmed_at is null) as held,
       e.at as last_error_at, e.error as last_error
     from panels p
     left join lateral (
       select s.updated_at as at, s.last_error as error from key_state s join vpn_keys k on k.id = s.key_id
       where k.panel_id = p.id and coalesce(s.last_error, '') <> '' order by s.updated_at desc limit 1) e on true
     where p.removed_at is null and ($2::text is null or p.name = $2)
     order by p.id`,
    [lockClass, options.name ?? null],
  );
  return rows.map((row) => ({
    id: asPanelId(row.id),
    name: row.name,
    baseUrl: row.base_url,
    authKind: row.auth_kind,
    publicHost: row.public_host,
    isEnabled: row.is_enabled,
    suspended: row.suspended,
    generation: row.api_generation,
    version: row.panel_version,
    inboundList: (row.inbound_list ?? []).map((inbound) => ({
      id: inbound.id,
      remark: inbound.remark,
      protocol: inbound.protocol,
      port: inbound.port,
      isEnabled: inbound.is_enabled,
      missingSince: inbound.missing_since === null ? null : new Date(inbound.missing_since),
    })),
    lastRead:
      row.last_read_at === null
        ? null
        : { at: row.last_read_at, ok: row.last_read_ok ?? false, error: row.last_read_error },
    up: row.last_sync === null ? null : row.unknown_keys === 0,
    ownedBy: row.owner === null ? null : row.owner.replace(/^keywarden-lock /, ''),
    inbounds: row.inbounds,
    liveKeys: row.live_keys,
    keysByDesired: row.keys ?? {},
    drifted: row.drifted,
    held: row.held,
    lastSyncAt: row.last_sync,
    lastError:
      row.last_error === null || row.last_error_at === null
        ? null
        : { at: row.last_error_at, message: row.last_error },
    createdAt: row.created_at,
  }));
}
