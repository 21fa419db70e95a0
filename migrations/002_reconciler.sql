-- Reconciler state beyond schema v1: disables held by the safety valve, awaiting an admin's decision.

-- One row per distinct set of held disables on a panel (or globally). The fingerprint is computed
-- from the sorted held actions (src/domain/plan.ts fingerprintHeld), so an admin confirms exactly the
-- plan they saw; a different set of held actions is a new row that needs its own confirmation.
create table held_plans (
  fingerprint    text primary key,
  panel_id       bigint not null references panels (id),
  cause          text not null,
  -- [{key_id, email, action, reason}] in key order; the held disables as planned.
  actions        jsonb not null,
  action_count   integer not null,
  first_seen_at  timestamptz not null default now(),
  last_seen_at   timestamptz not null default now(),
  confirmed_at   timestamptz,
  confirmed_by   text,
  -- Set when the plan is no longer held: applied after confirmation, or superseded by another plan.
  resolved_at    timestamptz,
  resolution     text check (resolution in ('applied', 'superseded'))
);
create index held_plans_open_idx on held_plans (panel_id) where resolved_at is null;

-- A confirmation wakes the reconciler at once.
create function kw_notify_held_plan() returns trigger language plpgsql as $$
begin
  if new.confirmed_at is distinct from old.confirmed_at then
    perform pg_notify('keywarden', json_build_object('table', 'held_plans', 'panel_id', new.panel_id)::text);
  end if;
  return null;
end $$;
create trigger held_plans_notify after update on held_plans
  for each row execute function kw_notify_held_plan();
