/**
 * The panels repository: every write and read of `panels.auth` goes through here, so credentials
 * are sealed (AES-256-GCM, src/db/secret-box.ts) whenever KEYWARDEN_SECRET_KEY is set.
 *
 * `panels.auth` is `{"kind": "password" | "token", "sealed": "kw1:..."}` when sealed (the kind
 * stays readable for `panels list`), or the plain `{"kind":"password","username","password"}` /
 * `{"kind":"token","token"}` written without a key. Plain rows stay readable, so setting a key
 * does not lock out existing panels; `keywarden rekey` seals them.
 */
import type pg from 'pg';
import { asPanelId, type PanelId } from '../../domain/index.ts';
import { withTransaction } from '../pool.ts';
import { isSealed, SecretBoxError, type SecretBox } from '../secret-box.ts';

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
export async function addPanel(
  db: pg.Pool | pg.ClientBase,
  panel: NewPanel,
  secrets?: SecretBox,
): Promise<PanelId> {
  const baseUrl = panel.baseUrl.endsWith('/') ? panel.baseUrl : `${panel.baseUrl}/`;
  const { rows } = await db.query<{ id: string }>(
    `insert into panels (name, base_url, auth, suspended, public_host, tls_skip_verify)
     values ($1, $2, $3, $4, $5, $6) returning id`,
    [
      panel.name,
      baseUrl,
      JSON.stringify(sealPanelAuth(panel.auth, secrets)),
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

/** The additional authenticated data of a sealed `panels.auth`. */
const AUTH_PURPOSE = 'keywarden:panels.auth';

/** Thrown when a stored `panels.auth` cannot be read; the message names the panel, never a secret. */
export class PanelAuthError extends Error {
  readonly panelId: string;
  constructor(panelId: string, reason: string, options?: { cause?: unknown }) {
    super(`panel ${panelId}: ${reason}`, options);
    this.name = 'PanelAuthError';
    this.panelId = panelId;
  }
}

/** The JSON to store in `panels.auth`: sealed when a box is given, else the credentials as they are. */
export function sealPanelAuth(auth: PanelAuth, secrets: SecretBox | undefined): Record<string, unknown> {
  if (secrets === undefined) {
    return { ...auth };
  }
  return { kind: auth.kind, sealed: secrets.seal(JSON.stringify(auth), AUTH_PURPOSE) };
}

function parsePlainAuth(panelId: string, raw: unknown): PanelAuth {
  if (typeof raw === 'object' && raw !== null) {
    const record = raw as Record<string, unknown>;
    if (record['kind'] === 'token' && typeof record['token'] === 'string') {
      return { kind: 'token', token: record['token'] };
    }
    if (
      record['kind'] === 'password' &&
      typeof record['username'] === 'string' &&
      typeof record['password'] === 'string'
    ) {
      return { kind: 'password', username: record['username'], password: record['password'] };
    }
  }
  throw new PanelAuthError(
    panelId,
    'auth must be {kind:"password",username,password} or {kind:"token",token}',
  );
}

/**
 * Reads a stored `panels.auth` value (sealed or plain). Throws PanelAuthError when it is sealed and
 * no key opens it (KEYWARDEN_SECRET_KEY unset or another key), or when its shape is wrong.
 */
export function openPanelAuth(panelId: string, raw: unknown, secrets: SecretBox | undefined): PanelAuth {
  const sealed =
    typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)['sealed'] : undefined;
  if (sealed === undefined) {
    return parsePlainAuth(panelId, raw);
  }
  if (!isSealed(sealed)) {
    throw new PanelAuthError(panelId, 'auth.sealed is not a sealed value');
  }
  if (secrets === undefined) {
    throw new PanelAuthError(panelId, 'its credentials are encrypted and KEYWARDEN_SECRET_KEY is not set');
  }
  let text: string;
  try {
    text = secrets.open(sealed, AUTH_PURPOSE);
  } catch (thrown) {
    if (thrown instanceof SecretBoxError) {
      throw new PanelAuthError(panelId, thrown.message, { cause: thrown });
    }
    throw thrown;
  }
  return parsePlainAuth(panelId, JSON.parse(text) as unknown);
}

/** How many panels keep their credentials in plain text, and how many under another key. */
export async function countUnsealedPanels(
  db: pg.Pool | pg.ClientBase,
  secrets: SecretBox | undefined,
): Promise<{ readonly plain: number; readonly otherKey: number }> {
  const { rows } = await db.query<{ sealed: string | null }>(
    `select auth ->> 'sealed' as sealed from panels`,
  );
  let plain = 0;
  let otherKey = 0;
  for (const row of rows) {
    if (row.sealed === null) {
      plain += 1;
    } else if (secrets !== undefined && secrets.keyIdOf(row.sealed) !== secrets.keyId) {
      otherKey += 1;
    }
  }
  return { plain, otherKey };
}

/** What `rekeyPanels` did. */
export interface RekeyReport {
  /** Panels whose credentials were sealed again under the current key (plain or another key before). */
  readonly resealed: readonly string[];
  /** Panels already sealed under the current key. */
  readonly unchanged: number;
}

/**
 * Seals every panel's credentials under the current key: plain ones, and ones sealed under a
 * previous key (KEYWARDEN_SECRET_KEY_PREVIOUS). One transaction with the rows locked, so either every
 * panel moves to the new key or none does; a value no known key opens stops it with PanelAuthError.
 */
export async function rekeyPanels(pool: pg.Pool, secrets: SecretBox): Promise<RekeyReport> {
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ id: string; name: string; auth: unknown }>(
      'select id::text, name, auth from panels order by id for update',
    );
    const resealed: string[] = [];
    let unchanged = 0;
    for (const row of rows) {
      const sealed = (row.auth as Record<string, unknown> | null)?.['sealed'];
      if (typeof sealed === 'string' && secrets.keyIdOf(sealed) === secrets.keyId) {
        unchanged += 1;
        continue;
      }
      const auth = openPanelAuth(row.id, row.auth, secrets);
      await client.query('update panels set auth = $2 where id = $1', [
        row.id,
        JSON.stringify(sealPanelAuth(auth, secrets)),
      ]);
      resealed.push(row.name);
    }
    return { resealed, unchanged };
  });
}
