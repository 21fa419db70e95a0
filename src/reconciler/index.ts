export type {
  PanelConnection,
  NewClient,
  BulkResult,
  PanelClient,
  PanelClientFactory,
  LoginBlock,
  LoginCredentials,
  LoginGuard,
  PanelVersionInfo,
} from './ports.ts';
export type * from './store.ts';
export {
  createWorkQueue,
  type WorkQueue,
  type WorkItem,
  type Priority,
  type WorkQueueOptions,
} from './work-queue.ts';
export { everyPanelOwned, type Leadership } from './leadership.ts';
export type { ReconcilerEvents, Trigger, RunOutcome } from './events.ts';
export {
  createController,
  type Controller,
  type ControllerOptions,
  type PassReport,
  type Scope,
  type UsersScope,
} from './controller.ts';
export { CLIENT_READS_IN_FLIGHT } from './panel-read.ts';
