-- keywarden schema v1 (DESIGN.md §3). Every timestamp is timestamptz. Nothing here is ever deleted by
-- the application: history explains every decision.

create table users (
  id           bigint generated always as identity primary key,
  telegram_id  bigint not null unique,
  username     text,
  language     text,
  banned_at    timestamptz,
  created_at   timestamptz not null default now()
);

create table plans (
  id                   bigint generated always as identity primary key,
  code                 text not null unique check (code ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
  title                text not null,
  duration_days        integer not null check (duration_days > 0),
  price                numeric(20, 8) not null check (price >= 0),
  currency             text not null check (currency ~ '^[A-Z0-9]{2,10}$'),
  traffic_limit_bytes  bigint check (traffic_limit_bytes is null or traffic_limit_bytes > 0),
  max_keys             integer not null default 1 check (max_keys >= 0),
  is_active            boolean not null default true
);

-- Further prices of a plan in other currencies (e.g. Telegram Stars next to roubles). plans.price and
-- plans.currency stay the plan's primary price.
create table plan_prices (
  plan_id   bigint not null references plans (id),
  currency  text not null check (currency ~ '^[A-Z0-9]{2,10}$'),
  amount    numeric(20, 8) not null check (amount >= 0),
  primary key (plan_id, currency)
);

create table payments (
  id           bigint generated always as identity primary key,
  provider     text not null check (provider ~ '^[a-z0-9_]{1,32}$'),
  external_id  text not null check (length(external_id) between 1 and 256),
  user_id      bigint not null references users (id),
  plan_id      bigint references plans (id),
  amount       numeric(20, 8) not null check (amount >= 0),
  currency     text not null,
  status       text not null check (status in ('succeeded', 'mismatch', 'refunded')),
  payload      jsonb not null default '{}',
  created_at   timestamptz not null default now(),
  unique (provider, external_id)
);
create index payments_user_id_idx on payments (user_id);

create table subscription_periods (
  id            bigint generated always as identity primary key,
  user_id       bigint not null references users (id),
  plan_id       bigint references plans (id),
  source        text not null check (source in ('payment', 'trial', 'admin', 'promo')),
  payment_id    bigint unique references payments (id),
  starts_at     timestamptz not null,
  ends_at       timestamptz not null,
  cancelled_at  timestamptz,
  created_at    timestamptz not null default now(),
  check (ends_at > starts_at),
  check ((source = 'payment') = (payment_id is not null))
);
create index subscription_periods_user_id_idx on subscription_periods (user_id);
-- A trial is given once per user, whatever happens to it later.
create unique index subscription_periods_one_trial_idx on subscription_periods (user_id) where source = 'trial';

create table panels (
  id               bigint generated always as identity primary key,
  name             text not null unique check (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  -- Full URL up to and including the panel's webBasePath, ending in '/'.
  base_url         text not null check (base_url ~ '^https?://.+/$'),
  -- {"kind":"password","username":..,"password":..} or {"kind":"token","token":..}
  auth             jsonb not null check (auth ->> 'kind' in ('password', 'token')),
  api_generation   text check (api_generation in ('g1', 'g2')),
  public_host      text,
  tls_skip_verify  boolean not null default false,
  ca_pem           text,
  is_enabled       boolean not null default true,
  -- Observe only: the reconciler reads and plans but writes nothing to this panel.
  suspended        boolean not null default false,
  created_at       timestamptz not null default now()
);

-- Written by the reconciler from what it reads, so the bot can render links without calling a panel.
create table inbounds (
  panel_id         bigint not null references panels (id),
  inbound_id       integer not null,
  protocol         text not null,
  port             integer not null check (port between 0 and 65535),
  remark           text not null default '',
  is_enabled       boolean not null default true,
  settings         jsonb not null default '{}',
  stream_settings  jsonb not null default '{}',
  observed_at      timestamptz not null default now(),
  primary key (panel_id, inbound_id)
);

create table vpn_keys (
  id           bigint generated always as identity primary key,
  user_id      bigint not null references users (id),
  panel_id     bigint not null references panels (id),
  inbound_id   integer not null,
  email        text not null check (email ~ '^[^/\\[:space:][:cntrl:]]{1,64}$'),
  client_uuid  uuid not null default gen_random_uuid(),
  secret       text not null default replace(gen_random_uuid()::text, '-', ''),
  sub_id       text not null default substr(replace(gen_random_uuid()::text, '-', ''), 1, 16),
  flow         text not null default '',
  created_at   timestamptz not null default now(),
  revoked_at   timestamptz,
  unique (panel_id, email)
);
create index vpn_keys_user_id_idx on vpn_keys (user_id);
create index vpn_keys_panel_id_idx on vpn_keys (panel_id);

-- The client email defaults to kw-<key id>: stable, readable on the panel, unique per panel.
create function kw_vpn_keys_default_email() returns trigger language plpgsql as $$
begin
  if new.email is null then
    new.email := 'kw-' || new.id;
  end if;
  return new;
end $$;
create trigger vpn_keys_default_email before insert on vpn_keys
  for each row execute function kw_vpn_keys_default_email();

-- Written only by the reconciler.
create table key_state (
  key_id           bigint primary key references vpn_keys (id),
  desired          jsonb not null,
  observed         jsonb not null,
  converged        boolean not null,
  last_action      text,
  last_error       text,
  attempts         integer not null default 0,
  next_attempt_at  timestamptz,
  updated_at       timestamptz not null default now()
);

-- Append-only audit of every action the reconciler took or held.
create table reconcile_events (
  id        bigint generated always as identity primary key,
  at        timestamptz not null default now(),
  key_id    bigint references vpn_keys (id),
  panel_id  bigint references panels (id),
  action    text not null,
  reason    text not null,
  outcome   text not null,
  error     text,
  plan_id   uuid,
  before    jsonb,
  after     jsonb
);
create index reconcile_events_key_id_idx on reconcile_events (key_id, at);
create index reconcile_events_at_idx on reconcile_events (at);

-- Messages for the bot to deliver. dedupe_key makes enqueueing idempotent.
create table outbox (
  id                bigint generated always as identity primary key,
  user_id           bigint not null references users (id),
  kind              text not null,
  dedupe_key        text not null unique,
  payload           jsonb not null default '{}',
  created_at        timestamptz not null default now(),
  sent_at           timestamptz,
  attempts          integer not null default 0,
  next_attempt_at   timestamptz,
  undeliverable_at  timestamptz,
  last_error        text
);
create index outbox_pending_idx on outbox (next_attempt_at nulls first, id)
  where sent_at is null and undeliverable_at is null;

-- Entitlement, defined once (DESIGN.md §3; mirrored in src/domain/entitlement.ts).
-- For every user at p_at with p_grace of grace after each period's end:
--   is_entitled       not banned at p_at, and a live period has starts_at <= p_at < ends_at + grace
--   entitled_until    while entitled, the first moment after p_at that no live period covers
--   next_boundary_at  the next moment after p_at at which entitlement can change
create function kw_entitlements(p_at timestamptz, p_grace interval)
returns table (user_id bigint, is_entitled boolean, entitled_until timestamptz, next_boundary_at timestamptz)
language sql stable as $$
  select
    u.id,
    e.is_entitled,
    case when e.is_entitled then (
      select min(p.ends_at + p_grace) from subscription_periods p
      where p.user_id = u.id and p.cancelled_at is null and p.ends_at + p_grace > p_at
        and not exists (
          select 1 from subscription_periods q
          where q.user_id = u.id and q.cancelled_at is null
            and q.starts_at <= p.ends_at + p_grace and p.ends_at + p_grace < q.ends_at + p_grace)
    ) end,
    (select min(m) from (
        select p.starts_at as m from subscription_periods p
        where p.user_id = u.id and p.cancelled_at is null and p.starts_at > p_at
        union all
        select p.ends_at + p_grace from subscription_periods p
        where p.user_id = u.id and p.cancelled_at is null and p.ends_at + p_grace > p_at
        union all
        select u.banned_at where u.banned_at > p_at
      ) as moments)
  from users u
  cross join lateral (
    select (u.banned_at is null or u.banned_at > p_at) and exists (
      select 1 from subscription_periods p
      where p.user_id = u.id and p.cancelled_at is null
        and p.starts_at <= p_at and p_at < p.ends_at + p_grace) as is_entitled
  ) as e
$$;

-- NOTIFY on channel 'keywarden' when a row changes in a way that can change a key's desired state.
-- The payload only names what to look at; the reconciler re-reads everything (level-triggered).
create function kw_notify_period() returns trigger language plpgsql as $$
begin
  if tg_op = 'INSERT' or new.starts_at is distinct from old.starts_at or new.ends_at is distinct from old.ends_at
     or new.cancelled_at is distinct from old.cancelled_at or new.user_id is distinct from old.user_id then
    perform pg_notify('keywarden', json_build_object('table', 'subscription_periods', 'user_id', new.user_id)::text);
  end if;
  return null;
end $$;
create trigger subscription_periods_notify after insert or update on subscription_periods
  for each row execute function kw_notify_period();

create function kw_notify_user() returns trigger language plpgsql as $$
begin
  if new.banned_at is distinct from old.banned_at then
    perform pg_notify('keywarden', json_build_object('table', 'users', 'user_id', new.id)::text);
  end if;
  return null;
end $$;
create trigger users_notify after update on users
  for each row execute function kw_notify_user();

create function kw_notify_key() returns trigger language plpgsql as $$
begin
  if tg_op = 'INSERT' or new.revoked_at is distinct from old.revoked_at or new.panel_id is distinct from old.panel_id
     or new.inbound_id is distinct from old.inbound_id or new.email is distinct from old.email
     or new.client_uuid is distinct from old.client_uuid or new.secret is distinct from old.secret
     or new.flow is distinct from old.flow or new.user_id is distinct from old.user_id then
    perform pg_notify('keywarden', json_build_object(
      'table', 'vpn_keys', 'key_id', new.id, 'user_id', new.user_id, 'panel_id', new.panel_id)::text);
  end if;
  return null;
end $$;
create trigger vpn_keys_notify after insert or update on vpn_keys
  for each row execute function kw_notify_key();

create function kw_notify_panel() returns trigger language plpgsql as $$
begin
  if tg_op = 'INSERT' or new.is_enabled is distinct from old.is_enabled or new.suspended is distinct from old.suspended
     or new.base_url is distinct from old.base_url or new.auth is distinct from old.auth
     or new.tls_skip_verify is distinct from old.tls_skip_verify or new.ca_pem is distinct from old.ca_pem then
    perform pg_notify('keywarden', json_build_object('table', 'panels', 'panel_id', new.id)::text);
  end if;
  return null;
end $$;
create trigger panels_notify after insert or update on panels
  for each row execute function kw_notify_panel();

create function kw_notify_plan() returns trigger language plpgsql as $$
begin
  if new.traffic_limit_bytes is distinct from old.traffic_limit_bytes then
    perform pg_notify('keywarden', json_build_object('table', 'plans', 'plan_id', new.id)::text);
  end if;
  return null;
end $$;
create trigger plans_notify after update on plans
  for each row execute function kw_notify_plan();
