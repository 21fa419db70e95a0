import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../../bin/keywarden.js', import.meta.url));
/** The machine's own Node (20 here); the test of the old-Node line needs one older than 22.18. */
const SYSTEM_NODE = '/usr/bin/node';

function versionOf(node: string): [number, number] | null {
  if (!existsSync(node)) {
    return null;
  }
  const [major = 0, minor = 0] = execFileSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' })
    .trim()
    .split('.')
    .map(Number);
  return [major, minor];
}

const system = versionOf(SYSTEM_NODE);
const systemIsOld = system !== null && (system[0] < 22 || (system[0] === 22 && system[1] < 18));

describe('bin/keywarden.js (issue 12)', () => {
  it.runIf(systemIsOld)(
    'prints one line on Node older than 22.18, not an ERR_UNKNOWN_FILE_EXTENSION stack',
    () => {
      const result = spawnSync(SYSTEM_NODE, [BIN, '--version'], { encoding: 'utf8' });
      expect(result.status).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(
        /^keywarden needs Node\.js ≥ 22\.18 \(this is 2\d\.\d+\.\d+\); `scripts\/keywarden` installs one\n$/,
      );
    },
  );

  it('runs the CLI on this Node', () => {
    const result = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});
