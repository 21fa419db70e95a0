-- Quotas count per subscription period (DESIGN.md §4). 3x-ui never resets a managed client's
-- counters (reset = 0), so the reconciler keeps, per key, the client's up+down observed when the
-- key's current period began being counted: usage this period = up+down - baseline, and the panel's
-- totalGB = baseline + plan quota. Written by the reconciler with key_state; null until a pass sees a
-- period covering now (src/domain/desired.ts quotaBaselineOf).
alter table key_state
  add column quota_period_id      bigint references subscription_periods (id),
  add column quota_baseline_bytes bigint check (quota_baseline_bytes is null or quota_baseline_bytes >= 0),
  add constraint key_state_quota_baseline_pair
    check ((quota_period_id is null) = (quota_baseline_bytes is null));

-- Upgrade: keys the reconciler already tracks keep counting their current period from 0, as before
-- this migration (cumulative counters), so no key that used up its quota is turned back on by the
-- upgrade; their next period starts from the counters observed then. Grace is a setting unknown
-- here: a key whose covering period is only in its grace gets its baseline at the next pass instead.
update key_state s
set quota_period_id = cover.id, quota_baseline_bytes = 0
from vpn_keys k
cross join lateral (
  select p.id from subscription_periods p
  where p.user_id = k.user_id and p.cancelled_at is null and p.starts_at <= now() and now() < p.ends_at
  order by p.starts_at desc, p.id desc
  limit 1
) cover
where k.id = s.key_id;
