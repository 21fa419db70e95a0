export {
  searchUsers,
  countUsersByStatus,
  readUserSummary,
  readUserDetail,
  listPayments,
  USER_STATUSES,
  EXPIRING_WITHIN_MS,
  type UserStatus,
  type UserSummary,
  type UserSearch,
  type UserDetail,
  type PeriodView,
  type PaymentView,
  type PaymentFilter,
} from './users.ts';
export {
  readKeys,
  readKey,
  KEY_STATES,
  type KeyState,
  type KeyDetail,
  type KeyFilter,
  type ReconcileEventView,
} from './keys.ts';
export { readPanelStatuses, type PanelStatus } from './panels.ts';
export { listHeldPlans, type HeldPlanView, type HeldAction } from './held-plans.ts';
export { listAuditEntries, type AuditEntry, type AuditFilter } from './audit.ts';
export { readOverview, type Overview } from './overview.ts';
export { inboundOfRow, type InboundColumns, type ObservedInboundView } from './inbound-row.ts';
