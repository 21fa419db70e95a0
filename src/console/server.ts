/**
 * The operator's web console (issue 14), on its own listener (KEYWARDEN_CONSOLE_HOST/PORT).
 * Server-rendered pages; reads through the query modules of src/db, writes through the same
 * repositories as the bot and the CLI (their NOTIFY triggers wake the reconciler), and every admin
 * action is recorded in `admin_audit` with the admin's Telegram id.
 *
 * Login: a one-time link (`/login?token=`) from the bot's /console or `keywarden console link`
 * shows a button; the POST redeems the token (once, within 10 minutes) for an admin still listed in
 * KEYWARDEN_ADMIN_IDS and sets an HttpOnly, SameSite=Strict session cookie (Secure when the console
 * is served over HTTPS). Sessions end after KEYWARDEN_CONSOLE_SESSION_IDLE without a request and
 * KEYWARDEN_CONSOLE_SESSION_MAX after login. Every POST carries the session's CSRF token.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type pg from 'pg';
import QRCode from 'qrcode';
import type { Config } from '../config/index.ts';
import {
  applyCompensation,
  archivePlan,
  confirmHeldPlanByFingerprint,
  countCompensationTargets,
  createConsoleSession,
  createPlan,
  discardHeldPlan,
  endConsoleSession,
  grantPeriod,
  listAuditEntries,
  listHeldPlans,
  listPayments,
  listPlans,
  readKeys,
  readOverview,
  readPanelStatuses,
  readUserDetail,
  recordAdminAction,
  redeemLoginToken,
  secretBoxFrom,
  replaceKeyAsAdmin,
  revokeKey,
  searchUsers,
  setUserBanned,
  touchConsoleSession,
  updatePlan,
  USER_STATUSES,
  KEY_STATES,
  type KeyState,
  type AdminAction,
  type ConsoleSession,
  type PanelStatus,
  type PlanChanges,
  type UserStatus,
} from '../db/index.ts';
import { asKeyId, asUserId } from '../domain/index.ts';
import {
  closeServer,
  httpServerOptions,
  listenOn,
  parseDurationMs,
  toError,
  type Logger,
} from '../shared/index.ts';
import { createIpAllowlist } from '../net/index.ts';
import {
  addCheckedPanel,
  describePanelCheck,
  panelCheckAuditDetail,
  displayPanelUrl,
  removeSavedPanel,
  testSavedPanel,
  updateSavedPanel,
  type PanelAdminContext,
  type PanelAdminRefusal,
} from '../panels/index.ts';
import { CONSOLE_CSS } from './assets.ts';
import { consoleMessages, pickConsoleLanguage } from './i18n.ts';
import { keyLink } from './key-link.ts';
import { readAddForm, readEditForm, type PanelFormValues } from './panel-forms.ts';
import * as views from './views.ts';

/** A running console. */
export interface ConsoleServer {
  /** `http://host:port/` as bound. */
  readonly url: string;
  close(): Promise<void>;
}

/** What the console needs. */
export interface ConsoleOptions {
  readonly pool: pg.Pool;
  readonly config: Pick<
    Config,
    | 'consoleHost'
    | 'consolePort'
    | 'consolePublicUrl'
    | 'consoleSessionIdleMs'
    | 'consoleSessionMaxMs'
    | 'adminTelegramIds'
    | 'graceMs'
    | 'trustedProxyHeader'
    | 'trustedProxies'
    | 'panelTimeoutMs'
    | 'secretKey'
    | 'secretKeyPrevious'
  >;
  /** The reconciler's advisory lock class (sources LOCK_CLASS), to show panel owners. */
  readonly lockClass: number;
  readonly logger: Logger;
}

const SESSION_COOKIE = 'kw_session';
const LANGUAGE_COOKIE = 'kw_lang';
const MAX_BODY_BYTES = 32 * 1024;

/** A request as the handlers see it. */
interface Request {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly cookies: ReadonlyMap<string, string>;
  readonly form: URLSearchParams;
  readonly page: Omit<views.PageContext, 'session' | 'flash'>;
  readonly isHttps: boolean;
}

/** A reply. */
interface Reply {
  readonly status: number;
  readonly body?: string;
  readonly type?: string;
  readonly headers?: Readonly<Record<string, string | string[]>>;
}

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
  }
}

