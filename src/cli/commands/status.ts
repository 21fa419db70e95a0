import { countPaymentsByStatus } from '../../db/index.ts';
import { isTestedPanelVersion, panelVersionLabel } from '../../panels/index.ts';
import { LOCK_CLASS } from '../../store/index.ts';
import { booleanFlag, type Command } from '../command.ts';
import { formatTable, println, withPool } from '../pool.ts';

interface StatusRow {
  id: string;
  name: string;
  is_enabled: boolean;
  suspended: boolean;
  api_generation: string | null;
  panel_version: string | null;
  owner: string | null;
  keys: Record<string, number> | null;
  unknown_keys: number;
  drifted: number;
  needs_human: number;
  last_sync: Date | null;
  held: number;
}

/** `keywarden status [--json]`: per panel — up, owner, keys by desired state, drift, last full sync. */
export const statusCommand: Command = {
  name: 'status',
  summary: 'per panel: up, owned by, keys by desired state, drift, last full sync, held disables',
  usage: '[--json]',
  flags: { json: { type: 'boolean' } },
  run: async (context) =>
    withPool(context, async (pool) => {
      const { rows } = await pool.query<StatusRow>(
        `select p.id::text, p.name, p.is_enabled, p.suspended, p.api_generation, p.panel_version,
           (select a.application_name from pg_locks l join pg_stat_activity a on a.pid = l.pid
            where l.locktype = 'advisory' and l.granted and l.classid = $1::int::oid and l.objid = p.id::int::oid
              and l.objsubid = 2
              -- Advisory locks are per database: another keywarden on the same server is not an owner here.
              and l.database = (select oid from pg_database where datname = current_database())
            limit 1) as owner,
           (select jsonb_object_agg(label, n) from (
              select (s.desired ->> 'kind') || ':' || (s.desired ->> 'reason') as label, count(*)::int as n
              from key_state s join vpn_keys k on k.id = s.key_id where k.panel_id = p.id group by 1) c) as keys,
           (select count(*)::int from key_state s join vpn_keys k on k.id = s.key_id
            where k.panel_id = p.id and s.observed ->> 'kind' = 'unknown') as unknown_keys,
           (select count(*)::int from key_state s join vpn_keys k on k.id = s.key_id
            where k.panel_id = p.id and not s.converged) as drifted,
           (select count(*)::int from key_state s join vpn_keys k on k.id = s.key_id
            where k.panel_id = p.id and s.needs_human is not null) as needs_human,
           (select max(observed_at) from inbounds i where i.panel_id = p.id) as last_sync,
           (select coalesce(sum(action_count), 0)::int from held_plans h
            where h.panel_id = p.id and h.resolved_at is null) as held
         from panels p where p.removed_at is null order by p.id`,
        [LOCK_CLASS],
      );
      const panels = rows.map((row) => ({
        panel: row.name,
        panelId: row.id,
        enabled: row.is_enabled,
        suspended: row.suspended,
        generation: row.api_generation,
        version: row.panel_version,
        versionTested: isTestedPanelVersion(row.panel_version),
        up: row.last_sync === null ? null : row.unknown_keys === 0,
        ownedBy: row.owner === null ? null : row.owner.replace(/^keywarden-lock /, ''),
        keys: row.keys ?? {},
        drifted: row.drifted,
        needsHuman: row.needs_human,
        lastFullSync: row.last_sync?.toISOString() ?? null,
        held: row.held,
      }));
      // Mismatched payments granted nothing and wait for an admin: counted here, listed by `payments list`.
      const payments = await countPaymentsByStatus(pool);
      const mismatched = payments
        .filter((row) => row.status === 'mismatch')
        .reduce((sum, row) => sum + row.count, 0);
      if (booleanFlag(context, 'json')) {
        println(context, JSON.stringify({ panels, payments, mismatchedPayments: mismatched }, null, 2));
        return 0;
      }
      println(
        context,
        formatTable(
          ['panel', 'up', 'version', 'owner', 'mode', 'keys', 'drifted', 'needs human', 'held', 'last sync'],
          panels.map((panel) => [
            panel.panel,
            panel.up === null ? '?' : panel.up ? 'yes' : 'NO',
            panelVersionLabel(panel.version),
            panel.ownedBy ?? '-',
            !panel.enabled ? 'disabled' : panel.suspended ? 'observe' : 'enforce',
            Object.entries(panel.keys)
              .map(([label, count]) => `${label}=${String(count)}`)
              .join(' ') || '-',
            String(panel.drifted),
            String(panel.needsHuman),
            String(panel.held),
            panel.lastFullSync ?? 'never',
          ]),
        ),
      );
      if (payments.length > 0) {
        println(context);
        println(
          context,
          formatTable(
            ['payments', 'status', 'count'],
            payments.map((row) => [row.provider, row.status, String(row.count)]),
          ),
        );
      }
      if (mismatched > 0) {
        println(
          context,
          `${String(mismatched)} mismatched payment${mismatched === 1 ? '' : 's'} granted nothing and need${mismatched === 1 ? 's' : ''} a human: keywarden payments list --mismatched`,
        );
      }
      return 0;
    }),
};
