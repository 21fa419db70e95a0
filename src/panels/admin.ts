/**
 * Panel administration as use cases, shared by `keywarden panels add|test|update|remove` and the
 * console's panels page, so both run the same checks in the same order and write through the same
 * repository (src/db repositories/panels.ts: credentials sealed with KEYWARDEN_SECRET_KEY, NOTIFY
 * wakes the reconciler):
 *
 *   add:    name rule → URL rule → name free → check (unless skipped) → insert → record inbounds
 *   test:   load the saved connection → check → record generation, version and inbounds
 *   update: name → URL rule → check the new reach (unless skipped or only the mode changes) → write
 *
 * The checks of a saved panel (test, update) log in through the failed-login state the daemon shares
 * (src/store/login-guard.ts): withheld with one line while the back-off says wait. `add` has no row
 * yet, so no shared state: it tries once.
 *   remove: refused while live keys are on it unless forced (which revokes them)
 *
 * Every failure is a value with one line that names no secret (no password, token or web base path);
 * the caller adds its own hint ("--no-check saves anyway" or the console's checkbox).
 */
import {
  addPanel,
  DuplicatePanelNameError,
  findPanelByName,
  loadPanelConnection,
  PanelAuthError,
  recordPanelInbounds,
  removePanel,
  updatePanel,
  type PanelAuth,
  type PanelPatch,
  type PanelSummary,
  type Pool,
  type RemovePanelOutcome,
  type SecretBox,
  type StoredPanelConnection,
} from '../db/index.ts';
import type { PanelId } from '../domain/index.ts';
import type { Logger } from '../shared/index.ts';
import { createLoginGuard } from '../store/index.ts';
import { checkPanel, type PanelCheckResult, type PanelCheckTarget, type PanelProblem } from './check.ts';
import { checkPanelUrl, panelNameProblem } from './names.ts';
import { TESTED_RANGE_TEXT } from './version.ts';

/** What the use cases need: the database, the key that seals credentials, and how to check. */
export interface PanelAdminContext {
  readonly pool: Pool;
  /** From KEYWARDEN_SECRET_KEY; undefined stores credentials in plain text (warned at start-up). */
  readonly secrets: SecretBox | undefined;
  /** Deadline of each HTTP exchange of a check, in ms (KEYWARDEN_PANEL_TIMEOUT). */
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly signal: AbortSignal;
}

/** A check that passed. */
export type PanelCheckPassed = PanelCheckResult & { readonly ok: true };

/** Why a use case did nothing; `message` is one line without secrets. */
export type PanelAdminRefusal =
  | { readonly ok: false; readonly kind: 'invalid'; readonly message: string }
  | { readonly ok: false; readonly kind: 'exists'; readonly message: string }
  | { readonly ok: false; readonly kind: 'not-found'; readonly message: string }
  /** The stored credentials cannot be opened (sealed under a key this process does not have). */
  | { readonly ok: false; readonly kind: 'unreadable'; readonly message: string }
  | {
      readonly ok: false;
      readonly kind: 'check-failed';
      readonly problem: PanelProblem;
      readonly message: string;
    }
  | {
      readonly ok: false;
      readonly kind: 'has-live-keys';
      readonly liveKeys: number;
      readonly message: string;
    };

/** A new panel as the operator typed it (name and URL not yet validated). */
export interface PanelDraft {
  readonly name: string;
  readonly url: string;
  readonly auth: PanelAuth;
  readonly caPem?: string | undefined;
  readonly tlsSkipVerify: boolean;
  /** Observe only from the start. */
  readonly suspended: boolean;
  readonly publicHost?: string | undefined;
  /** Save without checking (`--no-check`, the console's "save without check"). */
  readonly skipCheck: boolean;
}

/** What changes on a saved panel; absent fields stay as they are. */
export interface PanelChange {
  readonly url?: string;
  readonly auth?: PanelAuth;
  readonly caPem?: string;
  readonly tlsSkipVerify?: boolean;
  readonly suspended?: boolean;
  readonly skipCheck: boolean;
}

