-- Orders (issue 16, docs/payments.md): what a customer is about to pay, fixed before any provider sees
-- it. The reference providers carry is the opaque `o:<order id>`; the payment that pays an order is
-- checked against the order's amount, currency and provider, and a paid order grants exactly one
-- period through the one write path (appendPeriod).
--
-- State machine (src/domain/order-state.ts, enforced here by kw_orders_check_transition):
--   created ──► pending ──► paid ──► refunded
--      │           ├──► cancelled ─┐
--      │           ├──► expired  ──┼──► paid   (a late payment is honoured: money received = access)
--      │           └──► failed   ──┘
--      └──► paid | cancelled | expired | failed
create table orders (
  id                   uuid primary key default gen_random_uuid(),
  user_id              bigint not null references users (id),
  plan_id              bigint not null references plans (id),
  -- Price and currency as offered when the order was made; later plan price changes do not apply.
  amount               numeric(20, 8) not null check (amount > 0),
  currency             text not null check (currency ~ '^[A-Z0-9]{2,10}$'),
  provider             text not null check (provider ~ '^[a-z0-9_]{1,32}$'),
  -- purchase: the customer pressed a button; renewal: an automatic charge of a saved method or a
  -- recurring Stars payment (renewal_of names the order that started it).
  purpose              text not null default 'purchase' check (purpose in ('purchase', 'renewal')),
  renewal_of           uuid references orders (id),
  state                text not null default 'created'
                       check (state in ('created', 'pending', 'paid', 'cancelled', 'expired', 'failed', 'refunded')),
  -- Sent as YooKassa's Idempotence-Key; stored before the provider is called, so a retry after a
  -- crash repeats the same request and can never create a second payment.
  idempotence_key      text not null unique check (length(idempotence_key) between 1 and 64),
  provider_payment_id  text check (length(provider_payment_id) between 1 and 256),
  confirmation_url     text,
  payment_id           bigint unique references payments (id),
  failure_reason       text,
  expires_at           timestamptz not null,
  created_at           timestamptz not null default now(),
  updated_at           timestamptz not null default now(),
  unique (provider, provider_payment_id),
  -- Paid (or refunded after being paid) exactly when a payment row is attached: an order cannot be
  -- paid without a recorded payment, and a recorded payment cannot be left without its order paid.
  check ((state in ('paid', 'refunded')) = (payment_id is not null)),
  check ((purpose = 'renewal') or renewal_of is null)
);
create index orders_user_id_idx on orders (user_id, created_at);
create index orders_open_idx on orders (expires_at) where state in ('created', 'pending');

alter table payments add column order_id uuid references orders (id);
create index payments_order_id_idx on payments (order_id) where order_id is not null;

-- The allowed state changes, the same table as src/domain/order-state.ts ORDER_TRANSITIONS (a test runs
-- every pair through both).
create function kw_order_transition_allowed(p_from text, p_to text) returns boolean
language sql immutable as $$
  select (p_from, p_to) in (
    ('created', 'pending'), ('created', 'paid'), ('created', 'cancelled'), ('created', 'expired'), ('created', 'failed'),
    ('pending', 'paid'), ('pending', 'cancelled'), ('pending', 'expired'), ('pending', 'failed'),
    ('cancelled', 'paid'), ('expired', 'paid'), ('failed', 'paid'),
    ('paid', 'refunded'))
$$;

create function kw_orders_check_transition() returns trigger language plpgsql as $$
begin
  if new.state is distinct from old.state and not kw_order_transition_allowed(old.state, new.state) then
    raise exception 'order % cannot go from % to %', old.id, old.state, new.state
      using errcode = 'check_violation';
  end if;
  if new.user_id is distinct from old.user_id or new.plan_id is distinct from old.plan_id
     or new.amount is distinct from old.amount or new.currency is distinct from old.currency
     or new.provider is distinct from old.provider or new.idempotence_key is distinct from old.idempotence_key then
    raise exception 'order % is fixed at creation (user, plan, price, provider, idempotence key)', old.id
      using errcode = 'check_violation';
  end if;
  if old.payment_id is not null and new.payment_id is distinct from old.payment_id then
    raise exception 'order % is already paid by payment %', old.id, old.payment_id
      using errcode = 'check_violation';
  end if;
  if new.updated_at is not distinct from old.updated_at then
    new.updated_at := now();
  end if;
  return new;
end $$;
create trigger orders_check_transition before update on orders
  for each row execute function kw_orders_check_transition();

-- 54-FZ receipts (KEYWARDEN_YOOKASSA_RECEIPT): the contact the customer gave for their receipts.
alter table users
  add column receipt_email text check (receipt_email ~ '^[^@[:space:]]{1,64}@[^@[:space:]]{1,255}$'),
  add column receipt_phone text check (receipt_phone ~ '^[0-9]{7,15}$');

-- Automatic renewal (docs/payments.md "Automatic renewal"). A renewal charge is an order like any
-- other (purpose renewal): one order per charge attempt, so its idempotence key belongs to exactly one
-- charge. renewal_for is the coverage end the charge extends; (user, renewal_for, attempt) is unique, so
-- two replicas (or a restart) can never create a second charge for the same attempt.
alter table orders
  add column renewal_for timestamptz,
  add column attempt integer not null default 1 check (attempt >= 1),
  -- The customer asked YooKassa to save the card for automatic renewals (save_payment_method).
  add column save_method boolean not null default false;
create unique index orders_one_charge_per_attempt_idx on orders (user_id, renewal_for, attempt)
  where purpose = 'renewal' and renewal_for is not null;

-- The saved YooKassa payment method a customer renews with, and whether autopay is on. Turning it off
-- (the customer) or the method being revoked (YooKassa permission_revoked) stops every future charge.
create table autopay (
  user_id            bigint primary key references users (id),
  provider           text not null check (provider = 'yookassa'),
  payment_method_id  text not null check (length(payment_method_id) between 1 and 256),
  plan_id            bigint not null references plans (id),
  is_enabled         boolean not null default true,
  method_revoked_at  timestamptz,
  created_at         timestamptz not null default now(),
  updated_at         timestamptz not null default now()
);

-- Telegram Stars subscriptions: the order whose invoice link had subscription_period 2592000; each
-- recurring payment pays a renewal order of it. Cancelling (editUserStarSubscription) is recorded here.
alter table orders
  add column is_subscription boolean not null default false,
  add column subscription_cancelled_at timestamptz;
