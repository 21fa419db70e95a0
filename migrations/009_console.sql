-- The operator's console (issue 14): an audit trail of admin actions, one-time login links and
-- console sessions, and held plans an admin discarded.

-- Every admin action from the console, the CLI or the bot, with who did it. Append-only.
create table admin_audit (
  id                 bigint generated always as identity primary key,
  at                 timestamptz not null default now(),
  -- The admin's Telegram id; null for the CLI run by the operator on the host (actor says so).
  admin_telegram_id  bigint,
  -- Where it came from: 'console', 'cli', 'bot'.
  actor              text not null check (actor in ('console', 'cli', 'bot')),
  action             text not null check (action ~ '^[a-z][a-z0-9.-]{0,63}$'),
  user_id            bigint references users (id),
  key_id             bigint references vpn_keys (id),
  panel_id           bigint references panels (id),
  -- What was asked and what it did (no secrets: panel credentials never go here).
  detail             jsonb not null default '{}',
  outcome            text not null check (outcome ~ '^[a-z][a-z0-9-]{0,63}$')
);
create index admin_audit_at_idx on admin_audit (at);
create index admin_audit_user_idx on admin_audit (user_id, at) where user_id is not null;

-- One-time console login links. Only the SHA-256 of the token is stored: a database dump does not
-- let anyone log in. A link is used at most once (used_at) and only before expires_at.
create table console_login_tokens (
  token_hash         bytea primary key check (length(token_hash) = 32),
  admin_telegram_id  bigint not null,
  created_at         timestamptz not null default now(),
  expires_at         timestamptz not null,
  used_at            timestamptz,
  check (expires_at > created_at)
);

-- Console sessions, also stored by hash. idle and absolute expiry are checked on every request.
create table console_sessions (
  session_hash       bytea primary key check (length(session_hash) = 32),
  admin_telegram_id  bigint not null,
  -- Per-session CSRF token (random, compared in constant time); not a secret worth hashing: it is
  -- useless without the session cookie.
  csrf_token         text not null,
  created_at         timestamptz not null default now(),
  last_seen_at       timestamptz not null default now(),
  expires_at         timestamptz not null,
  ended_at           timestamptz
);

-- An admin may discard a held plan: the disables stay held (fail-open) and the plan stops asking.
alter table held_plans drop constraint held_plans_resolution_check;
alter table held_plans
  add constraint held_plans_resolution_check check (resolution in ('applied', 'superseded', 'discarded')),
  add column discarded_by text;
