export type {
  PanelConnection,
  ManagedClientFields,
  NewClient,
  BulkResult,
  PanelClient,
  PanelClientFactory,
} from './ports.ts';
