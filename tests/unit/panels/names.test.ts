import { describe, expect, it } from 'vitest';
import { checkPanelUrl, displayPanelUrl, panelNameProblem } from '../../../src/panels/index.ts';

describe('panel names: letters of any script, digits, - _ . ; 1 to 64 characters', () => {
  it.each(['de-1', 'edge_2.backup', 'панель', 'パネル1', 'नमस्ते', 'x'.repeat(64), 'ä'.repeat(64)])(
    'accepts %s',
    (name) => {
      expect(panelNameProblem(name)).toBeUndefined();
    },
  );

  it.each([
    ['', 'the panel name is empty'],
    ['x'.repeat(65), 'the panel name is longer than 64 characters'],
    ['a b', 'the panel name "a b" may only hold letters, digits, "-", "_" and "."'],
    ['de/1', 'the panel name "de/1" may only hold letters, digits, "-", "_" and "."'],
    [
      "x'; drop table panels",
      `the panel name "x'; drop table panels" may only hold letters, digits, "-", "_" and "."`,
    ],
    ['emoji🙂', 'the panel name "emoji🙂" may only hold letters, digits, "-", "_" and "."'],
  ])('refuses %j', (name, problem) => {
    expect(panelNameProblem(name)).toBe(problem);
  });
});

describe('panel URLs', () => {
  it('accepts http and https with the web base path, adding the trailing slash', () => {
    expect(checkPanelUrl('https://vpn.example.com:2053/AbCdEf')).toEqual({
      ok: true,
      baseUrl: 'https://vpn.example.com:2053/AbCdEf/',
    });
  });

  it.each([
    ['vpn.example.com:2053/x/', 'the URL scheme must be http or https, not vpn.example.com'],
    ['ftp://vpn.example.com/x/', 'the URL scheme must be http or https, not ftp'],
    ['not a url', 'the URL is not an absolute URL (e.g. https://vpn.example.com:2053/AbCdEf/)'],
    [
      'https://u:p@vpn.example.com/x/',
      'the URL must not carry credentials: use --username/--password or --token',
    ],
    ['https://vpn.example.com/x/?a=1', 'the URL must end at the web base path (no query or fragment)'],
  ])('refuses %s', (raw, problem) => {
    expect(checkPanelUrl(raw)).toEqual({ ok: false, problem });
  });

  it('shows a URL without its secret web base path', () => {
    expect(displayPanelUrl('https://vpn.example.com:2053/AbCdEfGh12/')).toBe(
      'https://vpn.example.com:2053/…/',
    );
    expect(displayPanelUrl('http://10.0.0.1:2053/')).toBe('http://10.0.0.1:2053/');
  });
});
