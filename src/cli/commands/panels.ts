import { readFileSync } from 'node:fs';
import {
  findPanelByName,
  listPanels,
  recordAdminAction,
  type PanelAuth,
  type PanelSummary,
  type Pool,
  secretBoxFrom,
} from '../../db/index.ts';
import {
  addCheckedPanel,
  checkPanelUrl,
  describePanelCheck,
  panelCheckAuditDetail,
  displayPanelUrl,
  panelNameProblem,
  isTestedPanelVersion,
  panelVersionLabel,
  removeSavedPanel,
  testSavedPanel,
  updateSavedPanel,
  type PanelAdminContext,
  type PanelAdminRefusal,
} from '../../panels/index.ts';
import { formatTable, println, withPool } from '../pool.ts';
import {
  AS_FLAG,
  booleanFlag,
  cliAdmin,
  CommandFailure,
  stringFlag,
  UsageError,
  type Command,
  type CommandContext,
} from '../command.ts';

/** A bad value on the command line: one line, exit 2 (no usage text, never a secret). */
const badInput = (message: string): UsageError => new UsageError(message, { showUsage: false });

function nameArgument(raw: string | undefined): string {
  if (raw === undefined) {
    throw new UsageError('give the panel NAME');
  }
  const problem = panelNameProblem(raw);
  if (problem !== undefined) {
    throw badInput(problem);
  }
  return raw;
}

function urlFlag(context: CommandContext): string | undefined {
  const raw = stringFlag(context, 'url');
  if (raw === undefined) {
    return undefined;
  }
  const checked = checkPanelUrl(raw);
  if (!checked.ok) {
    throw badInput(checked.problem);
  }
  return checked.baseUrl;
}

/** Credentials from the flags, or from KEYWARDEN_PANEL_PASSWORD / KEYWARDEN_PANEL_TOKEN; undefined when none given. */
function authFlags(context: CommandContext, isRequired: boolean): PanelAuth | undefined {
  const username = stringFlag(context, 'username');
  const flagToken = stringFlag(context, 'token');
  if (username !== undefined && flagToken !== undefined) {
    throw badInput('give --username/--password or --token, not both');
  }
  if (username !== undefined) {
    const password = stringFlag(context, 'password') ?? context.config.panelPassword;
    if (password === undefined || password === '') {
      throw badInput('--password (or KEYWARDEN_PANEL_PASSWORD) is required with --username');
    }
    return { kind: 'password', username, password };
  }
  if (stringFlag(context, 'password') !== undefined) {
    throw badInput('--password needs --username');
  }
  const token = flagToken ?? (isRequired ? context.config.panelToken : undefined);
  if (token !== undefined && token !== '') {
    return { kind: 'token', token };
  }
  if (isRequired) {
    throw badInput('give --username and --password, or --token (or KEYWARDEN_PANEL_TOKEN)');
  }
  return undefined;
}

