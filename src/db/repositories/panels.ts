import type pg from 'pg';
import { asPanelId, type PanelId } from '../../domain/index.ts';

/** Credentials of a panel: a username/password session, or a Bearer API token (3x-ui v3+). */
export type PanelAuth =
  | { readonly kind: 'password'; readonly username: string; readonly password: string }
  | { readonly kind: 'token'; readonly token: string };

/** What `addPanel` takes. */
export interface NewPanel {
  readonly name: string;
  /** Full URL including the panel's webBasePath; a missing trailing `/` is added. */
  readonly baseUrl: string;
  readonly auth: PanelAuth;
  /** Observe only: the reconciler plans but writes nothing to this panel. */
  readonly suspended?: boolean;
  /** The host to put in connection links; default: the host of baseUrl. */
  readonly publicHost?: string | null;
  readonly tlsSkipVerify?: boolean;
}

/**
 * Registers a panel. The NOTIFY trigger wakes the reconciler, which probes its API generation and
 * reads its inbounds. Names are unique: a second panel with the same name is refused by the database.
 */
export async function addPanel(db: pg.Pool | pg.ClientBase, panel: NewPanel): Promise<PanelId> {
  const baseUrl = panel.baseUrl.endsWith('/') ? panel.baseUrl : `${panel.baseUrl}/`;
  const { rows } = await db.query<{ id: string }>(
    `insert into panels (name, base_url, auth, suspended, public_host, tls_skip_verify)
     values ($1, $2, $3, $4, $5, $6) returning id`,
    [
      panel.name,
      baseUrl,
      JSON.stringify(panel.auth),
      panel.suspended ?? false,
      panel.publicHost ?? null,
      panel.tlsSkipVerify ?? false,
    ],
  );
  const id = rows[0]?.id;
  if (id === undefined) {
    throw new Error(`insert of panel ${panel.name} returned no row`);
  }
  return asPanelId(id);
}
