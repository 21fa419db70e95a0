/**
 * Parsing of NOTIFY payloads on channel `keywarden` (migrations/001_schema.sql and 002). The parse
 * never throws and never drops a notification: a payload it does not understand becomes
 * `{ kind: 'unrecognised' }`, which the daemon answers with a full pass (level-triggered: a spurious
 * pass costs time, a dropped one would cost correctness).
 */
import {
  asKeyId,
  asPanelId,
  asPlanId,
  asUserId,
  type KeyId,
  type PanelId,
  type PlanId,
  type UserId,
} from '../domain/index.ts';

/** What a notification asks to look at. */
export type Notification =
  | {
      readonly kind: 'row';
      readonly table: string;
      readonly userId: UserId | undefined;
      readonly keyId: KeyId | undefined;
      readonly panelId: PanelId | undefined;
      readonly planId: PlanId | undefined;
    }
  | { readonly kind: 'unrecognised'; readonly raw: string };

const idOf = (value: unknown): string | undefined =>
  (typeof value === 'number' && Number.isSafeInteger(value)) ||
  (typeof value === 'string' && /^\d+$/.test(value))
    ? String(value)
    : undefined;

/** Parses a payload; any text (or none) yields a value. */
export function parseNotification(raw: string | undefined): Notification {
  if (raw === undefined || raw === '') {
    return { kind: 'unrecognised', raw: '' };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // Not JSON: still a reason to look (the caller runs a full pass).
    return { kind: 'unrecognised', raw };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { kind: 'unrecognised', raw };
  }
  const record = parsed as Record<string, unknown>;
  const table = typeof record['table'] === 'string' ? record['table'] : '';
  const userId = idOf(record['user_id']);
  const keyId = idOf(record['key_id']);
  const panelId = idOf(record['panel_id']);
  const planId = idOf(record['plan_id']);
  return {
    kind: 'row',
    table,
    userId: userId === undefined ? undefined : asUserId(userId),
    keyId: keyId === undefined ? undefined : asKeyId(keyId),
    panelId: panelId === undefined ? undefined : asPanelId(panelId),
    planId: planId === undefined ? undefined : asPlanId(planId),
  };
}
