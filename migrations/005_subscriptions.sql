-- One subscription URL per customer (issue 15): the token behind /sub/<token>, the device limit per
-- plan, and the devices seen per subscription.

-- A customer's subscription token. The token itself is never stored: it is derived from `nonce` and
-- KEYWARDEN_SUB_TOKEN_SECRET (HMAC-SHA-256, so the bot can show the URL again), and the server
-- finds the customer by the SHA-256 of the token it is given. Rotation replaces the nonce and the
-- hash in one update, so the old URL answers 404 from that commit on.
create table subscription_tokens (
  user_id     bigint primary key references users (id),
  nonce       bytea not null check (length(nonce) = 16),
  token_hash  bytea not null unique check (length(token_hash) = 32),
  created_at  timestamptz not null default now(),
  rotated_at  timestamptz
);

-- How many devices (apps that send x-hwid) may fetch the subscription; null: no limit.
alter table plans add column max_devices integer check (max_devices is null or max_devices > 0);

-- Devices that fetched a customer's subscription, by the SHA-256 of the x-hwid they sent (the raw
-- id is not kept). A removed device is marked, not deleted, and is counted again if it comes back.
-- Renewals and token rotation leave this table alone.
create table subscription_devices (
  id             bigint generated always as identity primary key,
  user_id        bigint not null references users (id),
  hwid_hash      bytea not null check (length(hwid_hash) = 32),
  device_os      text,
  os_version     text,
  device_model   text,
  user_agent     text,
  first_seen_at  timestamptz not null default now(),
  last_seen_at   timestamptz not null default now(),
  removed_at     timestamptz,
  unique (user_id, hwid_hash)
);
create index subscription_devices_live_idx on subscription_devices (user_id) where removed_at is null;
