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
  /** A CA certificate (PEM) to trust for this panel's HTTPS. */
  readonly caPem?: string | null;
  /** What a check before saving found (`panels add`); null or absent when not checked. */
  readonly apiGeneration?: 'g1' | 'g2' | null;
  readonly panelVersion?: string | null;
}

/** A panel name is taken (names are unique among panels that are not removed). */
export class DuplicatePanelNameError extends Error {
  override readonly name = 'DuplicatePanelNameError';
  readonly panelName: string;
  constructor(panelName: string) {
    super(`a panel named ${JSON.stringify(panelName)} already exists`);
    this.panelName = panelName;
  }
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
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
  let rows: Array<{ id: string }>;
  try {
    ({ rows } = await db.query<{ id: string }>(
      `insert into panels (name, base_url, auth, suspended, public_host, tls_skip_verify, ca_pem, api_generation, panel_version)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id`,
      [
        panel.name,
        baseUrl,
        JSON.stringify(sealPanelAuth(panel.auth, secrets)),
        panel.suspended ?? false,
        panel.publicHost ?? null,
        panel.tlsSkipVerify ?? false,
        panel.caPem ?? null,
        panel.apiGeneration ?? null,
        panel.panelVersion ?? null,
      ],
    ));
  } catch (error) {
    // The only unique key of panels is the name; pg's error detail would quote the row (secrets).
    if (isUniqueViolation(error)) {
      throw new DuplicatePanelNameError(panel.name);
    }
    throw error;
  }
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

/** A saved panel without its secrets (what `panels list` and checks show). */
export interface PanelSummary {
  readonly id: PanelId;
  readonly name: string;
  /** Full URL with the web base path: a secret of sorts, never printed as is. */
  readonly baseUrl: string;
  readonly authKind: 'password' | 'token';
  readonly apiGeneration: 'g1' | 'g2' | null;
  readonly panelVersion: string | null;
  readonly isEnabled: boolean;
  readonly suspended: boolean;
  readonly tlsSkipVerify: boolean;
  readonly hasCaPem: boolean;
  readonly inboundCount: number;
  readonly liveKeys: number;
  /** Last reconciler read: null when never read. */
  readonly lastReadAt: Date | null;
  readonly lastReadOk: boolean | null;
  readonly lastError: string | null;
}

interface SummaryRow {
  id: string;
  name: string;
  base_url: string;
  auth_kind: 'password' | 'token';
  api_generation: 'g1' | 'g2' | null;
  panel_version: string | null;
  is_enabled: boolean;
  suspended: boolean;
  tls_skip_verify: boolean;
  has_ca_pem: boolean;
  inbound_count: number;
  live_keys: number;
  last_read_at: Date | null;
  last_read_ok: boolean | null;
  last_error: string | null;
}

const SUMMARY_SELECT = `select p.id::text, p.name, p.base_url, p.auth ->> 'kind' as auth_kind, p.api_generation,
    p.panel_version, p.is_enabled, p.suspended, p.tls_skip_verify, p.ca_pem is not null as has_ca_pem,
    (select count(*)::int from inbounds i where i.panel_id = p.id) as inbound_count,
    (select count(*)::int from vpn_keys k where k.panel_id = p.id and k.revoked_at is null) as live_keys,
    p.last_read_at, p.last_read_ok, p.last_error
  from panels p where p.removed_at is null`;

function toSummary(row: SummaryRow): PanelSummary {
  return {
    id: asPanelId(row.id),
    name: row.name,
    baseUrl: row.base_url,
    authKind: row.auth_kind,
    apiGeneration: row.api_generation,
    panelVersion: row.panel_version,
    isEnabled: row.is_enabled,
    suspended: row.suspended,
    tlsSkipVerify: row.tls_skip_verify,
    hasCaPem: row.has_ca_pem,
    inboundCount: row.inbound_count,
    liveKeys: row.live_keys,
    lastReadAt: row.last_read_at,
    lastReadOk: row.last_read_ok,
    lastError: row.last_error,
  };
}

/** Every panel that is not removed, by id, without secrets. */
export async function listPanels(db: pg.Pool | pg.ClientBase): Promise<PanelSummary[]> {
  const { rows } = await db.query<SummaryRow>(`${SUMMARY_SELECT} order by p.id`);
  return rows.map(toSummary);
}

/** One panel by name (not removed), without secrets; null when there is none. */
export async function findPanelByName(
  db: pg.Pool | pg.ClientBase,
  name: string,
): Promise<PanelSummary | null> {
  const { rows } = await db.query<SummaryRow>(`${SUMMARY_SELECT} and p.name = $1`, [name]);
  const row = rows[0];
  return row === undefined ? null : toSummary(row);
}

/** How to reach a saved panel, secrets included (for a check; never printed). */
export interface StoredPanelConnection {
  readonly id: PanelId;
  readonly name: string;
  readonly baseUrl: string;
  readonly auth: PanelAuth;
  readonly apiGeneration: 'g1' | 'g2' | null;
  readonly tlsSkipVerify: boolean;
  readonly caPem: string | null;
}

/** Reads a saved panel's connection, secrets included; null when there is no such panel. */
export async function loadPanelConnection(
  db: pg.Pool | pg.ClientBase,
  name: string,
  secrets: SecretBox | undefined,
): Promise<StoredPanelConnection | null> {
  const { rows } = await db.query<{
    id: string;
    name: string;
    base_url: string;
    auth: unknown;
    api_generation: 'g1' | 'g2' | null;
    tls_skip_verify: boolean;
    ca_pem: string | null;
  }>(
    `select id::text, name, base_url, auth, api_generation, tls_skip_verify, ca_pem
     from panels where name = $1 and removed_at is null`,
    [name],
  );
  const row = rows[0];
  if (row === undefined) {
    return null;
  }
  return {
    id: asPanelId(row.id),
    name: row.name,
    baseUrl: row.base_url,
    auth: openPanelAuth(row.id, row.auth, secrets),
    apiGeneration: row.api_generation,
    tlsSkipVerify: row.tls_skip_verify,
    caPem: row.ca_pem,
  };
}

/** What `updatePanel` may change; absent fields stay as they are. */
export interface PanelPatch {
  readonly baseUrl?: string;
  readonly auth?: PanelAuth;
  readonly suspended?: boolean;
  readonly tlsSkipVerify?: boolean;
  readonly caPem?: string | null;
  /** What a check found; written together with a new URL or credentials. */
  readonly apiGeneration?: 'g1' | 'g2' | null;
  readonly panelVersion?: string | null;
}

/** Changes a saved panel (the NOTIFY trigger wakes the reconciler); false when there is no such panel. */
export async function updatePanel(
  db: pg.Pool | pg.ClientBase,
  id: PanelId,
  patch: PanelPatch,
  secrets?: SecretBox,
): Promise<boolean> {
  const baseUrl =
    patch.baseUrl === undefined ? null : patch.baseUrl.endsWith('/') ? patch.baseUrl : `${patch.baseUrl}/`;
  const { rowCount } = await db.query(
    `update panels set
       base_url = coalesce($2, base_url),
       auth = coalesce($3::jsonb, auth),
       suspended = coalesce($4, suspended),
       tls_skip_verify = coalesce($5, tls_skip_verify),
       ca_pem = case when $6 then $7 else ca_pem end,
       api_generation = case when $8 then $9 else api_generation end,
       panel_version = case when $10 then $11 else panel_version end
     where id = $1 and removed_at is null`,
    [
      id,
      baseUrl,
      patch.auth === undefined ? null : JSON.stringify(sealPanelAuth(patch.auth, secrets)),
      patch.suspended ?? null,
      patch.tlsSkipVerify ?? null,
      patch.caPem !== undefined,
      patch.caPem ?? null,
      patch.apiGeneration !== undefined,
      patch.apiGeneration ?? null,
      patch.panelVersion !== undefined,
      patch.panelVersion ?? null,
    ],
  );
  return rowCount === 1;
}

/** One inbound as a check read it, for `recordPanelInbounds`. */
export interface PanelInboundRow {
  readonly id: number;
  readonly protocol: string;
  readonly port: number;
  readonly remark: string;
  readonly isEnabled: boolean;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly streamSettings: Readonly<Record<string, unknown>>;
  /** main: the inbound's `disableFlow`. */
  readonly isFlowDisabled?: boolean;
}

/**
 * Records a panel's inbounds as a check or a full pass read them (an inbound seen again is no longer
 * missing), so keys can be issued before the first pass.
 */
export async function recordPanelInbounds(
  db: pg.Pool | pg.ClientBase,
  panelId: PanelId,
  inbounds: ReadonlyArray<PanelInboundRow>,
): Promise<void> {
  if (inbounds.length === 0) {
    return;
  }
  await db.query(
    `insert into inbounds (panel_id, inbound_id, protocol, port, remark, is_enabled, settings, stream_settings,
                           disable_flow, observed_at)
     select $1, i.inbound_id, i.protocol, i.port, i.remark, i.is_enabled, i.settings, i.stream_settings,
            i.disable_flow, now()
     from unnest($2::int[], $3::text[], $4::int[], $5::text[], $6::boolean[], $7::jsonb[], $8::jsonb[], $9::boolean[])
       as i(inbound_id, protocol, port, remark, is_enabled, settings, stream_settings, disable_flow)
     on conflict (panel_id, inbound_id) do update set
       protocol = excluded.protocol, port = excluded.port, remark = excluded.remark,
       is_enabled = excluded.is_enabled, settings = excluded.settings,
       stream_settings = excluded.stream_settings, disable_flow = excluded.disable_flow,
       observed_at = excluded.observed_at, missing_since = null`,
    [
      panelId,
      inbounds.map((inbound) => inbound.id),
      inbounds.map((inbound) => inbound.protocol),
      inbounds.map((inbound) => inbound.port),
      inbounds.map((inbound) => inbound.remark),
      inbounds.map((inbound) => inbound.isEnabled),
      inbounds.map((inbound) => JSON.stringify(inbound.settings)),
      inbounds.map((inbound) => JSON.stringify(inbound.streamSettings)),
      inbounds.map((inbound) => inbound.isFlowDisabled ?? false),
    ],
  );
}

/** How `removePanel` ended. */
export type RemovePanelOutcome =
  | { readonly kind: 'removed'; readonly revokedKeys: number }
  | { readonly kind: 'has-live-keys'; readonly liveKeys: number }
  | { readonly kind: 'not-found' };

/**
 * Removes a panel from keywarden: refused while live keys are on it unless `force`, which revokes them
 * first. The row stays (keys, events and audit history point at it) but is disabled and marked removed,
 * which frees its name. Nothing is deleted from the 3x-ui panel itself.
 */
export async function removePanel(
  db: pg.Pool,
  id: PanelId,
  options: { readonly force: boolean },
): Promise<RemovePanelOutcome> {
  return withTransaction(db, async (client): Promise<RemovePanelOutcome> => {
    const found = await client.query('select 1 from panels where id = $1 and removed_at is null for update', [
      id,
    ]);
    if (found.rowCount !== 1) {
      return { kind: 'not-found' };
    }
    const { rows } = await client.query<{ live: number }>(
      'select count(*)::int as live from vpn_keys where panel_id = $1 and revoked_at is null',
      [id],
    );
    const live = rows[0]?.live ?? 0;
    if (live > 0 && !options.force) {
      return { kind: 'has-live-keys', liveKeys: live };
    }
    const revoked = await client.query(
      'update vpn_keys set revoked_at = now() where panel_id = $1 and revoked_at is null',
      [id],
    );
    await client.query('update panels set removed_at = now(), is_enabled = false where id = $1', [id]);
    return { kind: 'removed', revokedKeys: revoked.rowCount ?? 0 };
  });
}
