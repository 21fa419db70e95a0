/**
 * Panel administration shared by the CLI (`keywarden panels …`) and the console's panels page: name
 * and URL rules, the URL as it may be shown (without the web base path), and the checks a panel passes
 * before it is saved. Storage goes through src/db (repositories/panels.ts), which owns panel secrets.
 */
export {
  checkPanel,
  PANEL_PROBLEM_TEXT,
  type PanelCheckOptions,
  type PanelCheckResult,
  type PanelCheckTarget,
  type PanelProblem,
} from './check.ts';
export { checkPanelUrl, displayPanelUrl, panelNameProblem, type PanelUrlCheck } from './names.ts';
export { isTestedPanelVersion, panelVersionLabel, TESTED_RANGE_TEXT } from './version.ts';
export {
  addCheckedPanel,
  caPemProblem,
  describePanelCheck,
  panelCheckAuditDetail,
  removeSavedPanel,
  testSavedPanel,
  updateSavedPanel,
  type PanelAdminContext,
  type PanelAdminRefusal,
  type PanelChange,
  type PanelCheckPassed,
  type PanelDraft,
} from './admin.ts';
