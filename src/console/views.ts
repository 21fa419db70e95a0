/**
 * The console's pages, server-rendered with hono's `html` tagged template: every interpolated value
 * is HTML-escaped unless it is itself a template (escaping by construction); `raw` is used only for
 * markup this code or the QR library generated. No client-side script.
 */
import { html, raw } from 'hono/html';
import type {
  AuditEntry,
  HeldPlanView,
  KeyDetail,
  Overview,
  PanelStatus,
  PaymentView,
  PlanRecord,
  UserDetail,
  UserStatus,
  UserSummary,
} from '../db/index.ts';
import { KEY_STATES, USER_STATUSES, type KeyState } from '../db/index.ts';
import { displayPanelUrl } from '../panels/index.ts';
import type { PanelFormValues } from './panel-forms.ts';
import type { ConsoleLanguage, ConsoleMessages } from './i18n.ts';

/** A rendered fragment (hono's escaped string, possibly pending). */
export type Html = ReturnType<typeof html>;

/** What every page knows about the request. */
export interface PageContext {
  readonly t: ConsoleMessages;
  readonly language: ConsoleLanguage;
  /** The path and query of this page (for the language switch). */
  readonly path: string;
  /** Null on the login pages. */
  readonly session: { readonly adminTelegramId: number; readonly csrfToken: string } | null;
  readonly flash?: { readonly text: string; readonly isError?: boolean } | undefined;
}

const NAV = [
  ['/', 'overview'],
  ['/users', 'users'],
  ['/payments', 'payments'],
  ['/panels', 'panels'],
  ['/held', 'held'],
  ['/audit', 'audit'],
  ['/plans', 'plans'],
  ['/compensate', 'compensation'],
] as const;

/** `2026-06-01 12:00` (UTC), or a dash. */
export function fmt(at: Date | null | undefined): string {
  return at === null || at === undefined ? '–' : at.toISOString().slice(0, 16).replace('T', ' ');
}

const badge = (kind: string, text: string = kind): Html => html`<span class="badge ${kind}">${text}</span>`;

/** A user's or key's state as a badge, in the admin's language. */
const stateBadge = (ctx: PageContext, state: string): Html => badge(state, ctx.t.states[state] ?? state);

/** The hidden CSRF field every POST form carries. */
function csrf(ctx: PageContext): Html {
  return html`<input type="hidden" name="_csrf" value="${ctx.session?.csrfToken ?? ''}" />`;
}

/** A one-button POST form. */
function postButton(ctx: PageContext, action: string, label: string, style = ''): Html {
  return html`<form class="inline" method="post" action="${action}">
    ${csrf(ctx)}<button class="${style}" type="submit">${label}</button>
  </form>`;
}

/** The page frame: header with navigation, language switch and logout. */
export function layout(ctx: PageContext, title: string, body: Html): Html {
  const { t } = ctx;
  const other = ctx.language === 'ru' ? 'en' : 'ru';
  const current = ctx.path.split('?')[0] ?? '/';
  return html`<!doctype html>
    <html lang="${ctx.language}">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>${title} · ${t.title}</title>
        <link rel="stylesheet" href="/assets/console.css" />
      </head>
      <body>
        <header>
          <span class="brand">keywarden</span>
          ${
            ctx.session === null
              ? ''
              : html`<nav>
                  ${NAV.map(
                    ([href, key]) =>
                      html`<a
                        href="${href}"
                        class="${(href === '/' ? current === '/' : current.startsWith(href)) ? 'here' : ''}"
                        >${t[key]}</a
                      >`,
                  )}
                </nav>`
          }
          <span class="me">
            <a href="/lang?to=${other}&amp;back=${encodeURIComponent(ctx.path)}" lang="${other}"
              >${t.language}</a
            >
            ${
              ctx.session === null
                ? ''
                : html`<span>${t.loggedInAs} ${ctx.session.adminTelegramId}</span>
                    <form class="inline" method="post" action="/logout">
                      ${csrf(ctx)}<button class="link" type="submit">${t.logout}</button>
                    </form>`
            }
          </span>
        </header>
        <main>
          ${
            ctx.flash === undefined
              ? ''
              : html`<div class="flash ${ctx.flash.isError === true ? 'error' : ''}" role="status">
                  ${ctx.flash.text}
                </div>`
          }
          <h1>${title}</h1>
          ${body}
        </main>
      </body>
    </html>`;
}

