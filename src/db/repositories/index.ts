export { upsertTelegramUser, findUser, setUserBanned, type UserRecord } from './users.ts';
export { findPlan, listActivePlans, upsertPlan, type PlanRecord } from './plans.ts';
export {
  appendPeriod,
  grantPeriod,
  type AppendPeriod,
  type GrantOutcome,
  type PeriodRecord,
  type PeriodSource,
} from './grant-period.ts';
export { recordPayment, type ConfirmedPayment, type RecordPaymentOutcome } from './record-payment.ts';
export { cancelPayment, type CancelPaymentOutcome } from './cancel-payment.ts';
export {
  recordProviderPayment,
  PAYMENT_RECEIVED_KIND,
  type MismatchReason,
  type PaymentRecordOutcome,
  type ProviderPayment,
} from './record-provider-payment.ts';
export {
  paymentMetricOutcome,
  refundMetricOutcome,
  PAYMENT_METRIC_OUTCOMES,
  type PaymentMetricOutcome,
} from './payment-outcome.ts';
export {
  createOrder,
  endOrder,
  endOrderOfProviderPayment,
  expireOrders,
  findOrder,
  findPaidOrder,
  findStarsSubscriptions,
  markSubscriptionCancelled,
  type StarsSubscription,
  type PaidOrder,
  markOrderPending,
  type CreateOrderOutcome,
  type NewOrder,
  type OrderRecord,
} from './orders.ts';
export {
  issueKey,
  replaceKey,
  revokeKey,
  KEY_PROTOCOLS,
  type IssueKeyOutcome,
  type IssueKeyRequest,
  type IssuedKey,
  type ReplaceKeyOutcome,
  type RevokeKeyOutcome,
} from './issue-key.ts';
export { countPaymentsByStatus, type PaymentStatusCount } from './payment-status.ts';
export {
  addPanel,
  countUnsealedPanels,
  openPanelAuth,
  rekeyPanels,
  sealPanelAuth,
  PanelAuthError,
  type NewPanel,
  type PanelAuth,
  type RekeyReport,
} from './panels.ts';
export { listPlans, createPlan, updatePlan, archivePlan, type NewPlan, type PlanChanges } from './plans.ts';
export { replaceKeyAsAdmin, type AdminReplaceKeyOutcome } from './issue-key.ts';
export { recordAdminAction, type AdminAction } from './admin-audit.ts';
export { confirmHeldPlanByFingerprint, discardHeldPlan, type HeldDecisionOutcome } from './held-plans.ts';
export { countCompensationTargets, applyCompensation, type CompensationTarget } from './compensation.ts';
export {
  createLoginToken,
  redeemLoginToken,
  createConsoleSession,
  touchConsoleSession,
  endConsoleSession,
  type RedeemOutcome,
  type ConsoleSession,
} from './console-auth.ts';
export {
  DuplicatePanelNameError,
  findPanelByName,
  listPanels,
  loadPanelConnection,
  recordPanelInbounds,
  removePanel,
  updatePanel,
  type PanelInboundRow,
  type PanelPatch,
  type PanelSummary,
  type RemovePanelOutcome,
  type StoredPanelConnection,
} from './panels.ts';
export { findReceiptContact, saveReceiptContact, type ReceiptContact } from './receipt-contact.ts';
export {
  claimRenewalCharges,
  findAutopay,
  revokeAutopayMethod,
  saveAutopayMethod,
  setAutopayEnabled,
  type AutopayRecord,
  type RenewalCharge,
  type RenewalSchedule,
} from './autopay.ts';
export {
  deriveSubscriptionToken,
  hashSubscriptionToken,
  isSubscriptionTokenShaped,
  subscriptionTokenOf,
  rotateSubscriptionToken,
  findSubscriptionUser,
} from './subscription-tokens.ts';
export { readSubscriptionView, type SubscriptionKey, type SubscriptionView } from './subscription-view.ts';
export {
  admitDevice,
  listDevices,
  removeDevice,
  readDeviceLimit,
  hashDeviceId,
  type DeviceAdmission,
  type DeviceInfo,
  type DeviceRecord,
} from './subscription-devices.ts';
export {
  applyAdoption,
  findAdoption,
  type AdoptedKey,
  type ApplyAdoption,
  type ApplyAdoptionOutcome,
  type ImportPeriod,
} from './apply-adoption.ts';
