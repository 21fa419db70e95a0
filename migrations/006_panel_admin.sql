-- Issue 13: panels managed from the CLI (and the console), and the panel's version.
-- What the reconciler last learned about each panel, for `panels list` and `status`.
alter table panels add column panel_version text;
alter table panels add column last_read_at timestamptz;
alter table panels add column last_read_ok boolean;
alter table panels add column last_error text;

-- Panel names may use letters of any script (validated in src/panels: letters, marks, digits, - _ .,
-- 1 to 64 characters). The database keeps a coarse guard that does not depend on the locale.
alter table panels drop constraint panels_name_check;
alter table panels add constraint panels_name_check
  check (char_length(name) between 1 and 64 and name !~ '[[:space:][:cntrl:]/\\]');

-- `panels remove`: the row stays (keys, events and audit history point at it), disabled and marked
-- removed; names are unique among panels that are not removed, so a removed panel's name is free.
alter table panels add column removed_at timestamptz;
alter table panels drop constraint panels_name_key;
create unique index panels_name_live_idx on panels (name) where removed_at is null;

-- main's per-inbound `disableFlow`, so targeted passes (which read the stored inbounds) ask for the
-- same flow as full passes (src/domain/flow.ts).
alter table inbounds add column disable_flow boolean not null default false;
