-- Reconciler safety (issue 11).
--
-- Failed panel logins, shared by every keywarden process (daemon replicas, `plan`, `reconcile
-- --once`): 3x-ui (v3.0.0+) blocks an (IP, username) pair for 15 min after 5 failed logins within
-- 5 min, and then refuses even the right password (reference/xui-api.md §2.1). Each process used to
-- keep its own backoff, so six CLI runs with a wrong password locked the panel. A login is tried only
-- when `blocked_until` has passed; a refused login moves it forward (doubling backoff, and never a
-- fifth failure within 5 minutes). `credentials_hash` names the credentials that failed: new
-- credentials start with a clean slate. Written by the panel client (src/xui through a port).
create table panel_login_state (
  panel_id          bigint primary key references panels (id),
  credentials_hash  text not null,
  failures          integer not null default 0 check (failures >= 0),
  failed_at         timestamptz[] not null default '{}',
  blocked_until     timestamptz,
  updated_at        timestamptz not null default now()
);

-- Inbounds that a full read of their panel no longer shows (removed by hand, panel restored from an
-- old backup): issuing skips them, a key on one is needs-human. Null while the inbound is there.
alter table inbounds add column missing_since timestamptz;

-- Why a key needs a human (null when it does not): a drift keywarden will not or cannot fix by
-- itself (missing inbound, identity mismatch, duplicate email, a fix the panel keeps undoing).
-- Shown by `plan` and `status`; written by the reconciler with the rest of key_state.
alter table key_state add column needs_human text;