/** The login page behind a one-time link: a button, so link previews cannot use the link up. */
export function loginPage(ctx: PageContext, token: string): Html {
  return layout(
    ctx,
    ctx.t.loginTitle,
    html`<div class="card login">
      <form method="post" action="/login">
        <input type="hidden" name="token" value="${token}" />
        <p><button type="submit">${ctx.t.loginButton}</button></p>
      </form>
      <p class="muted">${ctx.t.loginHint}</p>
    </div>`,
  );
}

/** A page with only a message (refusals, logged out). */
export function messagePage(ctx: PageContext, title: string, text: string): Html {
  return layout(ctx, title, html`<div class="card login"><p>${text}</p></div>`);
}

function table(head: readonly string[], rows: readonly Html[]): Html {
  return html`<div class="scroll">
    <table>
      <thead>
        <tr>
          ${head.map((cell) => html`<th>${cell}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
  </div>`;
}

function panelState(ctx: PageContext, panel: PanelStatus): Html {
  return panel.up === null
    ? badge('none', ctx.t.neverRead)
    : panel.up
      ? badge('up', ctx.t.up)
      : badge('down', ctx.t.down);
}

function panelMode(ctx: PageContext, panel: PanelStatus): Html {
  return !panel.isEnabled
    ? badge('none', ctx.t.disabledPanel)
    : panel.suspended
      ? badge('observe', ctx.t.observe)
      : badge('ok', ctx.t.enforce);
}

const counts = (map: Readonly<Record<string, number>>): Html =>
  Object.keys(map).length === 0
    ? html`–`
    : html`${Object.entries(map).map(([label, n]) => html`<span class="badge">${label} ${n}</span> `)}`;

/** The overview page. */
export function overviewPage(ctx: PageContext, overview: Overview): Html {
  const { t } = ctx;
  const up = overview.panels.filter((panel) => panel.up === true).length;
  return layout(
    ctx,
    t.overview,
    html`<div class="cards">
        <div class="card">
          <div class="n">${up} / ${overview.panels.length}</div>
          <div class="l">${t.panelsUp}</div>
        </div>
        <div class="card">
          <div class="n">${overview.drifted}</div>
          <div class="l">${t.drift} (${t.drifted})</div>
        </div>
        <div class="card">
          <div class="n">${overview.heldActions}</div>
          <div class="l"><a href="/held">${t.heldDisables}</a> (${overview.heldPlans})</div>
        </div>
        <div class="card">
          <div class="n">${overview.adminActions24h}</div>
          <div class="l">${t.adminActions24h}</div>
        </div>
      </div>
      <h2>${t.usersByStatus}</h2>
      <div class="cards">
        ${USER_STATUSES.map(
          (status) =>
            html`<div class="card">
              <div class="n">${overview.users[status]}</div>
              <div class="l"><a href="/users?status=${status}">${stateBadge(ctx, status)}</a></div>
            </div>`,
        )}
      </div>
      <h2>${t.panels}</h2>
      ${table(
        [t.panel, t.status, t.owner, t.mode, t.keysByDesired, t.drift, t.heldDisables],
        overview.panels.map(
          (panel) =>
            html`<tr>
              <td><a href="/panels#p${panel.id}">${panel.name}</a></td>
              <td>${panelState(ctx, panel)}</td>
              <td>${panel.ownedBy ?? '–'}</td>
              <td>${panelMode(ctx, panel)}</td>
              <td>${counts(panel.keysByDesired)}</td>
              <td>${panel.drifted}</td>
              <td>${panel.held}</td>
            </tr>`,
        ),
      )}
      <h2>${t.keysByDesired}</h2>
      <p>${counts(overview.keysByDesired)}</p>
      <h2>${t.actions24h}</h2>
      <p>${counts(overview.actions24h)}</p>
      <h2>${t.payments24h}</h2>
      ${
        overview.payments24h.length === 0
          ? html`<p class="muted">${t.none}</p>`
          : table(
              [t.provider, t.status, t.amount, '#'],
              overview.payments24h.map(
                (row) =>
                  html`<tr>
                    <td>${row.provider}</td>
                    <td>${badge(row.status)}</td>
                    <td>${row.amount} ${row.currency}</td>
                    <td>${row.count}</td>
                  </tr>`,
              ),
            )
      }`,
  );
}

/** The users page: search and list by status. */
export function usersPage(
  ctx: PageContext,
  filter: { readonly query: string; readonly status: UserStatus | undefined },
  users: readonly UserSummary[],
): Html {
  const { t } = ctx;
  return layout(
    ctx,
    t.users,
    html`<form class="filters" method="get" action="/users">
        <input
          type="search"
          name="q"
          value="${filter.query}"
          placeholder="${t.searchPlaceholder}"
          aria-label="${t.search}"
        />
        <select name="status" aria-label="${t.status}">
          <option value="">${t.all}</option>
          ${USER_STATUSES.map(
            (status) =>
              html`<option value="${status}" ${status === filter.status ? 'selected' : ''}>
                ${status}
              </option>`,
          )}
        </select>
        <button type="submit">${t.search}</button>
      </form>
      ${
        users.length === 0
          ? html`<p class="muted">${t.noResults}</p>`
          : table(
              ['#', t.telegramId, t.username, t.status, t.until, t.liveKeys, t.created],
              users.map(
                (user) =>
                  html`<tr>
                    <td><a href="/users/${user.id}">${user.id}</a></td>
                    <td><a href="/users/${user.id}">${user.telegramId}</a></td>
                    <td>${user.username === null ? '–' : `@${user.username}`}</td>
                    <td>${stateBadge(ctx, user.status)}</td>
                    <td>${fmt(user.entitledUntil)}</td>
                    <td>${user.liveKeys}</td>
                    <td>${fmt(user.createdAt)}</td>
                  </tr>`,
              ),
            )
      }`,
  );
}

function timeline(detail: UserDetail): Html {
  const periods = detail.periods;
  if (periods.length === 0) {
    return html``;
  }
  // An SVG with geometry in attributes: the CSP forbids inline styles.
  const start = Math.min(...periods.map((period) => period.startsAt.getTime()));
  const end = Math.max(Date.now(), ...periods.map((period) => period.endsAt.getTime()));
  const span = Math.max(1, end - start);
  const x = (at: number): string => (((at - start) / span) * 1000).toFixed(1);
  const now = x(Date.now());
  return html`<svg
    class="timeline"
    viewBox="0 0 1000 ${periods.length * 14}"
    preserveAspectRatio="none"
    role="img"
  >
    ${periods.map(
      (period, index) =>
        html`<rect
          class="span ${period.source} ${period.cancelledAt === null ? '' : 'cancelled'}"
          x="${x(period.startsAt.getTime())}"
          y="${index * 14 + 2}"
          height="10"
          width="${Math.max(2, ((period.endsAt.getTime() - period.startsAt.getTime()) / span) * 1000).toFixed(1)}"
        >
          <title>
            ${period.source} ${fmt(period.startsAt)} →
            ${fmt(period.endsAt)}${period.cancelledAt === null ? '' : ' (cancelled)'}
          </title>
        </rect>`,
    )}
    <line class="now" x1="${now}" x2="${now}" y1="0" y2="${periods.length * 14}"></line>
  </svg>`;
}

function observedText(key: KeyDetail): string {
  if (key.observed === null) {
    return '–';
  }
  if (key.observed.kind === 'present') {
    return `present, ${key.observed.enabled === true ? 'enabled' : 'disabled'}`;
  }
  return key.observed.cause === null ? key.observed.kind : `${key.observed.kind} (${key.observed.cause})`;
}

function keyCard(
  ctx: PageContext,
  key: KeyDetail,
  link: { readonly url: string; readonly qrSvg: string } | null,
): Html {
  const { t } = ctx;
  return html`<div class="key" id="key-${key.id}">
    <strong>${t.key} ${key.id}</strong> <span class="mono">${key.email}</span> · ${key.panelName} ·
    ${stateBadge(ctx, key.state)}
    <dl>
      <dt>${t.desired}</dt>
      <dd>
        ${key.desired === null ? '–' : html`${key.desired.kind} <strong>(${key.desired.reason})</strong>`}
      </dd>
      <dt>${t.observed}</dt>
      <dd>${observedText(key)}</dd>
      <dt>${t.lastAction}</dt>
      <dd>
        ${key.lastAction ?? '–'}
        ${key.stateUpdatedAt === null ? '' : html`<span class="muted">${fmt(key.stateUpdatedAt)}</span>`}
      </dd>
      <dt>${t.lastError}</dt>
      <dd>${key.lastError ?? '–'}</dd>
      ${
        key.revokedAt === null
          ? html`<dt>${t.link}</dt>
              <dd>
                ${link === null ? html`<span class="muted">${t.linkUnknown}</span>` : html`<span class="mono">${link.url}</span>`}
              </dd>`
          : html`<dt>revoked</dt>
              <dd>${fmt(key.revokedAt)}</dd>`
      }
    </dl>
    ${link === null || key.revokedAt !== null ? '' : html`<div class="qr">${raw(link.qrSvg)}</div>`}
    ${
      key.events.length === 0
        ? ''
        : html`<details>
            <summary>${t.history}</summary>
            ${table(
              [t.at, t.action, t.reason, t.outcome, t.lastError],
              key.events.map(
                (event) =>
                  html`<tr>
                    <td>${fmt(event.at)}</td>
                    <td>${event.action}</td>
                    <td>${event.reason}</td>
                    <td>${badge(event.outcome)}</td>
                    <td>${event.error ?? ''}</td>
                  </tr>`,
              ),
            )}
          </details>`
    }
    ${
      key.revokedAt === null
        ? html`<div>
            ${postButton(ctx, `/keys/${key.id}/replace`, t.replace, 'quiet')}
            ${postButton(ctx, `/keys/${key.id}/revoke`, t.revoke, 'danger')}
          </div>`
        : ''
    }
  </div>`;
}

/** One payment row. */
function paymentRow(payment: PaymentView, withUser: boolean): Html {
  return html`<tr>
    <td>${payment.id}</td>
    <td>${fmt(payment.createdAt)}</td>
    ${withUser ? html`<td><a href="/users/${payment.userId}">${payment.telegramId}</a></td>` : ''}
    <td>${payment.provider}</td>
    <td class="mono">${payment.externalId}</td>
    <td>${payment.planCode ?? '–'}</td>
    <td>${payment.amount} ${payment.currency}</td>
    <td>${badge(payment.status)}</td>
  </tr>`;
}

/** The user page. */
export function userPage(
  ctx: PageContext,
  detail: UserDetail,
  links: ReadonlyMap<string, { readonly url: string; readonly qrSvg: string }>,
): Html {
  const { t } = ctx;
  const { user } = detail;
  return layout(
    ctx,
    `${t.user} ${user.username === null ? String(user.telegramId) : `@${user.username}`}`,
    html`<p>
        #${user.id} · ${t.telegramId} ${user.telegramId} · ${stateBadge(ctx, user.status)}
        ${user.entitledUntil === null ? '' : html`· ${t.until} ${fmt(user.entitledUntil)}`}
      </p>
      <div>
        <form class="inline" method="post" action="/users/${user.id}/grant">
          ${csrf(ctx)}
          <label
            >${t.giveDays} <input type="number" name="days" min="1" max="3650" value="30" required
          /></label>
          <button type="submit">${t.give}</button>
        </form>
        ${
          user.bannedAt === null
            ? postButton(ctx, `/users/${user.id}/ban`, t.ban, 'danger')
            : postButton(ctx, `/users/${user.id}/unban`, t.unban, 'quiet')
        }
      </div>
      <h2>${t.periods}</h2>
      ${timeline(detail)}
      ${table(
        ['#', t.source, t.plan, t.from, t.to, t.cancelled],
        detail.periods.map(
          (period) =>
            html`<tr>
              <td>${period.id}</td>
              <td>${period.source}</td>
              <td>${period.planCode ?? '–'}</td>
              <td>${fmt(period.startsAt)}</td>
              <td>${fmt(period.endsAt)}</td>
              <td>${fmt(period.cancelledAt)}</td>
            </tr>`,
        ),
      )}
      <h2>${t.payments}</h2>
      ${
        detail.payments.length === 0
          ? html`<p class="muted">${t.none}</p>`
          : table(
              ['#', t.at, t.provider, t.externalId, t.plan, t.amount, t.status],
              detail.payments.map((payment) => paymentRow(payment, false)),
            )
      }
      <h2>${t.keys}</h2>
      ${
        detail.keys.length === 0
          ? html`<p class="muted">${t.none}</p>`
          : detail.keys.map((key) => keyCard(ctx, key, links.get(key.id) ?? null))
      }`,
  );
}

/** The payments page. */
export function paymentsPage(ctx: PageContext, mismatched: boolean, payments: readonly PaymentView[]): Html {
  const { t } = ctx;
  return layout(
    ctx,
    t.payments,
    html`<form class="filters" method="get" action="/payments">
        <label
          ><input type="checkbox" name="mismatched" value="1" ${mismatched ? 'checked' : ''} />
          ${t.mismatchedOnly}</label
        >
        <button type="submit">${t.filter}</button>
      </form>
      ${
        payments.length === 0
          ? html`<p class="muted">${t.noResults}</p>`
          : table(
              ['#', t.at, t.user, t.provider, t.externalId, t.plan, t.amount, t.status],
              payments.map((payment) => paymentRow(payment, true)),
            )
      }`,
  );
}

/** The add form's values after a refusal (never the password or token), or empty. */
const EMPTY_PANEL_FORM: PanelFormValues = {
  name: '',
  url: '',
  username: '',
  caPem: '',
  publicHost: '',
  tls: '',
  isSuspended: false,
  isUnchecked: false,
};

/** Credential fields: the password and token inputs never carry a value (nothing is echoed back). */
function credentialFields(ctx: PageContext, values: PanelFormValues): Html {
  const { t } = ctx;
  return html`<label
      >${t.username} <input name="username" value="${values.username}" autocomplete="off" size="14"
    /></label>
    <label
      >${t.password} <input type="password" name="password" autocomplete="new-password" size="14"
    /></label>
    <label>${t.token} <input type="password" name="token" autocomplete="new-password" size="20" /></label>`;
}

function inboundList(ctx: PageContext, panel: PanelStatus): Html {
  if (panel.inboundList.length === 0) {
    return html`<span class="muted">${ctx.t.none}</span>`;
  }
  return html`<ul class="inbounds">
    ${panel.inboundList.map(
      (inbound) =>
        html`<li>
          <span class="mono">#${inbound.id}</span>
          ${inbound.remark === '' ? '' : html`${inbound.remark} · `}${`${inbound.protocol}:${String(inbound.port)}`}
          ${inbound.isEnabled ? '' : badge('none', ctx.t.disabledPanel)}
          ${inbound.missingSince === null ? '' : badge('problem', `${ctx.t.missingSince} ${fmt(inbound.missingSince)}`)}
        </li>`,
    )}
  </ul>`;
}

function panelCard(ctx: PageContext, panel: PanelStatus): Html {
  const { t } = ctx;
  const readError = panel.lastRead?.error ?? null;
  return html`<div class="key panel" id="p${panel.id}">
    <strong class="name">${panel.name}</strong>
    <span class="mono muted">${displayPanelUrl(panel.baseUrl)}</span> ${panelState(ctx, panel)}
    ${panelMode(ctx, panel)}
    <dl>
      <dt>${t.generation}</dt>
      <dd class="generation">${panel.generation ?? '?'}</dd>
      <dt>${t.version}</dt>
      <dd class="version">${panel.version ?? '–'}</dd>
      <dt>${t.inbounds}</dt>
      <dd>${inboundList(ctx, panel)}</dd>
      <dt>${t.keys}</dt>
      <dd>
        <a href="/keys?panel=${encodeURIComponent(panel.name)}">${panel.liveKeys}</a> ·
        ${counts(panel.keysByDesired)}
      </dd>
      <dt>${t.drift}</dt>
      <dd>${panel.drifted} · ${t.heldDisables}: ${panel.held}</dd>
      <dt>${t.owner}</dt>
      <dd>${panel.ownedBy ?? '–'}</dd>
      <dt>${t.lastRead}</dt>
      <dd>
        ${panel.lastRead === null ? t.neverRead : fmt(panel.lastRead.at)} · ${t.lastSync}
        ${fmt(panel.lastSyncAt)}
      </dd>
      <dt>${t.lastError}</dt>
      <dd>
        ${readError ?? ''}
        ${
          panel.lastError === null
            ? readError === null
              ? '–'
              : ''
            : html`${readError === null ? '' : html`<br />`}${panel.lastError.message}
                <span class="muted">${fmt(panel.lastError.at)}</span>`
        }
      </dd>
    </dl>
    <div>
      ${postButton(ctx, `/panels/${panel.id}/test`, t.test, 'quiet')}
      <a class="button quiet" href="/panels/${panel.id}/edit">${t.edit}</a>
      ${
        panel.suspended
          ? postButton(ctx, `/panels/${panel.id}/resume`, t.resume, 'quiet')
          : postButton(ctx, `/panels/${panel.id}/suspend`, t.suspend, 'quiet')
      }
      <a class="button danger" href="/panels/${panel.id}/remove">${t.remove}</a>
    </div>
  </div>`;
}

/** The panels page: each panel's status with its actions, and the add form. */
export function panelsPage(
  ctx: PageContext,
  panels: readonly PanelStatus[],
  form: PanelFormValues = EMPTY_PANEL_FORM,
): Html {
  const { t } = ctx;
  return layout(
    ctx,
    t.panels,
    html`${panels.length === 0 ? html`<p class="muted">${t.none}</p>` : panels.map((panel) => panelCard(ctx, panel))}
      <h2 id="add">${t.addPanel}</h2>
      <div class="key">
        <form class="stack" method="post" action="/panels">
          ${csrf(ctx)}
          <label
            >${t.panelName}
            <input name="name" value="${form.name}" maxlength="64" required autocomplete="off"
          /></label>
          <label
            >${t.panelUrl}
            <input
              name="url"
              value="${form.url}"
              placeholder="https://203.0.113.10:2053/AbCdEf/"
              required
              autocomplete="off"
          /></label>
          ${credentialFields(ctx, form)}
          <label
            >${t.publicHost} <input name="public_host" value="${form.publicHost}" autocomplete="off"
          /></label>
          <label>${t.caPem} <textarea name="ca_pem" rows="3">${form.caPem}</textarea></label>
          <label
            ><input type="checkbox" name="tls_skip_verify" ${form.tls === 'on' ? 'checked' : ''} />
            ${t.tlsSkipVerify}</label
          >
          <label
            ><input type="checkbox" name="suspended" ${form.isSuspended ? 'checked' : ''} />
            ${t.startSuspended}</label
          >
          <label
            ><input type="checkbox" name="no_check" ${form.isUnchecked ? 'checked' : ''} />
            ${t.saveUnchecked}</label
          >
          <p><button type="submit">${t.checkAndSave}</button></p>
          <p class="muted">${t.panelSecretsNote}</p>
        </form>
      </div>`,
  );
}

/** The edit page of a panel: blank fields keep what is saved; the URL is shown without its path. */
export function panelEditPage(
  ctx: PageContext,
  panel: PanelStatus,
  form: PanelFormValues = EMPTY_PANEL_FORM,
): Html {
  const { t } = ctx;
  const tls = form.tls === '' ? 'keep' : form.tls;
  return layout(
    ctx,
    t.editPanelTitle(panel.name),
    html`<div class="key">
      <p class="muted">${t.editKeepsBlank} ${t.savedCredentials(panel.authKind)}</p>
      <form class="stack" method="post" action="/panels/${panel.id}/edit">
        ${csrf(ctx)}
        <label
          >${t.panelUrl}
          <input
            name="url"
            value="${form.url}"
            placeholder="${displayPanelUrl(panel.baseUrl)}"
            autocomplete="off"
        /></label>
        ${credentialFields(ctx, form)}
        <label>${t.caPem} <textarea name="ca_pem" rows="3">${form.caPem}</textarea></label>
        <label
          >${t.tlsSetting}
          <select name="tls">
            <option value="keep" ${tls === 'keep' ? 'selected' : ''}>${t.tlsKeep}</option>
            <option value="verify" ${tls === 'verify' ? 'selected' : ''}>${t.tlsVerify}</option>
            <option value="skip" ${tls === 'skip' ? 'selected' : ''}>${t.tlsSkip}</option>
          </select></label
        >
        <label
          ><input type="checkbox" name="no_check" ${form.isUnchecked ? 'checked' : ''} />
          ${t.saveUnchecked}</label
        >
        <p>
          <button type="submit">${t.checkAndSave}</button>
          <a class="button quiet" href="/panels#p${panel.id}">${t.cancel}</a>
        </p>
      </form>
    </div>`,
  );
}

/** The confirmation step of removing a panel: how many live keys it revokes. */
export function panelRemovePage(ctx: PageContext, panel: PanelStatus): Html {
  const { t } = ctx;
  return layout(
    ctx,
    t.removePanelTitle(panel.name),
    html`<div class="card">
      <p><strong>${t.removeLiveKeys(panel.liveKeys)}</strong></p>
      <form method="post" action="/panels/${panel.id}/remove">
        ${csrf(ctx)}
        <input type="hidden" name="expected" value="${panel.liveKeys}" />
        <button type="submit" class="danger">${t.removeConfirm(panel.liveKeys)}</button>
        <a class="button quiet" href="/panels#p${panel.id}">${t.cancel}</a>
      </form>
    </div>`,
  );
}

/** A list of keys (from the panels page). */
export function keysPage(
  ctx: PageContext,
  title: string,
  keys: readonly KeyDetail[],
  filter: { readonly panel: string; readonly state: KeyState | undefined },
): Html {
  const { t } = ctx;
  return layout(
    ctx,
    title,
    html`<form class="filters" method="get" action="/keys">
        ${filter.panel === '' ? '' : html`<input type="hidden" name="panel" value="${filter.panel}" />`}
        <select name="state" aria-label="${t.state}">
          <option value="">${t.all}</option>
          ${KEY_STATES.map(
            (state) =>
              html`<option value="${state}" ${state === filter.state ? 'selected' : ''}>
                ${t.states[state] ?? state}
              </option>`,
          )}
        </select>
        <button type="submit">${t.filter}</button>
      </form>
      ${table(
        [t.key, t.user, t.panel, t.email, t.state, t.desired, t.observed, t.lastAction, t.lastError],
        keys.map(
          (key) =>
            html`<tr>
              <td><a href="/users/${key.userId}#key-${key.id}">${key.id}</a></td>
              <td>${key.telegramId}</td>
              <td>${key.panelName}</td>
              <td class="mono">${key.email}</td>
              <td>${stateBadge(ctx, key.state)}</td>
              <td>${key.desired === null ? '–' : `${key.desired.kind} (${key.desired.reason})`}</td>
              <td>${observedText(key)}</td>
              <td>${key.lastAction ?? '–'}</td>
              <td>${key.lastError ?? '–'}</td>
            </tr>`,
        ),
      )}`,
  );
}

/** The held plans page. */
export function heldPage(ctx: PageContext, plans: readonly HeldPlanView[]): Html {
  const { t } = ctx;
  return layout(
    ctx,
    t.held,
    plans.length === 0
      ? html`<p class="muted">${t.noHeld}</p>`
      : html`${plans.map(
          (plan) =>
            html`<div class="key">
              <strong>${plan.panelName}</strong> · ${t.cause}: ${plan.cause} · ${plan.actionCount} ·
              ${t.firstSeen} ${fmt(plan.firstSeenAt)}
              <div class="mono muted">${plan.fingerprint}</div>
              ${table(
                [t.key, t.email, t.action, t.reason],
                plan.actions.map(
                  (action) =>
                    html`<tr>
                      <td>${action.keyId}</td>
                      <td class="mono">${action.email}</td>
                      <td>${action.action}</td>
                      <td>${action.reason}</td>
                    </tr>`,
                ),
              )}
              ${
                plan.confirmedAt === null
                  ? html`<div>
                      ${postButton(ctx, `/held/${plan.fingerprint}/confirm`, t.confirm, 'danger')}
                      ${postButton(ctx, `/held/${plan.fingerprint}/discard`, t.discard, 'quiet')}
                    </div>`
                  : html`<p>${badge('held', `${t.confirm}: ${plan.confirmedBy ?? ''}`)}</p>`
              }
            </div>`,
        )}`,
  );
}

/** The audit log page. */
export function auditPage(
  ctx: PageContext,
  filter: Readonly<Record<'source' | 'user' | 'panel' | 'action' | 'outcome' | 'since', string>>,
  entries: readonly AuditEntry[],
): Html {
  const { t } = ctx;
  const field = (name: keyof typeof filter, label: string, size = 10): Html =>
    html`<input
      name="${name}"
      value="${filter[name]}"
      placeholder="${label}"
      aria-label="${label}"
      size="${size}"
    />`;
  return layout(
    ctx,
    t.audit,
    html`<form class="filters" method="get" action="/audit">
        <select name="source" aria-label="${t.source}">
          <option value="">${t.all}</option>
          <option value="reconciler" ${filter.source === 'reconciler' ? 'selected' : ''}>reconciler</option>
          <option value="admin" ${filter.source === 'admin' ? 'selected' : ''}>admin</option>
        </select>
        ${field('user', `${t.user} #`, 6)} ${field('panel', t.panel)} ${field('action', t.action)}
        ${field('outcome', t.outcome)} ${field('since', `${t.since} (24h, 7d)`, 8)}
        <button type="submit">${t.filter}</button>
      </form>
      ${
        entries.length === 0
          ? html`<p class="muted">${t.noResults}</p>`
          : table(
              [t.at, t.actor, t.action, t.outcome, t.user, t.key, t.panel, t.detail],
              entries.map(
                (entry) =>
                  html`<tr>
                    <td>${fmt(entry.at)}</td>
                    <td>
                      ${entry.actor}${entry.adminTelegramId === null ? '' : ` ${String(entry.adminTelegramId)}`}
                    </td>
                    <td>${entry.action}</td>
                    <td>${badge(entry.outcome)}</td>
                    <td>
                      ${entry.userId === null ? '–' : html`<a href="/users/${entry.userId}">${entry.userId}</a>`}
                    </td>
                    <td>${entry.keyId ?? '–'}</td>
                    <td>${entry.panelName ?? '–'}</td>
                    <td class="mono">${entry.detail}${entry.error === null ? '' : ` — ${entry.error}`}</td>
                  </tr>`,
              ),
            )
      }`,
  );
}

function otherPrices(plan: PlanRecord): string {
  return Object.entries(plan.prices)
    .filter(([currency]) => currency !== plan.currency)
    .map(([currency, amount]) => `${currency}=${amount.replace(/\.?0+$/, '')}`)
    .join(', ');
}

function planFields(ctx: PageContext, plan: PlanRecord | null): Html {
  const { t } = ctx;
  return html`<label>${t.titleField} <input name="title" value="${plan?.title ?? ''}" required /></label>
    <label
      >${t.duration}
      <input type="number" name="days" min="1" max="3650" value="${plan?.durationDays ?? 30}" required
    /></label>
    <label
      >${t.price} <input name="price" value="${plan?.price.replace(/\.?0+$/, '') ?? ''}" size="7" required
    /></label>
    <label
      >${t.currency} <input name="currency" value="${plan?.currency ?? 'RUB'}" size="5" required
    /></label>
    <label
      >${t.otherPrices} <input name="prices" value="${plan === null ? '' : otherPrices(plan)}" size="14"
    /></label>
    <label
      >${t.traffic}
      <input
        type="number"
        name="traffic_gb"
        min="0"
        value="${plan?.trafficLimitBytes === null || plan === null ? 0 : plan.trafficLimitBytes / 1024 ** 3}"
    /></label>
    <label
      >${t.maxKeys} <input type="number" name="max_keys" min="1" max="100" value="${plan?.maxKeys ?? 1}"
    /></label>`;
}

/** The plans and prices page. */
export function plansPage(ctx: PageContext, plans: readonly PlanRecord[]): Html {
  const { t } = ctx;
  return layout(
    ctx,
    t.plans,
    html`${plans.map(
        (plan) =>
          html`<div class="key">
            <strong class="mono">${plan.code}</strong>
            ${badge(plan.isActive ? 'ok' : 'none', plan.isActive ? t.onSale : t.archived)}
            <form class="inline" method="post" action="/plans/${plan.code}">
              ${csrf(ctx)} ${planFields(ctx, plan)}
              <button type="submit">${t.save}</button>
            </form>
            ${
              plan.isActive
                ? postButton(ctx, `/plans/${plan.code}/archive`, t.archive, 'quiet')
                : postButton(ctx, `/plans/${plan.code}/activate`, t.putOnSale, 'quiet')
            }
          </div>`,
      )}
      <h2>${t.addPlan}</h2>
      <div class="key">
        <form class="inline" method="post" action="/plans">
          ${csrf(ctx)}
          <label>${t.code} <input name="code" pattern="[a-z0-9][a-z0-9_-]{0,63}" size="10" required /></label>
          ${planFields(ctx, null)}
          <button type="submit">${t.create}</button>
        </form>
      </div>`,
  );
}

/** The compensation page: a preview (count) first, then apply. */
export function compensationPage(
  ctx: PageContext,
  preview: { readonly days: number; readonly activeOnly: boolean; readonly count: number } | null,
): Html {
  const { t } = ctx;
  return layout(
    ctx,
    t.compensation,
    html`<p class="muted">${t.compensationHelp}</p>
      <form class="filters" method="get" action="/compensate">
        <label
          >${t.days}
          <input type="number" name="days" min="1" max="3650" value="${preview?.days ?? 3}" required
        /></label>
        <select name="scope" aria-label="${t.filter}">
          <option value="active" ${preview?.activeOnly === false ? '' : 'selected'}>${t.activeOnly}</option>
          <option value="all" ${preview?.activeOnly === false ? 'selected' : ''}>${t.everyCustomer}</option>
        </select>
        <button type="submit" class="quiet">${t.preview}</button>
      </form>
      ${
        preview === null
          ? ''
          : html`<div class="card">
              <p><strong>${t.previewCount(preview.days, preview.count)}</strong></p>
              <form method="post" action="/compensate">
                ${csrf(ctx)}
                <input type="hidden" name="days" value="${preview.days}" />
                <input type="hidden" name="scope" value="${preview.activeOnly ? 'active' : 'all'}" />
                <input type="hidden" name="expected" value="${preview.count}" />
                <button type="submit" class="danger">${t.apply}</button>
              </form>
            </div>`
      }`,
  );
}
