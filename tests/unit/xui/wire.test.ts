import { describe, expect, it } from 'vitest';
import {
  clientRecordToWire,
  parseBulkResult,
  parseEnvelope,
  parseInboundList,
  parseTrafficOrNull,
} from '../../../src/xui/wire.ts';

const client = { id: 'u-1', email: 'a', enable: true, expiryTime: 0, totalGB: 0 };

describe('parseInboundList', () => {
  it('reads settings given as a JSON string (G1) and as an object (G2) the same way', () => {
    const asObject = {
      id: 1,
      protocol: 'vless',
      enable: true,
      settings: { clients: [client], decryption: 'none' },
    };
    const asString = { ...asObject, settings: JSON.stringify(asObject.settings) };
    const fromObject = parseInboundList([asObject]);
    const fromString = parseInboundList([asString]);
    expect(fromObject.ok && fromString.ok).toBe(true);
    expect(fromString).toEqual(fromObject);
    if (fromObject.ok) {
      expect(fromObject.value[0]?.settings).toEqual({ decryption: 'none' });
      expect(fromObject.value[0]?.clients[0]?.uuid).toBe('u-1');
    }
  });

  it('treats an empty streamSettings string and null clientStats as empty', () => {
    const parsed = parseInboundList([
      { id: 1, protocol: 'http', enable: true, settings: '', streamSettings: '', clientStats: null },
    ]);
    expect(
      parsed.ok && parsed.value[0]?.clients.length === 0 && parsed.value[0].clientStats.length === 0,
    ).toBe(true);
  });

  it('names the path of a wrongly typed field', () => {
    const parsed = parseInboundList([
      { id: 1, protocol: 'vless', settings: { clients: [{ ...client, totalGB: '10' }] } },
    ]);
    expect(parsed).toEqual({
      ok: false,
      error: { path: 'obj[0].settings.clients[0].totalGB', expected: 'a number' },
    });
  });

  it('refuses settings that are a string but not JSON', () => {
    const parsed = parseInboundList([{ id: 1, protocol: 'vless', settings: '{"clients":[' }]);
    expect(parsed.ok ? undefined : parsed.error.path).toBe('obj[0].settings');
  });

  it('reads a client stored without enable as disabled (Go zero value) and a string tgId as a number', () => {
    const parsed = parseInboundList([
      { id: 1, protocol: 'vless', settings: { clients: [{ email: 'b', tgId: '77' }] } },
    ]);
    expect(parsed.ok ? parsed.value[0]?.clients[0] : undefined).toMatchObject({ enable: false, tgId: 77 });
  });
});

describe('small parsers', () => {
  it('parses envelopes and rejects ones without a boolean success', () => {
    expect(parseEnvelope({ success: true, obj: 1 })).toEqual({
      ok: true,
      value: { success: true, msg: '', obj: 1 },
    });
    expect(parseEnvelope({ success: 'yes' }).ok).toBe(false);
    expect(parseEnvelope([]).ok).toBe(false);
  });

  it('reads a null traffic answer as "no row"', () => {
    expect(parseTrafficOrNull(null)).toEqual({ ok: true, value: null });
  });

  it('reads bulk answers with and without skipped', () => {
    expect(parseBulkResult({ changed: 2 })).toEqual({ ok: true, value: { changed: 2, skipped: [] } });
    expect(parseBulkResult({ changed: 0, skipped: [{ email: 'x', reason: 'client not found' }] })).toEqual({
      ok: true,
      value: { changed: 0, skipped: [{ email: 'x', reason: 'client not found' }] },
    });
  });
});

describe('clientRecordToWire', () => {
  it('maps uuid to id, drops the numeric id and camelCase timestamps, and splits allowedIPs', () => {
    expect(
      clientRecordToWire({
        id: 5,
        uuid: 'u',
        email: 'e',
        createdAt: 1,
        updatedAt: 2,
        allowedIPs: '',
        limitHwid: 3,
      }),
    ).toEqual({ id: 'u', email: 'e', limitHwid: 3 });
    expect(clientRecordToWire({ id: 5, email: 'e', allowedIPs: 'a, b' })).toEqual({
      email: 'e',
      allowedIPs: ['a', 'b'],
    });
  });
});
