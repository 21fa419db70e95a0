-- Adoption of a running shop (issue 17, docs/migrating.md): clients already on a panel become keys of
-- keywarden users, with their existing identity (email, UUID or password, subId, flow: vpn_keys has
-- these columns since 001), and the access the old shop sold them becomes an `import` period.

-- One row per panel per applied adoption plan: who adopted what, when, from which plan. `fingerprint`
-- is the plan the operator confirmed (over every panel it covered); `panel_fingerprint` is this
-- panel's part of it. A plan is applied to a panel at most once.
create table adoptions (
  id                 bigint generated always as identity primary key,
  fingerprint        text not null check (fingerprint ~ '^[0-9a-f]{16}$'),
  panel_id           bigint not null references panels (id),
  panel_fingerprint  text not null check (panel_fingerprint ~ '^[0-9a-f]{16}$'),
  applied_at         timestamptz not null default now(),
  applied_by         text not null default current_user,
  keys_created       integer not null check (keys_created >= 0),
  users_created      integer not null check (users_created >= 0),
  periods_created    integer not null check (periods_created >= 0),
  unique (fingerprint, panel_id)
);

-- Where an adopted key or period came from (null for everything keywarden created itself).
alter table vpn_keys add column adoption_id bigint references adoptions (id);
alter table subscription_periods add column adoption_id bigint references adoptions (id);

-- `import`: access the old shop sold (its paid-until, or the client's own expiryTime on the panel).
-- It is a source like any other for entitlement; the audit tells it apart.
alter table subscription_periods drop constraint subscription_periods_source_check;
alter table subscription_periods
  add constraint subscription_periods_source_check
    check (source in ('payment', 'trial', 'admin', 'promo', 'import')),
  add constraint subscription_periods_import_adoption
    check ((source = 'import') = (adoption_id is not null));
