/**
 * The simulated 3x-ui panel (both API generations, quirks of reference/xui-api.md §11, fault
 * switches, request log). Used by the contract tests, the reconciler's integration tests and
 * benchmarks, and `keywarden demo`; production code never imports it (ESLint), and it imports nothing
 * of keywarden: a fake built from the code under test would agree with that code's bugs.
 *
 * Layout: server.ts (listener and request pipeline), sessions.ts (login, lockout, CSRF, tokens),
 * faults.ts, token-scopes.ts, profiles.ts (what each release does differently), api-routes.ts /
 * g1-routes.ts / g2-routes.ts, control.ts (the test-facing surface),
 * render.ts and go-json.ts (wire forms), model/ (store, per-generation operations, traffic job).
 */
export { startSimulatedPanel } from './server.ts';
export type { SimulatedPanelOptions, SimulatedToken, UnauthorizedStyle } from './options.ts';
export { PROFILE_TRAITS, VERSION_PROFILES, type ProfileTraits, type VersionProfile } from './profiles.ts';
export type { TokenScope } from './token-scopes.ts';
export type { TrafficResetPeriod } from './model/traffic-job.ts';
export type { SimulatedPanel, LoggedRequest, InspectedClient } from './control.ts';
export type { SimulatedFault, FaultScope } from './faults.ts';
export { PanelModel, type ClientSeed, type InboundSeed, type DepletionStyle } from './model/store.ts';
export { addClientG1, updateClientG1, deleteClientG1, deleteClientByEmailG1 } from './model/g1.ts';
export { addClientG2, updateClientG2, deleteClientG2, bulkSetEnable } from './model/g2.ts';
