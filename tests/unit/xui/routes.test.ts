/**
 * The panel routes keywarden never calls (reference/xui-api.md §5, §6): destructive bulk routes, the
 * inbound writes ("don't use for clients"), counter overwrites, and the UI-internal `/panel/inbound/`
 * routes. The adapter's sources are read as text, comments removed, so a new call to one of them fails
 * here before it reaches a real panel.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const XUI_DIR = join(import.meta.dirname, '../../../src/xui');

/** The adapter's code without comments (the routes are named in comments that explain them). */
function adapterCode(): Array<{ file: string; code: string }> {
  return readdirSync(XUI_DIR)
    .filter((file) => file.endsWith('.ts'))
    .map((file) => ({
      file,
      code: readFileSync(join(XUI_DIR, file), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/(^|[^:])\/\/.*$/gm, '$1'),
    }));
}

const NEVER_CALLED = [
  ['G2 delDepleted (deletes clients)', /clients\/delDepleted/],
  ['G2 delOrphans', /delOrphans/],
  ['G2 resetAllTraffics', /resetAllTraffics/],
  ['G2 bulkDel', /bulkDel\b/],
  ['G2 bulkCreate', /bulkCreate/],
  ['G2 bulkAdjust (re-enables depleted clients, §7.3)', /bulkAdjust/],
  ['G2 resetTraffic and bulkResetTraffic (re-enable, §7.3)', /[rR]esetTraffic/],
  ['G2 updateTraffic (overwrites counters)', /updateTraffic/],
  ['G1 resetClientTraffic / resetAllClientTraffics', /[rR]esetClientTraffic|resetAllClientTraffics/],
  ['G1 delDepletedClients', /delDepletedClients/],
  [
    'inbound writes: add, update, del, import, setEnable, delAllClients',
    /inbounds\/(add|update|del|import|setEnable)\b|delAllClients/,
  ],
  ['the UI-internal /panel/inbound/ routes', /panel\/inbound\//],
] as const;

describe('routes the adapter never calls', () => {
  it.each(NEVER_CALLED)('%s', (_name, pattern) => {
    const hits = adapterCode()
      .filter(({ code }) => pattern.test(code))
      .map(({ file }) => file);
    expect(hits).toEqual([]);
  });

  it('does call the routes it is built on (the scan sees code, not only comments)', () => {
    const code = adapterCode()
      .map((item) => item.code)
      .join('\n');
    for (const route of [
      'inbounds/list',
      'inbounds/updateClient/',
      'clients/update/',
      'clients/del/',
      'getClientTraffics/',
    ]) {
      expect(code).toContain(route);
    }
  });
});