const noPanel = (name: string): PanelAdminRefusal => ({
  ok: false,
  kind: 'not-found',
  message: `no panel named ${JSON.stringify(name)}`,
});

/** The name rule and the URL rule, as one refusal or the normalised base URL. */
function validate(name: string, url: string | undefined): PanelAdminRefusal | { ok: true; baseUrl?: string } {
  const nameProblem = panelNameProblem(name);
  if (nameProblem !== undefined) {
    return { ok: false, kind: 'invalid', message: nameProblem };
  }
  if (url === undefined) {
    return { ok: true };
  }
  const checked = checkPanelUrl(url);
  return checked.ok
    ? { ok: true, baseUrl: checked.baseUrl }
    : { ok: false, kind: 'invalid', message: checked.problem };
}

/** The CA certificate rule: a PEM certificate, or the one-line reason it is refused. */
export function caPemProblem(pem: string): string | undefined {
  return pem.includes('-----BEGIN CERTIFICATE-----')
    ? undefined
    : 'the CA certificate is not in PEM form (-----BEGIN CERTIFICATE-----)';
}

/** A saved panel's connection and summary, or why not. */
async function loadSaved(
  context: PanelAdminContext,
  name: string,
): Promise<{ ok: true; stored: StoredPanelConnection; panel: PanelSummary } | PanelAdminRefusal> {
  let stored: StoredPanelConnection | null;
  try {
    stored = await loadPanelConnection(context.pool, name, context.secrets);
  } catch (error) {
    if (error instanceof PanelAuthError) {
      // Names the panel and the setting, never a secret.
      return { ok: false, kind: 'unreadable', message: error.message };
    }
    throw error;
  }
  const panel = await findPanelByName(context.pool, name);
  return stored === null || panel === null ? noPanel(name) : { ok: true, stored, panel };
}

async function findSummary(
  context: PanelAdminContext,
  name: string,
): Promise<{ ok: true; stored?: undefined; panel: PanelSummary } | PanelAdminRefusal> {
  const panel = await findPanelByName(context.pool, name);
  return panel === null ? noPanel(name) : { ok: true, panel };
}

/**
 * Runs a check. A saved panel's (`target.panelId`) login goes through the failed-login state shared
 * with the daemon (src/store/login-guard.ts), so tests and edits never trip the panel's lockout.
 */
async function runCheck(context: PanelAdminContext, target: PanelCheckTarget): Promise<PanelCheckResult> {
  return checkPanel(target, {
    timeoutMs: context.timeoutMs,
    logger: context.logger,
    signal: context.signal,
    loginGuard: createLoginGuard(context.pool),
  });
}

const checkFailed = (result: PanelCheckResult & { ok: false }): PanelAdminRefusal => ({
  ok: false,
  kind: 'check-failed',
  problem: result.problem,
  message: result.message,
});

/** What an admin audit row records of a passed check (the CLI and the console write the same). */
export function panelCheckAuditDetail(
  check: PanelCheckPassed | undefined,
): Readonly<Record<string, unknown>> {
  return check === undefined
    ? {}
    : { generation: check.generation, version: check.version.panelVersion, inbounds: check.inbounds.length };
}

/** What a passed check found, as the operator reads it: `g2, v3.6.0, 2 inbounds`. */
export function describePanelCheck(result: PanelCheckPassed): string {
  const version = result.version.panelVersion ?? 'version not reported';
  const untested =
    result.version.isTested === false ? ` (outside the tested range ${TESTED_RANGE_TEXT})` : '';
  const inbounds = `${String(result.inbounds.length)} inbound${result.inbounds.length === 1 ? '' : 's'}`;
  return `${result.generation}, ${version}${untested}, ${inbounds}`;
}

/**
 * Adds a panel: validated, checked (unless `skipCheck`) and then saved with what the check found
 * (generation, version, inbounds). A failed check saves nothing.
 */