function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0) {
      const name = part.slice(0, at).trim();
      const value = part.slice(at + 1).trim();
      try {
        cookies.set(name, decodeURIComponent(value));
      } catch {
        // A malformed cookie is ignored, as if absent.
      }
    }
  }
  return cookies;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) {
      throw new HttpError(413, 'form too large');
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const sameToken = (given: string, expected: string): boolean => {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

async function render(fragment: views.Html): Promise<string> {
  return (await fragment).toString();
}

const redirect = (location: string, headers: Readonly<Record<string, string | string[]>> = {}): Reply => ({
  status: 303,
  headers: { location, ...headers },
});

/** Only same-site relative paths are followed after login or a language switch. */
const safeBack = (value: string | null): string =>
  value !== null && value.startsWith('/') && !value.startsWith('//') && !value.includes('\\') ? value : '/';

/** Starts the console on KEYWARDEN_CONSOLE_HOST:KEYWARDEN_CONSOLE_PORT. */
export async function startConsole(options: ConsoleOptions): Promise<ConsoleServer> {
  const { pool, config, logger } = options;
  const publicHttps = config.consolePublicUrl?.startsWith('https:') === true;
  // X-Forwarded-Proto is believed only from the reverse proxies the operator listed.
  const proxyList = config.trustedProxies.length > 0 ? createIpAllowlist(config.trustedProxies) : undefined;
  if (proxyList !== undefined && !proxyList.ok) {
    throw new Error(`KEYWARDEN_TRUSTED_PROXIES: ${proxyList.error}`);
  }
  const proxies = proxyList?.value;

  const cookie = (request: Request, name: string, value: string, maxAgeS: number): string =>
    `${name}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${String(maxAgeS)}${request.isHttps ? '; Secure' : ''}`;

  const audit = async (
    session: ConsoleSession,
    entry: Omit<AdminAction, 'actor' | 'adminTelegramId'>,
  ): Promise<void> => {
    await recordAdminAction(pool, { ...entry, actor: 'console', adminTelegramId: session.adminTelegramId });
    logger.info(
      { adminId: session.adminTelegramId, action: entry.action, outcome: entry.outcome },
      'console admin action',
    );
  };

  // Panel checks run through src/panels, as `keywarden panels` does; close() aborts any still running.
  const panelChecks = new AbortController();
  const panelAdmin: PanelAdminContext = {
    pool,
    secrets: secretBoxFrom(config),
    timeoutMs: config.panelTimeoutMs,
    logger: logger.child({ part: 'panel-check' }),
    signal: panelChecks.signal,
  };

  const page = async (
    request: Request,
    session: ConsoleSession | null,
    build: (ctx: views.PageContext) => views.Html,
    status = 200,
  ): Promise<Reply> => {
    const flash = request.query.get('done');
    const ctx: views.PageContext = {
      ...request.page,
      session,
      flash:
        flash === null
          ? undefined
          : {
              text: flash === 'refused' ? request.page.t.csrfRefused : request.page.t.done,
              isError: flash === 'refused',
            },
    };
    return { status, type: 'text/html; charset=utf-8', body: await render(build(ctx)) };
  };

  /** Routes that need no session. */
  const open = async (request: Request): Promise<Reply | undefined> => {
    const { t } = request.page;
    if (request.path === '/assets/console.css') {
      return {
        status: 200,
        type: 'text/css; charset=utf-8',
        body: CONSOLE_CSS,
        headers: { 'cache-control': 'max-age=3600' },
      };
    }
    if (request.path === '/lang' && request.method === 'GET') {
      const to = request.query.get('to') === 'ru' ? 'ru' : 'en';
      return redirect(safeBack(request.query.get('back')), {
        'set-cookie': cookie(request, LANGUAGE_COOKIE, to, 365 * 86_400),
      });
    }
    if (request.path === '/login' && request.method === 'GET') {
      const token = request.query.get('token') ?? '';
      return page(request, null, (ctx) => views.loginPage(ctx, token));
    }
    if (request.path === '/login' && request.method === 'POST') {
      const outcome = await redeemLoginToken(pool, request.form.get('token') ?? '');
      if (outcome.kind !== 'ok') {
        logger.warn({ outcome: outcome.kind }, 'console login refused');
        const text =
          outcome.kind === 'used'
            ? t.loginUsed
            : outcome.kind === 'expired'
              ? t.loginExpired
              : t.loginUnknown;
        return page(request, null, (ctx) => views.messagePage(ctx, t.loginTitle, text), 403);
      }
      if (!config.adminTelegramIds.has(outcome.adminTelegramId)) {
        logger.warn({ telegramId: outcome.adminTelegramId }, 'console login refused: not an admin');
        return page(request, null, (ctx) => views.messagePage(ctx, t.loginTitle, t.loginNotAdmin), 403);
      }
      const created = await createConsoleSession(pool, outcome.adminTelegramId, config.consoleSessionMaxMs);
      await audit(created.session, { action: 'console.login', outcome: 'ok' });
      return redirect('/', {
        'set-cookie': cookie(
          request,
          SESSION_COOKIE,
          created.token,
          Math.floor(config.consoleSessionMaxMs / 1000),
        ),
      });
    }
    return undefined;
  };

  /** A saved panel by its id in the path; 404 when there is none (or it was removed). */
  const panelById = async (request: Request, id: string): Promise<PanelStatus> => {
    const panel = /^\d{1,19}$/.test(id)
      ? (await readPanelStatuses(pool, options.lockClass)).find((candidate) => candidate.id === id)
      : undefined;
    if (panel === undefined) {
      throw new HttpError(404, request.page.t.notFound);
    }
    return panel;
  };

  /** The panels page with a message (and the add form as it was sent, without its secrets). */
  const panelsReply = async (
    request: Request,
    session: ConsoleSession,
    flash: { readonly text: string; readonly isError?: boolean },
    form?: PanelFormValues,
    status = 200,
  ): Promise<Reply> => {
    const panels = await readPanelStatuses(pool, options.lockClass);
    return page(request, session, (ctx) => views.panelsPage({ ...ctx, flash }, panels, form), status);
  };

  /** The HTTP status of a refusal: bad input 400, taken name 409, check failed 422, ... */
  const refusalStatus = (refusal: PanelAdminRefusal): number => {
    switch (refusal.kind) {
      case 'invalid':
        return 400;
      case 'exists':
      case 'has-live-keys':
        return 409;
      case 'not-found':
        return 404;
      case 'check-failed':
      case 'unreadable':
        return 422;
    }
  };

  /**
   * Panel actions, through src/panels' use cases (the same as `keywarden panels`): add, test, edit,
   * suspend, resume, remove. A refusal of the form's input writes nothing; a failed check writes only
   * its audit row. Passwords and tokens are never put back into a page.
   */
  const panelPost = async (
    request: Request,
    session: ConsoleSession,
    second: string | undefined,
    third: string | undefined,
  ): Promise<Reply> => {
    const { t } = request.page;
    if (second === undefined) {
      const read = readAddForm(request.form);
      if (!read.ok) {
        return panelsReply(request, session, { text: read.message, isError: true }, read.values, 400);
      }
      const draft = read.value;
      const detail = {
        name: draft.name,
        url: displayPanelUrl(draft.url),
        authKind: draft.auth.kind,
        isChecked: !draft.skipCheck,
        isSuspended: draft.suspended,
      };
      const outcome = await addCheckedPanel(panelAdmin, draft);
      if (!outcome.ok) {
        if (outcome.kind === 'check-failed') {
          await audit(session, {
            action: 'panel.add',
            detail: { ...detail, problem: outcome.problem },
            outcome: 'check-failed',
          });
        }
        const text =
          outcome.kind === 'check-failed' ? `${outcome.message} ${t.nothingSaved}` : outcome.message;
        return panelsReply(request, session, { text, isError: true }, read.values, refusalStatus(outcome));
      }
      await audit(session, {
        action: 'panel.add',
        panelId: outcome.id,
        detail: { ...detail, ...panelCheckAuditDetail(outcome.check) },
        outcome: 'ok',
      });
      return panelsReply(request, session, {
        text:
          outcome.check === undefined
            ? t.panelAddedUnchecked(draft.name)
            : t.panelAdded(draft.name, describePanelCheck(outcome.check)),
      });
    }
    const panel = await panelById(request, second);
    const base = { panelId: panel.id, detail: { name: panel.name } };
    switch (third) {
      case 'test': {
        const outcome = await testSavedPanel(panelAdmin, panel.name);
        if (!outcome.ok) {
          await audit(session, {
            ...base,
            action: 'panel.test',
            detail: {
              ...base.detail,
              ...(outcome.kind === 'check-failed' ? { problem: outcome.problem } : {}),
            },
            outcome: outcome.kind,
          });
          return panelsReply(
            request,
            session,
            { text: `${panel.name}: ${outcome.message}`, isError: true },
            undefined,
            refusalStatus(outcome),
          );
        }
        await audit(session, {
          ...base,
          action: 'panel.test',
          detail: { ...base.detail, ...panelCheckAuditDetail(outcome.check) },
          outcome: 'ok',
        });
        return panelsReply(request, session, {
          text: t.panelTested(panel.name, describePanelCheck(outcome.check)),
        });
      }
      case 'edit': {
        const read = readEditForm(request.form);
        const again = (text: string, status: number): Promise<Reply> =>
          page(
            request,
            session,
            (ctx) => views.panelEditPage({ ...ctx, flash: { text, isError: true } }, panel, read.values),
            status,
          );
        if (!read.ok) {
          return again(read.message, 400);
        }
        const outcome = await updateSavedPanel(panelAdmin, panel.name, read.value);
        if (!outcome.ok) {
          if (outcome.kind === 'check-failed') {
            await audit(session, {
              ...base,
              action: 'panel.update',
              detail: { ...base.detail, problem: outcome.problem },
              outcome: 'check-failed',
            });
            return again(`${outcome.message} ${t.nothingChanged}`, refusalStatus(outcome));
          }
          return again(outcome.message, refusalStatus(outcome));
        }
        await audit(session, {
          ...base,
          action: 'panel.update',
          detail: { ...base.detail, changed: outcome.changed, isChecked: outcome.check !== undefined },
          outcome: 'ok',
        });
        return panelsReply(request, session, {
          text: t.panelUpdated(panel.name, outcome.changed.join(', ')),
        });
      }
      case 'suspend':
      case 'resume': {
        const outcome = await updateSavedPanel(panelAdmin, panel.name, {
          suspended: third === 'suspend',
          skipCheck: true,
        });
        await audit(session, {
          ...base,
          action: `panel.${third}`,
          outcome: outcome.ok ? 'ok' : outcome.kind,
        });
        if (!outcome.ok) {
          throw new HttpError(refusalStatus(outcome), outcome.message);
        }
        return panelsReply(request, session, {
          text: third === 'suspend' ? t.panelSuspended(panel.name) : t.panelResumed(panel.name),
        });
      }
      case 'remove': {
        // Remove what the admin confirmed: if the number of live keys changed since, ask again.
        const expected = Number(request.form.get('expected'));
        const confirmAgain = (current: PanelStatus): Promise<Reply> =>
          page(
            request,
            session,
            (ctx) =>
              views.panelRemovePage({ ...ctx, flash: { text: t.removeChanged, isError: true } }, current),
            409,
          );
        if (!Number.isInteger(expected) || expected !== panel.liveKeys) {
          return confirmAgain(panel);
        }
        const outcome = await removeSavedPanel(panelAdmin, panel.name, { force: expected > 0 });
        if (!outcome.ok) {
          if (outcome.kind === 'has-live-keys') {
            return confirmAgain({ ...panel, liveKeys: outcome.liveKeys });
          }
          throw new HttpError(refusalStatus(outcome), outcome.message);
        }
        await audit(session, {
          ...base,
          action: 'panel.remove',
          detail: { ...base.detail, revokedKeys: outcome.revokedKeys },
          outcome: 'ok',
        });
        return panelsReply(request, session, { text: t.panelRemoved(panel.name, outcome.revokedKeys) });
      }
      case undefined:
      default:
        throw new HttpError(404, t.notFound);
    }
  };

  /** Routes behind a session. */
  const guarded = async (request: Request, session: ConsoleSession, token: string): Promise<Reply> => {
    const { t } = request.page;
    const segments = request.path.split('/').filter((segment) => segment.length > 0);
    const [first, second, third] = segments;
    const done = (to: string): Reply => redirect(`${to}${to.includes('?') ? '&' : '?'}done=1`);

    if (request.method === 'POST') {
      if (request.path === '/logout') {
        await endConsoleSession(pool, token);
        await audit(session, { action: 'console.logout', outcome: 'ok' });
        return {
          status: 200,
          type: 'text/html; charset=utf-8',
          headers: { 'set-cookie': cookie(request, SESSION_COOKIE, '', 0) },
          body: await render(views.messagePage({ ...request.page, session: null }, t.logout, t.loggedOut)),
        };
      }
      if (first === 'users' && second !== undefined && /^\d{1,19}$/.test(second)) {
        const userId = asUserId(second);
        if (third === 'grant') {
          const days = Number(request.form.get('days'));
          if (!Number.isInteger(days) || days < 1 || days > 3650) {
            throw new HttpError(400, 'days must be a whole number from 1 to 3650');
          }
          const outcome = await grantPeriod(pool, { userId, source: 'admin', durationMs: days * 86_400_000 });
          await audit(session, {
            action: 'user.grant',
            userId,
            detail: { days },
            outcome: outcome.kind === 'granted' ? 'ok' : outcome.kind,
          });
          return done(`/users/${userId}`);
        }
        if (third === 'ban' || third === 'unban') {
          const found = await setUserBanned(pool, userId, third === 'ban');
          await audit(session, {
            action: `user.${third}`,
            userId: found ? userId : null,
            detail: { userId },
            outcome: found ? 'ok' : 'not-found',
          });
          return done(`/users/${userId}`);
        }
      }
      if (
        first === 'keys' &&
        second !== undefined &&
        /^\d{1,19}$/.test(second) &&
        (third === 'revoke' || third === 'replace')
      ) {
        const keyId = asKeyId(second);
        const [key] = await readKeys(pool, { keyId, includeRevoked: true, eventsPerKey: 0, limit: 1 });
        if (key === undefined) {
          throw new HttpError(404, t.notFound);
        }
        if (third === 'revoke') {
          const outcome = await revokeKey(pool, keyId);
          await audit(session, {
            action: 'key.revoke',
            keyId,
            userId: key.userId,
            outcome: outcome === 'revoked' ? 'ok' : outcome,
          });
        } else {
          const outcome = await replaceKeyAsAdmin(pool, keyId);
          await audit(session, {
            action: 'key.replace',
            keyId,
            userId: key.userId,
            detail: outcome.kind === 'replaced' ? { newKeyId: outcome.key.id } : {},
            outcome: outcome.kind === 'replaced' ? 'ok' : outcome.kind,
          });
        }
        return done(`/users/${key.userId}`);
      }
      if (
        first === 'held' &&
        second !== undefined &&
        /^[A-Za-z0-9_-]{8,128}$/.test(second) &&
        (third === 'confirm' || third === 'discard')
      ) {
        const by = `console:${String(session.adminTelegramId)}`;
        const outcome =
          third === 'confirm'
            ? await confirmHeldPlanByFingerprint(pool, second, by)
            : await discardHeldPlan(pool, second, by);
        await audit(session, {
          action: `held.${third}`,
          detail: { fingerprint: second },
          outcome: outcome === 'not-open' ? 'not-open' : 'ok',
        });
        return done('/held');
      }
      if (first === 'plans') {
        if (second === undefined) {
          const fields = parsePlanForm(request.form, true);
          const outcome = await createPlan(pool, {
            code: request.form.get('code') ?? '',
            title: fields.title ?? '',
            durationDays: fields.durationDays ?? 30,
            price: fields.price ?? '0',
            currency: fields.currency ?? '',
            trafficLimitBytes: fields.trafficLimitBytes ?? null,
            maxKeys: fields.maxKeys ?? 1,
            prices: Object.fromEntries(
              Object.entries(fields.prices ?? {}).filter(
                (entry): entry is [string, string] => entry[1] !== null,
              ),
            ),
          });
          await audit(session, {
            action: 'plan.create',
            detail: { code: request.form.get('code'), ...fields },
            outcome: outcome.kind === 'created' ? 'ok' : 'exists',
          });
          if (outcome.kind === 'exists') {
            throw new HttpError(409, `plan ${request.form.get('code') ?? ''} exists`);
          }
          return done('/plans');
        }
        let plan;
        if (third === 'archive') {
          plan = await archivePlan(pool, second);
        } else if (third === 'activate') {
          plan = await updatePlan(pool, second, { isActive: true });
        } else if (third !== undefined) {
          throw new HttpError(404, t.notFound);
        } else {
          const changes = parsePlanForm(request.form, false);
          // The form lists every extra price: one left out is removed.
          const current = (await listPlans(pool)).find((candidate) => candidate.code === second);
          const primary = changes.currency ?? current?.currency;
          const removed = Object.keys(current?.prices ?? {}).filter(
            (currency) => currency !== primary && !(currency in (changes.prices ?? {})),
          );
          plan = await updatePlan(pool, second, {
            ...changes,
            prices: { ...Object.fromEntries(removed.map((currency) => [currency, null])), ...changes.prices },
          });
        }
        await audit(session, {
          action:
            third === 'archive' ? 'plan.archive' : third === 'activate' ? 'plan.activate' : 'plan.update',
          detail: { code: second },
          outcome: plan === null ? 'not-found' : 'ok',
        });
        if (plan === null) {
          throw new HttpError(404, t.notFound);
        }
        return done('/plans');
      }
      if (first === 'panels') {
        return panelPost(request, session, second, third);
      }
      if (request.path === '/compensate') {
        const days = Number(request.form.get('days'));
        const activeOnly = request.form.get('scope') !== 'all';
        if (!Number.isInteger(days) || days < 1 || days > 3650) {
          throw new HttpError(400, 'days must be a whole number from 1 to 3650');
        }
        // Apply what the admin previewed: if the set of users changed since, show the new count first.
        const expected = Number(request.form.get('expected'));
        const now = await countCompensationTargets(pool, { activeOnly, graceMs: config.graceMs });
        if (now !== expected) {
          return page(request, session, (ctx) =>
            views.compensationPage(
              { ...ctx, flash: { text: t.previewChanged, isError: true } },
              { days, activeOnly, count: now },
            ),
          );
        }
        const count = await applyCompensation(pool, { days, activeOnly, graceMs: config.graceMs });
        await audit(session, {
          action: 'compensate',
          detail: { days, activeOnly, users: count, previewed: request.form.get('expected') },
          outcome: 'ok',
        });
        return page(request, session, (ctx) =>
          views.compensationPage({ ...ctx, flash: { text: t.compensated(days, count) } }, null),
        );
      }
      throw new HttpError(404, t.notFound);
    }

    if (request.method !== 'GET') {
      throw new HttpError(405, 'method not allowed');
    }
    if (request.path === '/') {
      const overview = await readOverview(pool, { graceMs: config.graceMs, lockClass: options.lockClass });
      return page(request, session, (ctx) => views.overviewPage(ctx, overview));
    }
    if (request.path === '/users') {
      const query = request.query.get('q') ?? '';
      const statusRaw = request.query.get('status') ?? '';
      const status = (USER_STATUSES as readonly string[]).includes(statusRaw)
        ? (statusRaw as UserStatus)
        : undefined;
      const users = await searchUsers(pool, config.graceMs, {
        query,
        ...(status === undefined ? {} : { status }),
        limit: 200,
      });
      return page(request, session, (ctx) => views.usersPage(ctx, { query, status }, users));
    }
    if (first === 'users' && second !== undefined && /^\d{1,19}$/.test(second) && third === undefined) {
      const detail = await readUserDetail(pool, config.graceMs, { id: asUserId(second) });
      if (detail === null) {
        throw new HttpError(404, t.notFound);
      }
      const links = new Map<string, { url: string; qrSvg: string }>();
      for (const key of detail.keys) {
        const url = key.revokedAt === null ? keyLink(key) : null;
        if (url !== null) {
          links.set(key.id, { url, qrSvg: await QRCode.toString(url, { type: 'svg', margin: 1 }) });
        }
      }
      return page(request, session, (ctx) => views.userPage(ctx, detail, links));
    }
    if (request.path === '/payments') {
      const mismatched = request.query.get('mismatched') === '1';
      const payments = await listPayments(pool, { mismatched, limit: 500 });
      return page(request, session, (ctx) => views.paymentsPage(ctx, mismatched, payments));
    }
    if (request.path === '/panels') {
      const panels = await readPanelStatuses(pool, options.lockClass);
      return page(request, session, (ctx) => views.panelsPage(ctx, panels));
    }
    if (first === 'panels' && second !== undefined && (third === 'edit' || third === 'remove')) {
      const panel = await panelById(request, second);
      return page(request, session, (ctx) =>
        third === 'edit' ? views.panelEditPage(ctx, panel) : views.panelRemovePage(ctx, panel),
      );
    }
    if (request.path === '/keys') {
      const panelName = request.query.get('panel') ?? undefined;
      const stateRaw = request.query.get('state') ?? '';
      const state = (KEY_STATES as readonly string[]).includes(stateRaw) ? (stateRaw as KeyState) : undefined;
      const keys = await readKeys(pool, {
        ...(panelName === undefined ? {} : { panelName }),
        ...(state === undefined ? {} : { state }),
        eventsPerKey: 0,
        limit: 1000,
      });
      return page(request, session, (ctx) =>
        views.keysPage(ctx, `${t.keys}${panelName === undefined ? '' : ` · ${panelName}`}`, keys, {
          panel: panelName ?? '',
          state,
        }),
      );
    }
    if (request.path === '/held') {
      const plans = await listHeldPlans(pool);
      return page(request, session, (ctx) => views.heldPage(ctx, plans));
    }
    if (request.path === '/audit') {
      const get = (name: string): string => request.query.get(name)?.trim() ?? '';
      const filter = {
        source: get('source'),
        user: get('user'),
        panel: get('panel'),
        action: get('action'),
        outcome: get('outcome'),
        since: get('since'),
      };
      const sinceMs = filter.since === '' ? undefined : parseDurationMs(filter.since);
      const entries = await listAuditEntries(pool, {
        ...(filter.source === 'admin' || filter.source === 'reconciler' ? { source: filter.source } : {}),
        ...(/^\d{1,19}$/.test(filter.user) ? { userId: asUserId(filter.user) } : {}),
        ...(filter.panel === '' ? {} : { panelName: filter.panel }),
        ...(filter.action === '' ? {} : { action: filter.action }),
        ...(filter.outcome === '' ? {} : { outcome: filter.outcome }),
        ...(sinceMs === undefined ? {} : { since: new Date(Date.now() - sinceMs) }),
        limit: 300,
      });
      return page(request, session, (ctx) => views.auditPage(ctx, filter, entries));
    }
    if (request.path === '/plans') {
      const plans = await listPlans(pool);
      return page(request, session, (ctx) => views.plansPage(ctx, plans));
    }
    if (request.path === '/compensate') {
      const daysRaw = request.query.get('days');
      if (daysRaw === null) {
        return page(request, session, (ctx) => views.compensationPage(ctx, null));
      }
      const days = Number(daysRaw);
      if (!Number.isInteger(days) || days < 1 || days > 3650) {
        throw new HttpError(400, 'days must be a whole number from 1 to 3650');
      }
      const activeOnly = request.query.get('scope') !== 'all';
      const count = await countCompensationTargets(pool, { activeOnly, graceMs: config.graceMs });
      return page(request, session, (ctx) => views.compensationPage(ctx, { days, activeOnly, count }));
    }
    throw new HttpError(404, t.notFound);
  };

  const handle = async (req: IncomingMessage): Promise<Reply> => {
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    const cookies = parseCookies(req.headers.cookie);
    const language = pickConsoleLanguage(cookies.get(LANGUAGE_COOKIE), req.headers['accept-language']);
    const forwardedProto = String(req.headers['x-forwarded-proto'] ?? '')
      .split(',')[0]
      ?.trim();
    const method = req.method ?? 'GET';
    const isForm = method === 'POST';
    const request: Request = {
      method,
      path: url.pathname,
      query: url.searchParams,
      cookies,
      form: isForm ? new URLSearchParams(await readBody(req)) : new URLSearchParams(),
      page: { t: consoleMessages(language), language, path: `${url.pathname}${url.search}` },
      // Secure cookies when the console is served over HTTPS: its public URL says so, or one of the
      // reverse proxies in KEYWARDEN_TRUSTED_PROXIES reports https.
      isHttps:
        publicHttps ||
        (proxies !== undefined &&
          forwardedProto === 'https' &&
          proxies.allows(req.socket.remoteAddress ?? '')),
    };
    const opened = await open(request);
    if (opened !== undefined) {
      return opened;
    }
    const token = cookies.get(SESSION_COOKIE) ?? '';
    const session = token === '' ? null : await touchConsoleSession(pool, token, config.consoleSessionIdleMs);
    if (session === null || !config.adminTelegramIds.has(session.adminTelegramId)) {
      if (method === 'GET') {
        return page(
          request,
          null,
          (ctx) => views.messagePage(ctx, request.page.t.loginTitle, request.page.t.sessionNeeded),
          401,
        );
      }
      throw new HttpError(401, request.page.t.sessionNeeded);
    }
    if (method === 'POST' && !sameToken(request.form.get('_csrf') ?? '', session.csrfToken)) {
      logger.warn(
        { adminId: session.adminTelegramId, path: request.path },
        'console POST without a valid CSRF token refused',
      );
      await audit(session, { action: 'console.csrf', detail: { path: request.path }, outcome: 'refused' });
      return page(
        request,
        session,
        (ctx) =>
          views.messagePage(
            { ...ctx, flash: { text: request.page.t.csrfRefused, isError: true } },
            request.page.t.title,
            '',
          ),
        403,
      );
    }
    return guarded(request, session, token);
  };

  // Slow-loris limits shared by every listener (src/shared/http-server.ts).
  const server = createServer(httpServerOptions(), (req, res) => {
    const send = (reply: Reply): void => {
      res.writeHead(reply.status, {
        'content-type': reply.type ?? 'text/plain; charset=utf-8',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'content-security-policy':
          "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ...reply.headers,
      });
      res.end(reply.body ?? '');
    };
    handle(req)
      .then(send)
      .catch((error: unknown) => {
        if (error instanceof HttpError) {
          send({ status: error.status, body: `${error.message}\n` });
          return;
        }
        logger.error(
          { err: toError(error), method: req.method, path: (req.url ?? '').split('?')[0] },
          'console request failed',
        );
        send({ status: 500, body: 'internal error: see the keywarden log\n' });
      });
  });
  const url = (await listenOn(server, config.consolePort, config.consoleHost)).href;
  logger.info({ url }, 'console listening');
  let closing: Promise<void> | undefined;
  return {
    url,
    close() {
      // Panel checks still running (add/test forms) stop with the console.
      panelChecks.abort();
      closing ??= closeServer(server, { graceMs: 0 });
      return closing;
    },
  };
}

/** Reads the plan form; on create every field is required. */
function parsePlanForm(form: URLSearchParams, isNew: boolean): PlanChanges {
  const text = (name: string): string | undefined => {
    const value = form.get(name)?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const required = (name: string): string => {
    const value = text(name);
    if (value === undefined && isNew) {
      throw new HttpError(400, `${name} is required`);
    }
    return value ?? '';
  };
  if (isNew && !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(form.get('code') ?? '')) {
    throw new HttpError(400, 'code must be 1-64 of a-z, 0-9, _ and -');
  }
  const title = required('title');
  const days = text('days');
  const price = text('price') ?? (isNew ? required('price') : undefined);
  const currency = text('currency') ?? (isNew ? required('currency') : undefined);
  if (days !== undefined && (!/^\d{1,4}$/.test(days) || Number(days) < 1 || Number(days) > 3650)) {
    throw new HttpError(400, 'days must be 1 to 3650');
  }
  if (price !== undefined && !/^\d{1,12}(\.\d{1,8})?$/.test(price)) {
    throw new HttpError(400, 'price must be a decimal like 299 or 3.50');
  }
  if (currency !== undefined && !/^[A-Z0-9]{2,10}$/.test(currency)) {
    throw new HttpError(400, 'currency must be a code like RUB, USD or XTR');
  }
  const prices: Record<string, string | null> = {};
  for (const entry of (text('prices') ?? '').split(/[,\s]+/).filter((part) => part.length > 0)) {
    const match = /^([A-Z0-9]{2,10})=(\d{1,12}(?:\.\d{1,8})?)$/.exec(entry);
    if (match === null) {
      throw new HttpError(400, 'other prices must look like XTR=150, USD=3.5');
    }
    prices[match[1] ?? ''] = match[2] ?? '';
  }
  const traffic = text('traffic_gb');
  const maxKeys = text('max_keys');
  if (traffic !== undefined && !/^\d{1,6}$/.test(traffic)) {
    throw new HttpError(400, 'traffic must be whole GB');
  }
  if (maxKeys !== undefined && (!/^\d{1,3}$/.test(maxKeys) || Number(maxKeys) < 1 || Number(maxKeys) > 100)) {
    throw new HttpError(400, 'max keys must be 1 to 100');
  }
  return {
    ...(title === '' ? {} : { title }),
    ...(days === undefined ? {} : { durationDays: Number(days) }),
    ...(price === undefined ? {} : { price }),
    ...(currency === undefined ? {} : { currency }),
    ...(traffic === undefined
      ? {}
      : { trafficLimitBytes: traffic === '0' ? null : Number(traffic) * 1024 ** 3 }),
    ...(maxKeys === undefined ? {} : { maxKeys: Number(maxKeys) }),
    prices,
  };
}
