/**
 * The simulated 3x-ui panel (both API generations, quirks of reference/xui-api.md §11, fault
 * switches, request log). Used by the contract tests, the reconciler's integration tests and
 * benchmarks, and `keywarden demo`.
 */
export {
  startSimulatedPanel,
  type SimulatedPanel,
  type SimulatedPanelOptions,
  type SimulatedFault,
  type FaultScope,
  type LoggedRequest,
  type InspectedClient,
  type UnauthorizedStyle,
} from './server.ts';
export { PanelModel, type ClientSeed, type InboundSeed, type DepletionStyle } from './model.ts';
