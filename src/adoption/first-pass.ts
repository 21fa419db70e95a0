/**
 * What the reconciler's first pass after an adoption would do to each adopted client, computed with
 * the reconciler's own pure pass (src/domain/pass.ts: desired, diff, plan, safety valve) on the
 * snapshot as it would be once the plan is applied. So `adopt plan` shows, before anything happens,
 * which adopted clients stay as they are, which get fields keywarden manages aligned (expiry, quota,
 * auto-renew), which get enabled, and which are disabled or held back by the valve.
 */
import {
  asInboundId,
  asKeyId,
  asUserId,
  computeEntitlement,
  planPass,
  type Action,
  type DesiredReason,
  type DriftKind,
  type HoldCause,
  type KeyRecord,
  type PanelId,
  type PanelRead,
  type PeriodSpan,
  type ReconcilePolicy,
  type Snapshot,
  type UserId,
} from '../domain/index.ts';
import type { AdoptionPeriod, AdoptionPlan } from './planner.ts';

/** A period a user already has in keywarden, with its plan's quota. */
export interface ExistingPeriod extends PeriodSpan {
  readonly id: string;
  /** Quota of the period's plan in bytes; null = unlimited or no plan. */
  readonly quotaBytes: number | null;
}

/** A user keywarden already knows, by Telegram id. */
export interface ExistingUser {
  readonly userId: UserId;
  readonly bannedAt: Date | null;
  readonly periods: ReadonlyArray<ExistingPeriod>;
}

/** What the first pass would do to one adopted client. */
export type FirstPassOutcome =
  | { readonly kind: 'unchanged'; readonly reason: DesiredReason }
  | {
      readonly kind: 'action';
      readonly action: Action['kind'];
      readonly reason: DesiredReason;
      readonly drift: ReadonlyArray<DriftKind>;
    }
  | { readonly kind: 'held'; readonly reason: DesiredReason; readonly cause: HoldCause }
  | { readonly kind: 'unknown'; readonly cause: string };

/** What the prediction needs besides the plan. */
export interface FirstPassInput {
  /** The reconciler's snapshot of the panels in scope, as it is now. */
  readonly snapshot: Snapshot;
  /** The panel reads the adoption plan was made from. */
  readonly reads: ReadonlyMap<PanelId, PanelRead>;
  readonly users: ReadonlyMap<number, ExistingUser>;
  /** Quotas of the plan codes the adoption names (null = unlimited). */
  readonly planQuotas: ReadonlyMap<string, number | null>;
  readonly policy: ReconcilePolicy;
  readonly graceMs: number;
}

/** The key `predictFirstPass` answers by: panel id and client email. */
export const firstPassKey = (panelId: PanelId, email: string): string => `${panelId}\n${email}`;

/** The span an import period will have when applied at `now` (see src/db applyAdoption). */
export function importSpan(period: AdoptionPeriod, now: Date): { startsAt: Date; endsAt: Date } {
  const endsAt = period.access.until;
  // A period that already ended starts a second before its end: its real start is not known.
  const startsAt = endsAt.getTime() > now.getTime() ? now : new Date(endsAt.getTime() - 1000);
  return { startsAt, endsAt };
}

