/**
 * How a panel's recorded version is shown (`panels list`, `status`, the console): the version, with
 * `(untested)` when it lies outside the range the contract suite covers (src/xui/version.ts).
 */
import { isTestedPanelVersion, TESTED_RANGE_TEXT } from '../xui/index.ts';

export { isTestedPanelVersion, TESTED_RANGE_TEXT };

/**
 * The version column of a panel: `-` when none was recorded (G1 panels report none), the version as
 * reported, and ` (untested)` after one outside the tested range.
 */
export function panelVersionLabel(version: string | null): string {
  if (version === null || version.trim() === '') {
    return '-';
  }
  return isTestedPanelVersion(version) === false ? `${version} (untested)` : version;
}