function caFlag(context: CommandContext): string | undefined {
  const path = stringFlag(context, 'ca-file');
  if (path === undefined) {
    return undefined;
  }
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch {
    throw badInput(`cannot read --ca-file ${JSON.stringify(path)}`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw badInput(`--ca-file ${JSON.stringify(path)} holds no PEM certificate`);
  }
  return pem;
}

/** What the shared use cases need, from the command's config, logger and signal. */
function adminContext(context: CommandContext, pool: Pool): PanelAdminContext {
  return {
    pool,
    secrets: secretBoxFrom(context.config),
    timeoutMs: context.config.panelTimeoutMs,
    logger: context.logger,
    signal: context.signal,
  };
}

/** A refusal of the shared use cases as the CLI reports it: one line, exit 1 (bad input: exit 2). */
function refused(refusal: PanelAdminRefusal, checkHint: string): never {
  switch (refusal.kind) {
    case 'invalid':
      throw badInput(refusal.message);
    case 'check-failed':
      throw new CommandFailure(`${refusal.message} ${checkHint}`);
    case 'has-live-keys':
      throw new CommandFailure(`${refusal.message}: revoke them first, or use --force to revoke them`);
    case 'exists':
    case 'not-found':
    case 'unreadable':
      throw new CommandFailure(refusal.message);
  }
}

async function add(context: CommandContext): Promise<number> {
  const name = nameArgument(stringFlag(context, 'name') ?? context.positionals[1]);
  const baseUrl = urlFlag(context);
  if (baseUrl === undefined) {
    throw badInput('--url is required (the panel URL with its web base path)');
  }
  const auth = authFlags(context, true);
  if (auth === undefined) {
    throw badInput('give --username and --password, or --token');
  }
  const caPem = caFlag(context);
  const by = cliAdmin(context);
  const skipCheck = booleanFlag(context, 'no-check');
  return withPool(context, async (pool) => {
    const detail = {
      name,
      url: displayPanelUrl(baseUrl),
      authKind: auth.kind,
      isChecked: !skipCheck,
      isSuspended: booleanFlag(context, 'suspend'),
    };
    const outcome = await addCheckedPanel(adminContext(context, pool), {
      name,
      url: baseUrl,
      auth,
      caPem,
      tlsSkipVerify: booleanFlag(context, 'insecure-skip-verify'),
      suspended: booleanFlag(context, 'suspend'),
      publicHost: stringFlag(context, 'public-host'),
      skipCheck,
    });
    if (!outcome.ok) {
      if (outcome.kind === 'check-failed') {
        await recordAdminAction(pool, {
          ...by,
          action: 'panel.add',
          detail: { ...detail, problem: outcome.problem },
          outcome: 'check-failed',
        });
      }
      refused(outcome, '(nothing saved; --no-check saves anyway)');
    }
    await recordAdminAction(pool, {
      ...by,
      action: 'panel.add',
      panelId: outcome.id,
      detail: { ...detail, ...panelCheckAuditDetail(outcome.check) },
      outcome: 'ok',
    });
    println(
      context,
      outcome.check === undefined
        ? `panel ${name} added (id ${outcome.id}), not checked`
        : `panel ${name} added (id ${outcome.id}): ${describePanelCheck(outcome.check)}`,
    );
    return 0;
  });
}

async function test(context: CommandContext): Promise<number> {
  const name = nameArgument(context.positionals[1]);
  const by = cliAdmin(context);
  return withPool(context, async (pool) => {
    const outcome = await testSavedPanel(adminContext(context, pool), name);
    if (outcome.ok || outcome.kind === 'check-failed') {
      const panelId = outcome.ok ? outcome.panel.id : (await findPanelByName(pool, name))?.id;
      await recordAdminAction(pool, {
        ...by,
        action: 'panel.test',
        panelId: panelId ?? null,
        detail: outcome.ok
          ? { name, ...panelCheckAuditDetail(outcome.check) }
          : { name, problem: outcome.problem },
        outcome: outcome.ok ? 'ok' : 'check-failed',
      });
    }
    if (!outcome.ok) {
      if (outcome.kind === 'check-failed') {
        throw new CommandFailure(`panel ${name}: ${outcome.message}`);
      }
      refused(outcome, '');
    }
    println(context, `panel ${name} ok: ${describePanelCheck(outcome.check)}`);
    return 0;
  });
}

async function update(context: CommandContext): Promise<number> {
  const name = nameArgument(context.positionals[1]);
  const baseUrl = urlFlag(context);
  const auth = authFlags(context, false);
  const caPem = caFlag(context);
  const isSuspend = booleanFlag(context, 'suspend');
  const isResume = booleanFlag(context, 'resume');
  if (isSuspend && isResume) {
    throw badInput('give --suspend or --resume, not both');
  }
  const tlsFlag = booleanFlag(context, 'insecure-skip-verify')
    ? true
    : booleanFlag(context, 'verify-tls')
      ? false
      : undefined;
  if (
    baseUrl === undefined &&
    auth === undefined &&
    caPem === undefined &&
    tlsFlag === undefined &&
    !isSuspend &&
    !isResume
  ) {
    throw new UsageError(
      'nothing to change: give --url, --username/--password, --token, --suspend or --resume',
    );
  }
  const by = cliAdmin(context);
  return withPool(context, async (pool) => {
    const outcome = await updateSavedPanel(adminContext(context, pool), name, {
      ...(baseUrl === undefined ? {} : { url: baseUrl }),
      ...(auth === undefined ? {} : { auth }),
      ...(isSuspend ? { suspended: true } : isResume ? { suspended: false } : {}),
      ...(tlsFlag === undefined ? {} : { tlsSkipVerify: tlsFlag }),
      ...(caPem === undefined ? {} : { caPem }),
      skipCheck: booleanFlag(context, 'no-check'),
    });
    if (!outcome.ok) {
      if (outcome.kind === 'check-failed') {
        await recordAdminAction(pool, {
          ...by,
          action: 'panel.update',
          panelId: (await findPanelByName(pool, name))?.id ?? null,
          detail: { name, problem: outcome.problem },
          outcome: 'check-failed',
        });
      }
      refused(outcome, '(nothing changed; --no-check saves anyway)');
    }
    // Suspend or resume alone is recorded as such, as the console does.
    const action =
      outcome.changed.length === 1 && outcome.changed[0] === 'suspended'
        ? isSuspend
          ? 'panel.suspend'
          : 'panel.resume'
        : 'panel.update';
    await recordAdminAction(pool, {
      ...by,
      action,
      panelId: outcome.panel.id,
      detail:
        action === 'panel.update'
          ? { name, changed: outcome.changed, isChecked: outcome.check !== undefined }
          : { name },
      outcome: 'ok',
    });
    println(context, `panel ${name} updated (${outcome.changed.join(', ')})`);
    return 0;
  });
}

async function remove(context: CommandContext): Promise<number> {
  const name = nameArgument(context.positionals[1]);
  const by = cliAdmin(context);
  return withPool(context, async (pool) => {
    const outcome = await removeSavedPanel({ pool }, name, { force: booleanFlag(context, 'force') });
    if (!outcome.ok) {
      refused(outcome, '');
    }
    await recordAdminAction(pool, {
      ...by,
      action: 'panel.remove',
      panelId: outcome.panel.id,
      detail: { name, revokedKeys: outcome.revokedKeys },
      outcome: 'ok',
    });
    println(
      context,
      `panel ${name} removed${outcome.revokedKeys > 0 ? `, ${String(outcome.revokedKeys)} keys revoked` : ''} (nothing was deleted from the panel itself)`,
    );
    return 0;
  });
}

function upText(panel: PanelSummary): string {
  if (!panel.isEnabled) {
    return 'disabled';
  }
  if (panel.lastReadOk === null) {
    return '?';
  }
  return panel.lastReadOk ? 'up' : 'DOWN';
}

async function list(context: CommandContext): Promise<number> {
  return withPool(context, async (pool) => {
    const panels = await listPanels(pool);
    if (booleanFlag(context, 'json')) {
      const rows = panels.map((panel) => ({
        id: panel.id,
        name: panel.name,
        url: displayPanelUrl(panel.baseUrl),
        auth_kind: panel.authKind,
        generation: panel.apiGeneration,
        version: panel.panelVersion,
        version_tested: isTestedPanelVersion(panel.panelVersion),
        inbounds: panel.inboundCount,
        keys: panel.liveKeys,
        up: panel.lastReadOk,
        last_read_at: panel.lastReadAt?.toISOString() ?? null,
        last_error: panel.lastError,
        mode: !panel.isEnabled ? 'disabled' : panel.suspended ? 'observe' : 'enforce',
      }));
      println(context, JSON.stringify(rows, null, 2));
      return 0;
    }
    println(
      context,
      formatTable(
        ['name', 'url', 'generation', 'version', 'inbounds', 'keys', 'up', 'last error'],
        panels.map((panel) => [
          panel.name,
          displayPanelUrl(panel.baseUrl),
          panel.apiGeneration ?? '?',
          panelVersionLabel(panel.panelVersion),
          String(panel.inboundCount),
          String(panel.liveKeys),
          upText(panel),
          (panel.lastError ?? '-').replace(/\s+/g, ' ').slice(0, 80),
        ]),
      ),
    );
    return 0;
  });
}

/**
 * `keywarden panels add|test|update|remove|list`. Secrets can come from KEYWARDEN_PANEL_PASSWORD /
 * KEYWARDEN_PANEL_TOKEN instead of flags (flags end up in shell history). Names and URLs are checked
 * before anything is written; every error is one line without secrets.
 */
export const panelsCommand: Command = {
  name: 'panels',
  summary: 'manage panels: add (checked before saving), test NAME, update NAME, remove NAME, list',
  usage: [
    'add --name N --url URL (--username U --password P | --token T) [--ca-file PEM] [--insecure-skip-verify] [--suspend] [--no-check]',
    '       panels test NAME',
    '       panels update NAME [--url URL] [--username U --password P | --token T] [--ca-file PEM] [--insecure-skip-verify | --verify-tls] [--suspend | --resume] [--no-check]',
    '       panels remove NAME [--force]   (--force revokes its live keys; nothing is deleted from the panel)',
    '       panels list [--json]',
  ].join('\n'),
  flags: {
    name: { type: 'string' },
    url: { type: 'string' },
    username: { type: 'string' },
    password: { type: 'string' },
    token: { type: 'string' },
    'ca-file': { type: 'string' },
    'insecure-skip-verify': { type: 'boolean' },
    'verify-tls': { type: 'boolean' },
    'public-host': { type: 'string' },
    suspend: { type: 'boolean' },
    // The 0.1 spelling of --suspend on `panels add`.
    suspended: { type: 'boolean' },
    resume: { type: 'boolean' },
    'no-check': { type: 'boolean' },
    force: { type: 'boolean' },
    json: { type: 'boolean' },
    ...AS_FLAG,
  },
  positionals: { min: 1, max: 2 },
  run: async (context) => {
    const sub = context.positionals[0];
    switch (sub) {
      case 'add':
        return add(booleanFlag(context, 'suspended') ? withSuspend(context) : context);
      case 'test':
        return test(context);
      case 'update':
        return update(context);
      case 'remove':
        return remove(context);
      case 'list':
        return list(context);
      case undefined:
      default:
        throw new UsageError(
          `unknown subcommand ${JSON.stringify(sub)}: use add, test, update, remove or list`,
        );
    }
  },
};

function withSuspend(context: CommandContext): CommandContext {
  return { ...context, flags: { ...context.flags, suspend: true } };
}