/** Predicts the first pass after applying `plan`, per adopted client. */
export function predictFirstPass(
  plan: AdoptionPlan,
  input: FirstPassInput,
): ReadonlyMap<string, FirstPassOutcome> {
  const { now } = input.snapshot;
  const imports = new Map<number, Array<{ span: PeriodSpan; quotaBytes: number | null }>>();
  for (const period of plan.periods) {
    const span = { ...importSpan(period, now), cancelledAt: null };
    const quotaBytes = period.planCode === null ? null : (input.planQuotas.get(period.planCode) ?? null);
    imports.set(period.telegramId, [...(imports.get(period.telegramId) ?? []), { span, quotaBytes }]);
  }
  const synthetic: KeyRecord[] = [];
  const byKeyId = new Map<string, string>();
  plan.verdicts.forEach((verdict, index) => {
    if (verdict.kind !== 'adopt') {
      return;
    }
    const user = input.users.get(verdict.telegramId);
    const existing = user?.periods ?? [];
    const added = imports.get(verdict.telegramId) ?? [];
    const spans: PeriodSpan[] = [...existing, ...added.map((entry) => entry.span)];
    const entitlement = computeEntitlement(
      { bannedAt: user?.bannedAt ?? null, periods: spans },
      now,
      input.graceMs,
    );
    const t = now.getTime();
    const covers = (span: PeriodSpan): boolean =>
      span.cancelledAt === null && span.startsAt.getTime() <= t && t < span.endsAt.getTime() + input.graceMs;
    // The covering period that started last decides the quota (src/sources/snapshot.ts).
    const covering = [
      ...existing
        .filter(covers)
        .map((period) => ({ id: period.id, start: period.startsAt, quota: period.quotaBytes })),
      ...added
        .filter((entry) => covers(entry.span))
        .map((entry) => ({ id: 'import', start: entry.span.startsAt, quota: entry.quotaBytes })),
    ].sort((a, b) => b.start.getTime() - a.start.getTime())[0];
    const keyId = asKeyId(`adopt-${String(index)}`);
    byKeyId.set(keyId, firstPassKey(verdict.panelId, verdict.email));
    synthetic.push({
      keyId,
      userId: user?.userId ?? asUserId(`tg-${String(verdict.telegramId)}`),
      telegramId: verdict.telegramId,
      panelId: verdict.panelId,
      inboundId: asInboundId(verdict.inboundId),
      email: verdict.email,
      clientUuid: verdict.identity.uuid ?? '',
      secret: verdict.identity.secret ?? '',
      subId: verdict.identity.subId ?? '',
      flow: verdict.identity.flow,
      isRevoked: false,
      isBanned: user?.bannedAt != null && user.bannedAt.getTime() <= t,
      isEntitled: entitlement.isEntitled,
      entitledUntilMs: entitlement.entitledUntil?.getTime() ?? null,
      hasHadSubscription: spans.some((span) => span.cancelledAt === null && span.startsAt.getTime() <= t),
      quotaBytes: covering?.quota ?? null,
      currentPeriodId: covering?.id ?? null,
      quotaBaseline: null,
      latestPeriodId: null,
      previousDesiredKind: null,
      entitledSinceMs: null,
      lastEndedAtMs: null,
    });
  });
  const panelIds = [...new Set(plan.verdicts.map((verdict) => verdict.panelId))];
  const plans = planPass(
    { ...input.snapshot, keys: [...input.snapshot.keys, ...synthetic] },
    panelIds,
    input.reads,
    input.policy,
    input.snapshot.confirmedHolds,
  );
  const outcomes = new Map<string, FirstPassOutcome>();
  for (const panelPlan of plans) {
    if (panelPlan.kind === 'unknown') {
      for (const record of synthetic) {
        if (record.panelId === panelPlan.panelId) {
          outcomes.set(firstPassKey(record.panelId, record.email), {
            kind: 'unknown',
            cause: panelPlan.cause,
          });
        }
      }
      continue;
    }
    const actions = new Map(panelPlan.actions.map((action) => [action.keyId, action]));
    const held = new Map(panelPlan.held.map((entry) => [entry.action.keyId, entry]));
    for (const entry of panelPlan.diff.keys) {
      const key = byKeyId.get(entry.desired.key.keyId);
      if (key === undefined) {
        continue;
      }
      const action = actions.get(entry.desired.key.keyId);
      const hold = held.get(entry.desired.key.keyId);
      if (hold !== undefined) {
        outcomes.set(key, { kind: 'held', reason: entry.desired.reason, cause: hold.cause });
      } else if (action !== undefined) {
        outcomes.set(key, { kind: 'action', action: action.kind, reason: action.reason, drift: entry.drift });
      } else {
        outcomes.set(key, { kind: 'unchanged', reason: entry.desired.reason });
      }
    }
  }
  return outcomes;
}

/** A short text for a first-pass outcome, for tables. */
export function describeFirstPass(outcome: FirstPassOutcome | undefined): string {
  if (outcome === undefined) {
    return '';
  }
  switch (outcome.kind) {
    case 'unchanged':
      return 'no change';
    case 'action':
      return outcome.action === 'update'
        ? `update (${outcome.drift.filter((kind) => kind !== 'disabled-should-be-on').join(', ')})`
        : `${outcome.action} (${outcome.reason})`;
    case 'held':
      return `disable HELD by the valve (${outcome.reason})`;
    case 'unknown':
      return `panel unreadable (${outcome.cause})`;
  }
}