export async function addCheckedPanel(
  context: PanelAdminContext,
  draft: PanelDraft,
): Promise<
  | { readonly ok: true; readonly id: PanelId; readonly check: PanelCheckPassed | undefined }
  | PanelAdminRefusal
> {
  const valid = validate(draft.name, draft.url);
  if (!valid.ok) {
    return valid;
  }
  const caProblem = draft.caPem === undefined ? undefined : caPemProblem(draft.caPem);
  if (caProblem !== undefined) {
    return { ok: false, kind: 'invalid', message: caProblem };
  }
  const baseUrl = valid.baseUrl ?? draft.url;
  const exists: PanelAdminRefusal = {
    ok: false,
    kind: 'exists',
    message: `a panel named ${JSON.stringify(draft.name)} already exists`,
  };
  if ((await findPanelByName(context.pool, draft.name)) !== null) {
    return exists;
  }
  let check: PanelCheckPassed | undefined;
  if (!draft.skipCheck) {
    const result = await runCheck(context, {
      name: draft.name,
      baseUrl,
      auth: draft.auth,
      tlsSkipVerify: draft.tlsSkipVerify,
      caPem: draft.caPem,
    });
    if (!result.ok) {
      return checkFailed(result);
    }
    check = result;
  }
  let id: PanelId;
  try {
    id = await addPanel(
      context.pool,
      {
        name: draft.name,
        baseUrl,
        auth: draft.auth,
        suspended: draft.suspended,
        tlsSkipVerify: draft.tlsSkipVerify,
        caPem: draft.caPem ?? null,
        publicHost: draft.publicHost ?? null,
        apiGeneration: check?.generation ?? null,
        panelVersion: check?.version.panelVersion ?? null,
      },
      context.secrets,
    );
  } catch (error) {
    // Another admin saved the same name between the lookup and the insert.
    if (error instanceof DuplicatePanelNameError) {
      return exists;
    }
    throw error;
  }
  if (check !== undefined) {
    await recordPanelInbounds(context.pool, id, check.inbounds);
  }
  return { ok: true, id, check };
}

/** Checks a saved panel with its stored credentials and records what it found. */
export async function testSavedPanel(
  context: PanelAdminContext,
  name: string,
): Promise<
  { readonly ok: true; readonly panel: PanelSummary; readonly check: PanelCheckPassed } | PanelAdminRefusal
> {
  const valid = validate(name, undefined);
  if (!valid.ok) {
    return valid;
  }
  const saved = await loadSaved(context, name);
  if (!saved.ok) {
    return saved;
  }
  const { stored, panel } = saved;
  const result = await runCheck(context, {
    name,
    panelId: panel.id,
    baseUrl: stored.baseUrl,
    auth: stored.auth,
    tlsSkipVerify: stored.tlsSkipVerify,
    caPem: stored.caPem ?? undefined,
  });
  if (!result.ok) {
    return checkFailed(result);
  }
  await updatePanel(context.pool, panel.id, {
    apiGeneration: result.generation,
    ...(result.version.panelVersion === null ? {} : { panelVersion: result.version.panelVersion }),
  });
  await recordPanelInbounds(context.pool, panel.id, result.inbounds);
  return { ok: true, panel, check: result };
}

/**
 * Changes a saved panel. A new URL, credentials or TLS setting is checked first (unless `skipCheck`),
 * against the new values merged with the stored ones; a failed check changes nothing. Suspend and
 * resume alone need no check. Resolves to the fields changed (`url`, `credentials`, `suspended`, ...).
 */
export async function updateSavedPanel(
  context: PanelAdminContext,
  name: string,
  change: PanelChange,
): Promise<
  | {
      readonly ok: true;
      readonly panel: PanelSummary;
      readonly changed: readonly string[];
      readonly check: PanelCheckPassed | undefined;
    }
  | PanelAdminRefusal
