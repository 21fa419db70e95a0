export type {
  PanelConnection,
  ManagedClientFields,
  NewClient,
  BulkResult,
  PanelClient,
  PanelClientFactory,
} from './ports.ts';
export type * from './store.ts';
export {
  createWorkQueue,
  type WorkQueue,
  type WorkItem,
  type Priority,
  type WorkQueueOptions,
} from './work-queue.ts';
