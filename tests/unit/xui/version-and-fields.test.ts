import { describe, expect, it } from 'vitest';
import { isTestedPanelVersion, versionFromStatus } from '../../../src/xui/index.ts';
import { applyManagedFields } from '../../../src/xui/ops.ts';
import { clientRecordToWire } from '../../../src/xui/wire.ts';

describe('the tested range of panel versions (v2.8.0–v3.6.0 and main at 02002dc1)', () => {
  it.each([
    ['2.8.0', true],
    ['v2.9.4', true],
    ['3.6.0', true],
    // Releases the source mirror does not hold were never read: untested.
    ['3.6.1', false],
    ['2.7.0', false],
    ['3.7.0', false],
    ['3.8.0', false],
    ['3.8.1', false],
    // The one dev build read from source (the simulator's `main` profile) is tested; others are not.
    ['dev+02002dc1', true],
    ['dev+326009e9', false],
    ['', null],
    [null, null],
  ])('%s → %s', (version, expected) => {
    expect(isTestedPanelVersion(version)).toBe(expected);
  });

  it('reads panelVersion and the Xray version from server/status, tolerating their absence', () => {
    expect(versionFromStatus({ xray: { version: '26.6.1' }, panelVersion: '3.6.0' })).toEqual({
      panelVersion: '3.6.0',
      xrayVersion: '26.6.1',
      isTested: true,
    });
    expect(versionFromStatus({ xray: { version: '25.9.11' } })).toEqual({
      panelVersion: null,
      xrayVersion: '25.9.11',
      isTested: null,
    });
    expect(versionFromStatus(null)).toEqual({ panelVersion: null, xrayVersion: null, isTested: null });
  });
});

describe('read-modify-write of a main / 3.7+ client record (xui-api.md §4.3, §7.1, §8)', () => {
  const record = {
    id: 17,
    uuid: '0b7c7d1e-0000-4000-8000-000000000001',
    email: 'kw-1',
    enable: true,
    expiryTime: 1,
    totalGB: 2,
    reset: 0,
    flow: 'xtls-rprx-vision',
    limitHwid: 3,
    resetDay: 5,
    resetMax: 2,
    trafficReset: 'daily',
    trafficResetDay: 7,
    reverse: null,
    someFieldOfAFutureRelease: { nested: true },
    createdAt: 10,
    updatedAt: 11,
  };

  it('sends back every field it read, unknown ones included, and pins the renewal knobs', () => {
    const body = applyManagedFields(
      clientRecordToWire(record),
      { enable: false, expiryTimeMs: 9, totalBytes: 8, resetDays: 0, flow: 'xtls-rprx-vision' },
      undefined,
    );
    expect(body).toEqual({
      id: record.uuid,
      email: 'kw-1',
      enable: false,
      expiryTime: 9,
      totalGB: 8,
      reset: 0,
      flow: 'xtls-rprx-vision',
      limitHwid: 3,
      resetDay: 0,
      resetMax: 2,
      trafficReset: 'never',
      trafficResetDay: 7,
      reverse: null,
      someFieldOfAFutureRelease: { nested: true },
    });
  });

  it('adds no renewal keys to a client of a release that has none', () => {
    const body = applyManagedFields(
      { id: 'u', email: 'kw-2', enable: true, reset: 30 },
      { enable: true, expiryTimeMs: 0, totalBytes: 0, resetDays: 0, flow: '' },
      'vless',
    );
    expect(body).not.toHaveProperty('resetDay');
    expect(body).not.toHaveProperty('trafficReset');
    expect(body.reset).toBe(0);
  });
});
