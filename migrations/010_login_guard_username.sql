-- Issue 11, item 9 (panel checks): 3x-ui counts refused logins per (address, username), whatever
-- the password was (internal/web/controller/login_limiter.go: 5 in 5 min lock it for 15 min). The
-- username's hash is kept beside `credentials_hash`, so new credentials of the same username reset
-- the back-off but keep their recent failures towards the lockout. Null on rows written before
-- this migration: treated as the same username (the safe side).
alter table panel_login_state add column username_hash text;
