import { readFileSync } from 'node:fs';
import {
  addPanel,
  DuplicatePanelNameError,
  findPanelByName,
  listPanels,
  loadPanelConnection,
  recordPanelInbounds,
  removePanel,
  updatePanel,
  type PanelAuth,
  type PanelPatch,
  type PanelSummary,
  type Pool,
  secretBoxFrom,
} from '../../db/index.ts';
import {
  checkPanel,
  checkPanelUrl,
  displayPanelUrl,
  panelNameProblem,
  isTestedPanelVersion,
  panelVersionLabel,
  TESTED_RANGE_TEXT,
  type PanelCheckResult,
  type PanelCheckTarget,
} from '../../panels/index.ts';
import { formatTable, println, withPool } from '../pool.ts';
import {
  booleanFlag,
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

async function runCheck(context: CommandContext, target: PanelCheckTarget): Promise<PanelCheckResult> {
  return checkPanel(target, {
    timeoutMs: context.config.panelTimeoutMs,
    logger: context.logger,
    signal: context.signal,
  });
}

function describeCheck(result: PanelCheckResult & { ok: true }): string {
  const version = result.version.panelVersion ?? 'version not reported';
  const untested =
    result.version.isTested === false ? ` (outside the tested range ${TESTED_RANGE_TEXT})` : '';
  const inbounds = `${String(result.inbounds.length)} inbound${result.inbounds.length === 1 ? '' : 's'}`;
  return `${result.generation}, ${version}${untested}, ${inbounds}`;
}

async function recordCheck(
  pool: Pool,
  panel: PanelSummary,
  result: PanelCheckResult & { ok: true },
): Promise<void> {
  await updatePanel(pool, panel.id, {
    apiGeneration: result.generation,
    ...(result.version.panelVersion === null ? {} : { panelVersion: result.version.panelVersion }),
  });
  await recordPanelInbounds(
    pool,
    panel.id,
    result.inbounds.map((inbound) => ({ ...inbound, id: inbound.id })),
  );
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
  const tlsSkipVerify = booleanFlag(context, 'insecure-skip-verify');
  return withPool(context, async (pool) => {
    if ((await findPanelByName(pool, name)) !== null) {
      throw new CommandFailure(`a panel named ${JSON.stringify(name)} already exists`);
    }
    let checked: (PanelCheckResult & { ok: true }) | undefined;
    if (!booleanFlag(context, 'no-check')) {
      const result = await runCheck(context, { name, baseUrl, auth, tlsSkipVerify, caPem });
      if (!result.ok) {
        throw new CommandFailure(`${result.message} (nothing saved; --no-check saves anyway)`);
      }
      checked = result;
    }
    let id;
    try {
      id = await addPanel(
        pool,
        {
          name,
          baseUrl,
          auth,
          suspended: booleanFlag(context, 'suspend'),
          tlsSkipVerify,
          caPem: caPem ?? null,
          publicHost: stringFlag(context, 'public-host') ?? null,
          apiGeneration: checked?.generation ?? null,
          panelVersion: checked?.version.panelVersion ?? null,
        },
        secretBoxFrom(context.config),
      );
    } catch (error) {
      if (error instanceof DuplicatePanelNameError) {
        throw new CommandFailure(error.message);
      }
      throw error;
    }
    if (checked === undefined) {
      println(context, `panel ${name} added (id ${id}), not checked`);
      return 0;
    }
    await recordPanelInbounds(pool, id, checked.inbounds);
    println(context, `panel ${name} added (id ${id}): ${describeCheck(checked)}`);
    return 0;
  });
}

async function test(context: CommandContext): Promise<number> {
  const name = nameArgument(context.positionals[1]);
  return withPool(context, async (pool) => {
    const stored = await loadPanelConnection(pool, name, secretBoxFrom(context.config));
    const panel = await findPanelByName(pool, name);
    if (stored === null || panel === null) {
      throw new CommandFailure(`no panel named ${JSON.stringify(name)}`);
    }
    const result = await runCheck(context, {
      name,
      baseUrl: stored.baseUrl,
      auth: stored.auth,
      tlsSkipVerify: stored.tlsSkipVerify,
      caPem: stored.caPem ?? undefined,
    });
    if (!result.ok) {
      throw new CommandFailure(`panel ${name}: ${result.message}`);
    }
    await recordCheck(pool, panel, result);
    println(context, `panel ${name} ok: ${describeCheck(result)}`);
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
  const patch: PanelPatch = {
    ...(baseUrl === undefined ? {} : { baseUrl }),
    ...(auth === undefined ? {} : { auth }),
    ...(isSuspend ? { suspended: true } : isResume ? { suspended: false } : {}),
    ...(tlsFlag === undefined ? {} : { tlsSkipVerify: tlsFlag }),
    ...(caPem === undefined ? {} : { caPem }),
  };
  if (Object.keys(patch).length === 0) {
    throw new UsageError(
      'nothing to change: give --url, --username/--password, --token, --suspend or --resume',
    );
  }
  return withPool(context, async (pool) => {
    const stored = await loadPanelConnection(pool, name, secretBoxFrom(context.config));
    const panel = await findPanelByName(pool, name);
    if (stored === null || panel === null) {
      throw new CommandFailure(`no panel named ${JSON.stringify(name)}`);
    }
    const isReachChanged =
      baseUrl !== undefined || auth !== undefined || tlsFlag !== undefined || caPem !== undefined;
    let checkPatch: PanelPatch = {};
    if (isReachChanged && !booleanFlag(context, 'no-check')) {
      const result = await runCheck(context, {
        name,
        baseUrl: baseUrl ?? stored.baseUrl,
        auth: auth ?? stored.auth,
        tlsSkipVerify: tlsFlag ?? stored.tlsSkipVerify,
        caPem: caPem ?? stored.caPem ?? undefined,
      });
      if (!result.ok) {
        throw new CommandFailure(`${result.message} (nothing changed; --no-check saves anyway)`);
      }
      checkPatch = {
        apiGeneration: result.generation,
        ...(result.version.panelVersion === null ? {} : { panelVersion: result.version.panelVersion }),
      };
      await recordPanelInbounds(pool, panel.id, result.inbounds);
    } else if (baseUrl !== undefined) {
      // A new URL may be another panel: forget what the old one was until the next read.
      checkPatch = { apiGeneration: null, panelVersion: null };
    }
    await updatePanel(pool, panel.id, { ...patch, ...checkPatch }, secretBoxFrom(context.config));
    const changed = Object.keys(patch)
      .map((key) => (key === 'auth' ? 'credentials' : key === 'baseUrl' ? 'url' : key))
      .join(', ');
    println(context, `panel ${name} updated (${changed})`);
    return 0;
  });
}

async function remove(context: CommandContext): Promise<number> {
  const name = nameArgument(context.positionals[1]);
  return withPool(context, async (pool) => {
    const panel = await findPanelByName(pool, name);
    if (panel === null) {
      throw new CommandFailure(`no panel named ${JSON.stringify(name)}`);
    }
    const outcome = await removePanel(pool, panel.id, { force: booleanFlag(context, 'force') });
    switch (outcome.kind) {
      case 'not-found':
        throw new CommandFailure(`no panel named ${JSON.stringify(name)}`);
      case 'has-live-keys':
        throw new CommandFailure(
          `panel ${name} has ${String(outcome.liveKeys)} live key${outcome.liveKeys === 1 ? '' : 's'}: revoke them first, or use --force to revoke them`,
        );
      case 'removed':
        println(
          context,
          `panel ${name} removed${outcome.revokedKeys > 0 ? `, ${String(outcome.revokedKeys)} keys revoked` : ''} (nothing was deleted from the panel itself)`,
        );
        return 0;
    }
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