> {
  const valid = validate(name, change.url);
  if (!valid.ok) {
    return valid;
  }
  const caProblem = change.caPem === undefined ? undefined : caPemProblem(change.caPem);
  if (caProblem !== undefined) {
    return { ok: false, kind: 'invalid', message: caProblem };
  }
  const baseUrl = valid.baseUrl;
  const patch: PanelPatch = {
    ...(baseUrl === undefined ? {} : { baseUrl }),
    ...(change.auth === undefined ? {} : { auth: change.auth }),
    ...(change.suspended === undefined ? {} : { suspended: change.suspended }),
    ...(change.tlsSkipVerify === undefined ? {} : { tlsSkipVerify: change.tlsSkipVerify }),
    ...(change.caPem === undefined ? {} : { caPem: change.caPem }),
  };
  const changed = Object.keys(patch).map((key) =>
    key === 'auth' ? 'credentials' : key === 'baseUrl' ? 'url' : key,
  );
  if (changed.length === 0) {
    return { ok: false, kind: 'invalid', message: 'nothing to change' };
  }
  const isReachChanged =
    baseUrl !== undefined ||
    change.auth !== undefined ||
    change.tlsSkipVerify !== undefined ||
    change.caPem !== undefined;
  const isChecked = isReachChanged && !change.skipCheck;
  // Suspend and resume alone do not need the stored credentials (they may be sealed under another key).
  const saved = isChecked ? await loadSaved(context, name) : await findSummary(context, name);
  if (!saved.ok) {
    return saved;
  }
  const { panel } = saved;
  let checkPatch: PanelPatch = {};
  let check: PanelCheckPassed | undefined;
  if (isChecked && saved.stored !== undefined) {
    const { stored } = saved;
    const result = await runCheck(context, {
      name,
      panelId: panel.id,
      baseUrl: baseUrl ?? stored.baseUrl,
      auth: change.auth ?? stored.auth,
      tlsSkipVerify: change.tlsSkipVerify ?? stored.tlsSkipVerify,
      caPem: change.caPem ?? stored.caPem ?? undefined,
    });
    if (!result.ok) {
      return checkFailed(result);
    }
    check = result;
    checkPatch = {
      apiGeneration: result.generation,
      ...(result.version.panelVersion === null ? {} : { panelVersion: result.version.panelVersion }),
    };
    await recordPanelInbounds(context.pool, panel.id, result.inbounds);
  } else if (baseUrl !== undefined) {
    // A new URL may be another panel: forget what the old one was until the next read.
    checkPatch = { apiGeneration: null, panelVersion: null };
  }
  if (!(await updatePanel(context.pool, panel.id, { ...patch, ...checkPatch }, context.secrets))) {
    return noPanel(name);
  }
  return { ok: true, panel, changed, check };
}

/**
 * Removes a saved panel from keywarden (nothing is deleted on the panel itself): refused while live
 * keys are on it unless `force`, which revokes them in the same transaction.
 */
export async function removeSavedPanel(
  context: Pick<PanelAdminContext, 'pool'>,
  name: string,
  options: { readonly force: boolean },
): Promise<
  { readonly ok: true; readonly panel: PanelSummary; readonly revokedKeys: number } | PanelAdminRefusal
> {
  const valid = validate(name, undefined);
  if (!valid.ok) {
    return valid;
  }
  const panel = await findPanelByName(context.pool, name);
  if (panel === null) {
    return noPanel(name);
  }
  const outcome: RemovePanelOutcome = await removePanel(context.pool, panel.id, options);
  switch (outcome.kind) {
    case 'not-found':
      return noPanel(name);
    case 'has-live-keys':
      return {
        ok: false,
        kind: 'has-live-keys',
        liveKeys: outcome.liveKeys,
        message: `panel ${name} has ${String(outcome.liveKeys)} live key${outcome.liveKeys === 1 ? '' : 's'}`,
      };
    case 'removed':
      return { ok: true, panel, revokedKeys: outcome.revokedKeys };
  }
}
