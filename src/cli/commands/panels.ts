import { addPanel, secretBoxFrom, type PanelAuth } from '../../db/index.ts';
import { formatTable, println, withPool } from '../pool.ts';
import { booleanFlag, requiredFlag, stringFlag, UsageError, type Command } from '../command.ts';

/**
 * `keywarden panels add --name N --url URL (--username U --password P | --token T)` and
 * `keywarden panels list`. Secrets can come from KEYWARDEN_PANEL_PASSWORD / KEYWARDEN_PANEL_TOKEN
 * instead of flags (flags end up in shell history).
 */
export const panelsCommand: Command = {
  name: 'panels',
  summary:
    'manage panels: `panels add --name N --url URL (--username U --password P | --token T)`, `panels list`',
  usage: 'add --name N --url URL (--username U [--password P] | [--token T]) [--suspended] | list [--json]',
  flags: {
    name: { type: 'string' },
    url: { type: 'string' },
    username: { type: 'string' },
    password: { type: 'string' },
    token: { type: 'string' },
    suspended: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  positionals: { min: 1, max: 1 },
  run: async (context) => {
    const sub = context.positionals[0];
    if (sub === 'add') {
      const name = requiredFlag(context, 'name');
      let url = requiredFlag(context, 'url');
      try {
        new URL(url);
      } catch {
        // Reported as a usage error below.
        throw new UsageError('--url must be an absolute http(s) URL including the panel base path');
      }
      if (!url.endsWith('/')) {
        url = `${url}/`;
      }
      const username = stringFlag(context, 'username');
      const token =
        stringFlag(context, 'token') ?? (username === undefined ? context.config.panelToken : undefined);
      const password = stringFlag(context, 'password') ?? context.config.panelPassword;
      let auth: PanelAuth;
      if (username !== undefined) {
        if (password === undefined) {
          throw new UsageError('--password (or KEYWARDEN_PANEL_PASSWORD) is required with --username');
        }
        auth = { kind: 'password', username, password };
      } else if (token !== undefined) {
        auth = { kind: 'token', token };
      } else {
        throw new UsageError('give --username and --password, or --token (or KEYWARDEN_PANEL_TOKEN)');
      }
      return withPool(context, async (pool) => {
        const id = await addPanel(
          pool,
          {
            name,
            baseUrl: url,
            auth,
            suspended: booleanFlag(context, 'suspended'),
          },
          secretBoxFrom(context.config),
        );
        println(context, `panel ${name} added (id ${id})`);
        return 0;
      });
    }
    if (sub === 'list') {
      return withPool(context, async (pool) => {
        const { rows } = await pool.query<{
          id: string;
          name: string;
          base_url: string;
          auth_kind: string;
          api_generation: string | null;
          is_enabled: boolean;
          suspended: boolean;
        }>(
          // The web base path is a secret of the panel (it hides the login page): only the origin is shown.
          `select id::text, name, regexp_replace(base_url, '^(https?://[^/]+)/.*$', '\\1/…') as base_url,
                  auth ->> 'kind' as auth_kind, api_generation, is_enabled, suspended
           from panels order by id`,
        );
        if (booleanFlag(context, 'json')) {
          println(context, JSON.stringify(rows, null, 2));
          return 0;
        }
        println(
          context,
          formatTable(
            ['id', 'name', 'url', 'auth', 'generation', 'enabled', 'mode'],
            rows.map((row) => [
              row.id,
              row.name,
              row.base_url,
              row.auth_kind,
              row.api_generation ?? '?',
              row.is_enabled ? 'yes' : 'no',
              row.suspended ? 'observe' : 'enforce',
            ]),
          ),
        );
        return 0;
      });
    }
    throw new UsageError(`unknown subcommand ${JSON.stringify(sub)}: use add or list`);
  },
};
