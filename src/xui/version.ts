/**
 * The panel's version (reference/xui-api.md §0): `GET panel/api/server/status` reports `panelVersion`
 * from v3.1.0 (`3.6.0`, or `dev+<8-hex commit>` on a CI dev build, Go `config.GetPanelVersion`); older
 * panels have no version field, so a G1 panel's version is unknown.
 *
 * What "tested" means (docs/xui-compat.md): the simulator's release profiles and the contract suite
 * were built from the Go source of tags v2.8.0 to v3.6.0 and of `main` at 02002dc1 (2026-08-22), the
 * newest commit the source mirror holds. A dev build of exactly that commit reports `dev+02002dc1` and
 * counts as tested; any other dev build, any release after 3.6.0 (3.6.1+, 3.7, 3.8: not in the mirror,
 * never read) and anything before 2.8.0 does not. A release build of that `main` commit would report
 * plain `3.6.0` (its version file was not bumped) and cannot be told apart from v3.6.0.
 */
import type { PanelVersionInfo } from '../reconciler/ports.ts';

/** The oldest and newest panel releases the contract suite covers (inclusive, major.minor.patch). */
export const TESTED_PANEL_VERSIONS = {
  oldest: [2, 8, 0],
  newest: [3, 6, 0],
  /** Dev builds read from source: `main` at the mirror's newest commit. */
  devBuilds: ['dev+02002dc1'],
} as const;

/** The tested range as the operator reads it (CLI, log warning, metric help, docs). */
export const TESTED_RANGE_TEXT = 'v2.8.0–v3.6.0 and main at 02002dc1';

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
  const trimmed = version.trim();
  if ((TESTED_PANEL_VERSIONS.devBuilds as ReadonlyArray<string>).includes(trimmed)) {
    return true;
  }
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?$/.exec(trimmed);
  if (match === null) {
    return false; // Another `dev+<commit>` or anything unparseable: not a build we read.
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
