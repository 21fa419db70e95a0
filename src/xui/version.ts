/**
 * The panel's version (reference/xui-api.md §0): `GET panel/api/server/status` reports `panelVersion`
 * from v3.1.0 (`3.6.0`, or `dev+<commit>` on a dev build); older panels have no version field, so a
 * G1 panel's version is unknown. The adapter is tested against v2.8.0 to v3.6.x (the simulator's
 * profiles and the contract suite); anything newer, and any dev build, is outside that range.
 */
import type { PanelVersionInfo } from '../reconciler/ports.ts';

/** The oldest and newest panel versions the contract suite covers (inclusive, major.minor.patch). */
export const TESTED_PANEL_VERSIONS = { oldest: [2, 8, 0], newest: [3, 6, Number.POSITIVE_INFINITY] } as const;

function compare(a: ReadonlyArray<number>, b: ReadonlyArray<number>): number {
  for (let index = 0; index < 3; index++) {
    const difference = (a[index] ?? 0) - (b[index] ?? 0);
    if (difference !== 0) {
      return difference;
    }
  }
  return 0;
}

/** Whether a reported version lies in the tested range; null when there is nothing to judge. */
export function isTestedPanelVersion(version: string | null): boolean | null {
  if (version === null || version.trim() === '') {
    return null;
  }
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?$/.exec(version.trim());
  if (match === null) {
    return false; // `dev+<commit>` or anything unparseable: not a release we tested.
  }
  const parts = [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
  return (
    compare(parts, TESTED_PANEL_VERSIONS.oldest) >= 0 && compare(parts, TESTED_PANEL_VERSIONS.newest) <= 0
  );
}

/** Reads `panelVersion` and `xray.version` out of a `server/status` object (either may be missing). */
export function versionFromStatus(obj: unknown): PanelVersionInfo {
  const status = typeof obj === 'object' && obj !== null ? (obj as Record<string, unknown>) : {};
  const panelVersion =
    typeof status.panelVersion === 'string' && status.panelVersion !== '' ? status.panelVersion : null;
  const xray =
    typeof status.xray === 'object' && status.xray !== null ? (status.xray as Record<string, unknown>) : {};
  const xrayVersion = typeof xray.version === 'string' && xray.version !== '' ? xray.version : null;
  return { panelVersion, xrayVersion, isTested: isTestedPanelVersion(panelVersion) };
}
